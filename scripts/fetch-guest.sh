#!/usr/bin/env bash
# Fetches the host VM's Linux from Debian's own arm64 packages:
#
#   the kernel             GUEST_KERNEL_PACKAGE (default linux-image-arm64):
#                          - a metapackage (linux-image-arm64,
#                            linux-image-cloud-arm64, linux-image-rt-arm64):
#                            the kernel package it depends on, as named by
#                            `apt-cache depends NAME:arm64` (on Debian 12
#                            linux-image-6.1.0-NN-arm64, -NN-cloud-arm64, ...);
#                          - a kernel package by name
#                            (linux-image-6.1.0-NN-cloud-arm64);
#                          - a kernel package's .deb file (a path ending in
#                            .deb or holding a "/"), used where it is, e.g.
#                            Debian 13's linux-image-6.12.NN+deb13-arm64.
#   busybox-static:arm64   the guest's whole user space
#
# Each kernel has its own output directory, so that switching keeps the
# others: build/guest for the default, build/guest-NAME for another, where
# NAME is the package or file name without a leading directory, "linux-image-",
# ".deb" and ":arm64", any character other than a letter, digit or ". + _ -"
# made "_" (linux-image-cloud-arm64 -> build/guest-cloud-arm64). GUEST_OUT,
# when set, names it instead (relative to the repository's top).
# `scripts/fetch-guest.sh --out` prints the directory and does nothing else
# (the Makefile and tools/guest/mkinitramfs.sh ask it).
#
# Steps (each only when needed, so a second run is silent and quick):
#   1. dpkg --add-architecture arm64, then apt-get update so that apt knows the
#      arm64 packages (sudo when not root, as in scripts/setup.sh);
#   2. apt-get download the packages into OUT/debs/ (a .deb file given in
#      GUEST_KERNEL_PACKAGE is not copied);
#   3. dpkg -x both into OUT/root/;
#   4. copy root/boot/vmlinuz-* to OUT/Image: an arm64 Image (recognised by
#      its magic "ARM\x64" at offset 0x38) as it is, a gzip-compressed one
#      (magic 1f 8b) decompressed.
# tools/guest/mkinitramfs.sh then builds the initramfs from OUT/root.
set -euo pipefail

default_package=linux-image-arm64
package=${GUEST_KERNEL_PACKAGE:-$default_package}
package=${package%:arm64}

# The output directory for $package (see above); never fails.
out_dir() {
    local name
    if [[ -n ${GUEST_OUT-} ]]; then echo "$GUEST_OUT"; return; fi
    if [[ $package == "$default_package" ]]; then echo build/guest; return; fi
    name=${package##*/}
    name=${name%.deb}
    name=${name#linux-image-}
    echo "build/guest-${name//[^A-Za-z0-9.+_-]/_}"
}
if [[ ${1-} == --out ]]; then
    out_dir
    exit 0
fi
(( $# == 0 )) || { echo "usage: [GUEST_KERNEL_PACKAGE=...] [GUEST_OUT=...] $0 [--out]" >&2; exit 2; }

say() { echo "fetch-guest: $*"; }
die() { echo "fetch-guest: error: $*" >&2; exit 1; }

# A .deb file is named relative to where we were called from.
kfile=
case $package in
    */* | *.deb)
        [[ -f $package && -r $package ]] ||
            die "GUEST_KERNEL_PACKAGE=$package: no such readable file (a path ending in .deb or holding a / names a package file)"
        kfile=$(realpath -- "$package")
        ;;
    linux-image-*)
        [[ $package =~ ^linux-image-[a-z0-9][a-z0-9.+-]*$ ]] ||
            die "GUEST_KERNEL_PACKAGE=$package is not a valid package name"
        ;;
    *)
        die "GUEST_KERNEL_PACKAGE=$package is neither a linux-image-* package (such as linux-image-cloud-arm64) nor a .deb file"
        ;;
esac

cd "$(dirname "$0")/.."
out=$(out_dir)
debs=$out/debs
root=$out/root

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

for tool in dpkg dpkg-deb apt-get apt-cache od; do
    command -v "$tool" >/dev/null || die "'$tool' is missing (this needs a Debian build machine)"
done

# ---- the kernel package from a file: it must be an arm64 linux-image-*
if [[ -n $kfile ]]; then
    kpkg=$(dpkg-deb --field "$kfile" Package 2>/dev/null) ||
        die "$package is not a Debian package (dpkg-deb cannot read it)"
    karch=$(dpkg-deb --field "$kfile" Architecture)
    [[ $kpkg == linux-image-* ]] || die "$package holds the package $kpkg, not a linux-image-* kernel"
    [[ $karch == arm64 ]] || die "$package is the $karch build of $kpkg, not the arm64 one"
    kdep=$(dpkg-deb --field "$kfile" Depends | grep -o 'linux-image-[^ ,|(]*' | head -n 1 || true)
    [[ -z $kdep ]] || die "$package is the metapackage $kpkg; give the kernel package it depends on, $kdep"
fi

# ---- 1. apt must know the arm64 packages
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    say "adding the arm64 architecture to dpkg"
    as_root dpkg --add-architecture arm64 || die "dpkg --add-architecture arm64 failed"
fi
have_candidate() {   # true when apt has a candidate version of package $1
    local c
    c=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }' || true)
    [[ -n $c && $c != "(none)" ]]
}
# The kernel package that $package stands for, into kpkg: a package that
# depends on no other linux-image-* package is a kernel; a metapackage stands
# for what its linux-image-* dependency stands for. One apt-cache call (each
# can take seconds where apt keeps no cache). On failure kpkg is empty and
# why says why, in words.
resolve_kernel() {
    local r
    kpkg="" why=""
    r=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
            --no-breaks --no-replaces --no-enhances "$package:arm64" 2>/dev/null |
        awk -v start="$package" '
            /^[^ ]/ { pkg = $1; sub(/:arm64$/, "", pkg); known[pkg] = 1; next }
            /^ *[|]?Depends: linux-image-/ && !(pkg in dep) { d = $2; sub(/:arm64$/, "", d); dep[pkg] = d }
            END {
                name = start
                if (!(name in known)) { print "unknown"; exit }
                for (hops = 0; name in dep; hops++) {
                    if (hops == 3) { print "deep"; exit }
                    name = dep[name]
                    if (!(name in known)) { print "missing " name; exit }
                }
                print "kernel " name
            }' || true)
    case $r in
        "kernel "*)  kpkg=${r#kernel } ;;
        "missing "*) why="$package:arm64 depends on ${r#missing }, which apt does not know" ;;
        deep)        why="$package:arm64 leads through more than 3 linux-image-* metapackages" ;;
        *)           why="apt knows no package $package:arm64" ;;
    esac
}
[[ -n $kfile ]] || resolve_kernel
if { [[ -z $kfile && -z $kpkg ]]; } ||
   { ! compgen -G "$debs/busybox-static_*_arm64.deb" >/dev/null && ! have_candidate busybox-static:arm64; }; then
    say "apt-get update (to learn the arm64 package lists)"
    # A broken unrelated source makes apt-get update fail while the Debian
    # lists still arrive, so judge by the result rather than the exit status.
    as_root apt-get update -q >/dev/null || true
    if [[ -z $kfile ]]; then
        resolve_kernel
        [[ -n $kpkg ]] ||
            die "$why, even after apt-get update (GUEST_KERNEL_PACKAGE: is the name right, Debian's archive reachable and 'main' in the sources?)"
    fi
    have_candidate busybox-static:arm64 ||
        die "apt does not know busybox-static:arm64 even after apt-get update"
fi

# ---- 2. download
pkgs=(busybox-static)
[[ -n $kfile ]] || pkgs=("$kpkg" "${pkgs[@]}")

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
[[ -z $kfile ]] || files+=("$kfile")
for p in "${pkgs[@]}"; do
    f=$(compgen -G "$debs/${p}_*_arm64.deb" | sort -V | tail -n 1) ||
        die "download of $p:arm64 failed (nothing in $debs/)"
    files+=("$f")
done
for f in "${files[@]}"; do
    dpkg-deb --info "$f" >/dev/null 2>&1 && continue
    [[ $f == "$kfile" ]] && die "$f is not a valid package"
    rm -f "$f"
    die "$f is not a valid package; removed it, run again"
done

# ---- 3. unpack (again whenever the set of packages changed, or one of them)
stamp=$root/.unpacked
stale=
if [[ ! -f $stamp || $(cat "$stamp") != "$(printf '%s\n' "${files[@]##*/}")" ]]; then
    stale=1
else
    for f in "${files[@]}"; do [[ $f -nt $stamp ]] && stale=1; done
fi
if [[ -n $stale ]]; then
    say "unpacking ${files[*]##*/} into $root/"
    rm -rf "$root"
    mkdir -p "$root"
    for f in "${files[@]}"; do
        dpkg -x "$f" "$root" || die "dpkg -x $f failed"
    done
    printf '%s\n' "${files[@]##*/}" > "$stamp"
fi

# ---- 4. the kernel Image
# hex_at FILE OFFSET COUNT: those bytes of FILE in hex, without spaces.
hex_at() { od -An -v -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }
is_image() { [[ $(hex_at "$1" 56 4) == 41524d64 ]]; }   # "ARM\x64" at 0x38
vmlinuz=$(compgen -G "$root/boot/vmlinuz-*" | head -n 1) ||
    die "no boot/vmlinuz-* in $kpkg (a metapackage? give the kernel package it depends on)"
[[ -x $root/bin/busybox || -x $root/usr/bin/busybox ]] || die "no bin/busybox in busybox-static"
if [[ ! -f $out/Image || $vmlinuz -nt $out/Image || $stamp -nt $out/Image ]]; then
    if is_image "$vmlinuz"; then
        cp "$vmlinuz" "$out/Image.tmp"
    elif [[ $(hex_at "$vmlinuz" 0 2) == 1f8b ]]; then
        gzip -dc "$vmlinuz" > "$out/Image.tmp" || die "cannot decompress $vmlinuz (gzip)"
        is_image "$out/Image.tmp" ||
            die "$vmlinuz decompressed is not an arm64 Image (no \"ARM\\x64\" at offset 0x38)"
    else
        die "$vmlinuz is neither an arm64 Image (no \"ARM\\x64\" at offset 0x38) nor gzip (it begins $(hex_at "$vmlinuz" 0 8))"
    fi
    mv "$out/Image.tmp" "$out/Image"
    say "kernel: $out/Image from ${vmlinuz##*/} of $kpkg ($(( $(stat -c %s "$out/Image") / 1048576 )) MiB arm64 Image)"
fi
