#!/usr/bin/env bash
# Fetches the host VM's Linux from Debian's own arm64 packages:
#
#   linux-image-6.1.0-NN-arm64:arm64   the current one, as named by
#                                      `apt-cache depends linux-image-arm64:arm64`
#   busybox-static:arm64               the guest's whole user space
#
# Steps (each only when needed, so a second run is silent and quick):
#   1. dpkg --add-architecture arm64, then apt-get update so that apt knows the
#      arm64 packages (sudo when not root, as in scripts/setup.sh);
#   2. apt-get download both packages into build/guest/debs/;
#   3. dpkg -x both into build/guest/root/;
#   4. copy root/boot/vmlinuz-* to build/guest/Image (Debian's arm64 "vmlinuz"
#      is an uncompressed Image; a gzip-compressed one is decompressed).
# tools/guest/mkinitramfs.sh then builds the initramfs from build/guest/root.
set -euo pipefail

cd "$(dirname "$0")/.."
out=build/guest
debs=$out/debs
root=$out/root

say() { echo "fetch-guest: $*"; }
die() { echo "fetch-guest: error: $*" >&2; exit 1; }

if (( EUID == 0 )); then
    sudo=()
elif command -v sudo >/dev/null; then
    sudo=(sudo)
else
    sudo=(__no_sudo__)
fi
as_root() {
    [[ ${sudo[0]-} == __no_sudo__ ]] && die "not root and sudo is not available; run as root: $*"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "$@"
}

for tool in dpkg apt-get apt-cache file; do
    command -v "$tool" >/dev/null || die "'$tool' is missing (this needs a Debian build machine)"
done

# ---- 1. apt must know the arm64 packages
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    say "adding the arm64 architecture to dpkg"
    as_root dpkg --add-architecture arm64 || die "dpkg --add-architecture arm64 failed"
fi
# The current kernel package: what the metapackage linux-image-arm64 depends on.
kernel_package() {
    apt-cache depends linux-image-arm64:arm64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-6\.[0-9.]*-[0-9]*-arm64\)\(:arm64\)\{0,1\}$/\1/p' | head -n 1 || true
}
have_candidate() {   # true when apt has a candidate version of package $1
    local c
    c=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }' || true)
    [[ -n $c && $c != "(none)" ]]
}
kpkg=$(kernel_package)
if [[ -z $kpkg ]] || { ! compgen -G "$debs/busybox-static_*_arm64.deb" >/dev/null &&
                       ! have_candidate busybox-static:arm64; }; then
    say "apt-get update (to learn the arm64 package lists)"
    # A broken unrelated source makes apt-get update fail while the Debian
    # lists still arrive, so judge by the result rather than the exit status.
    as_root apt-get update -q >/dev/null || true
    kpkg=$(kernel_package)
    [[ -n $kpkg ]] ||
        die "apt does not know linux-image-arm64:arm64 (or it names no linux-image-6.x-NN-arm64) even after apt-get update; is Debian's archive reachable and 'main' in the sources?"
    have_candidate busybox-static:arm64 ||
        die "apt does not know busybox-static:arm64 even after apt-get update"
fi

# ---- 2. download
pkgs=("$kpkg" busybox-static)

mkdir -p "$debs"
want=()
for p in "${pkgs[@]}"; do
    compgen -G "$debs/${p}_*_arm64.deb" >/dev/null || want+=("$p:arm64")
done
if (( ${#want[@]} )); then
    say "downloading ${want[*]} into $debs/"
    # As root apt downloads "unsandboxed"; that note is harmless, so drop it.
    (cd "$debs" && apt-get download -q "${want[@]}" 2>&1 | grep -v 'unsandboxed as root' || true)
fi
files=()
for p in "${pkgs[@]}"; do
    f=$(compgen -G "$debs/${p}_*_arm64.deb" | sort -V | tail -n 1) ||
        die "download of $p:arm64 failed (nothing in $debs/)"
    files+=("$f")
done
for f in "${files[@]}"; do
    dpkg-deb --info "$f" >/dev/null 2>&1 || { rm -f "$f"; die "$f is not a valid package; removed it, run again"; }
done

# ---- 3. unpack (again whenever the set of packages changed)
stamp=$root/.unpacked
if [[ ! -f $stamp || $(cat "$stamp") != "$(printf '%s\n' "${files[@]##*/}")" ]]; then
    say "unpacking ${files[*]##*/} into $root/"
    rm -rf "$root"
    mkdir -p "$root"
    for f in "${files[@]}"; do
        dpkg -x "$f" "$root" || die "dpkg -x $f failed"
    done
    printf '%s\n' "${files[@]##*/}" > "$stamp"
fi

# ---- 4. the kernel Image
vmlinuz=$(compgen -G "$root/boot/vmlinuz-*" | head -n 1) || die "no boot/vmlinuz-* in $kpkg"
[[ -x $root/bin/busybox ]] || die "no bin/busybox in busybox-static"
if [[ ! -f $out/Image || $vmlinuz -nt $out/Image || $stamp -nt $out/Image ]]; then
    kind=$(file -b "$vmlinuz")
    case $kind in
        *"ARM64 boot executable Image"*) cp "$vmlinuz" "$out/Image.tmp" ;;
        gzip*)                           gzip -dc "$vmlinuz" > "$out/Image.tmp" ;;
        *)                               die "$vmlinuz is neither an arm64 Image nor gzip: $kind" ;;
    esac
    file -b "$out/Image.tmp" | grep -q "ARM64 boot executable Image" ||
        die "$out/Image is not an arm64 Image after decompression"
    mv "$out/Image.tmp" "$out/Image"
    say "kernel: $out/Image from ${vmlinuz##*/} ($(file -b "$out/Image" | cut -d, -f1))"
fi
