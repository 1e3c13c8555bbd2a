#!/usr/bin/env bash
# Builds the host VM's Linux from another Debian kernel package and boots it
# directly on QEMU with the checks of `make test-guest-direct`:
#
#   build     scripts/fetch-guest.sh, then tools/guest/mkinitramfs.sh, with
#             GUEST_KERNEL_PACKAGE=PACKAGE: into that kernel's own directory
#             OUT (build/guest-NAME, as `scripts/fetch-guest.sh --out` says),
#             so the default guest in build/guest is left as it is
#   boot, shell, cpus, network, poweroff
#             tools/guest/test-direct.exp on OUT/Image and
#             OUT/initramfs.cpio.gz
#
#   tools/guest/test-flavour.sh PACKAGE [QEMU]
#
# PACKAGE is what GUEST_KERNEL_PACKAGE takes (a metapackage such as
# linux-image-cloud-arm64, a kernel package, or a .deb file). Prints
# "PASS: name" / "FAIL: name: reason" per check, then "N passed, N failed";
# exits 1 on any failure. test-direct.exp writes its console log to
# build/logs/guest-direct.log under its working directory: it runs here in a
# temporary one whose "build" leads to OUT, so the log is
# OUT/logs/guest-direct.log and test-guest-direct's own log stays. With
# TEST_RESULTS set, the counts are added to that file, named after PACKAGE.
set -uo pipefail

if (( $# < 1 || $# > 2 )); then
    echo "usage: $0 PACKAGE [QEMU]" >&2
    exit 2
fi
package=$1 qemu=${2:-qemu-system-aarch64}
cd "$(dirname "$0")/../.." || exit 2
top=$PWD
export GUEST_KERNEL_PACKAGE=$package
unset GUEST_OUT
out=$(scripts/fetch-guest.sh --out) || exit 2

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS: $1${2:+ ($2)}"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1: $2"; }
finish() {
    echo "$passed passed, $failed failed"
    [[ -z ${TEST_RESULTS:-} ]] || echo "$passed $failed guest direct boot, $package" >>"$TEST_RESULTS"
    exit $(( failed > 0 ))
}
run=$(mktemp -d) || exit 2
trap 'rm -rf "$run"' EXIT
trap 'echo "test-flavour: interrupted"; exit 130' INT TERM

echo "guest direct boot, $package ($out):"
# ---- build
if scripts/fetch-guest.sh && tools/guest/mkinitramfs.sh; then
    kdeb=$(head -n 1 "$out/root/.unpacked")
    IFS=_ read -r kname kversion _ <<<"${kdeb%.deb}"
    pass build "$kname $kversion"
else
    fail build "scripts/fetch-guest.sh or tools/guest/mkinitramfs.sh failed (its error is above)"
    finish
fi

# ---- boot and the rest: test-direct.exp's lines, its counts taken into ours
ln -s "$top/$out" "$run/build"
counted=
while IFS= read -r line; do
    case $line in
        "PASS: "*) passed=$((passed + 1)); echo "$line" ;;
        "FAIL: "*) failed=$((failed + 1)); echo "$line" ;;
        [0-9]*" passed, "[0-9]*" failed") counted=1 ;;
        "the console: build/logs/"*) echo "the console: $out/logs/${line#the console: build/logs/}" ;;
        *) echo "$line" ;;
    esac
done < <(cd "$run" && TEST_RESULTS='' expect "$top/tools/guest/test-direct.exp" \
             "$top/$out/Image" "$top/$out/initramfs.cpio.gz" "$qemu" 2>&1)
[[ -n $counted ]] || fail boot "tools/guest/test-direct.exp ended without its counts"
finish
