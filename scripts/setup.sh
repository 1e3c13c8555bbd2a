#!/usr/bin/env bash
# Installs the Debian 12 packages the build and the tests need (cross
# compiler, the arm64 C library that the host VM's static Linux programs
# link (icecap-host, mk/linux.mk), QEMU, dtc, expect, host gcc with
# ASan/UBSan, cpio for the guest's initramfs, xz and zstd for kernels with
# compressed modules, busybox for the guest tests' HTTP server and for
# stopping what tests start, clang with libFuzzer for the fuzz targets) when
# any is missing. Nothing else is assumed beyond a minimal Debian
# (debootstrap's minbase) with make: CI proves it (scripts/test-fresh.sh).
# Silent and fast when everything is already installed.
set -euo pipefail

packages=(gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm
          device-tree-compiler expect make gcc libc6-dev cpio xz-utils zstd busybox
          clang libclang-rt-14-dev)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$p")
done
(( ${#missing[@]} == 0 )) && exit 0

echo "setup: installing: ${missing[*]}"
if (( EUID == 0 )); then
    sudo=()
elif command -v sudo >/dev/null; then
    sudo=(sudo)
else
    echo "setup: error: not root and sudo is not available; install as root: ${missing[*]}" >&2
    exit 1
fi
if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
   ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    echo "setup: error: apt-get failed to install: ${missing[*]}" >&2
    exit 1
fi
