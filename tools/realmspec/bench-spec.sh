#!/usr/bin/env bash
# The realm spec make bench-realm loads: the size of the demo realm
# (Debian's kernel and the host's initramfs, 128 MiB, 2 vCPUs, a console),
# with a test VMM ELF (any aarch64 ELF of the build: it is built and
# destroyed, never run), in a tar file for a virtio disk.
#   tools/realmspec/bench-spec.sh OUT.tar REALMSPEC KERNEL INITRAMFS VMM.elf
set -eu
out=$1 tool=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$3" "$dir/Image"
cp "$4" "$dir/initramfs"
cp "$5" "$dir/vmm.elf"
cat >"$dir/bench.realm" <<'DESC'
realm bench
    memory 128M
    vcpus 2
    kernel Image
    initramfs initramfs
    bootargs "console=ttyAMA0"
    vmm vmm.elf
    console
DESC
"$tool" "$dir/bench.realm" "$dir/bench.spec" >/dev/null
mkdir -p "$(dirname "$out")"
tar -cf "$out.tmp" -C "$dir" bench.spec
mv "$out.tmp" "$out"
