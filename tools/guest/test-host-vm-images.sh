#!/usr/bin/env bash
# The host VMM refuses missing or wrong guest images in words and stops the
# system, instead of booting garbage: the system image run with no kernel
# file, and with an initramfs given as the kernel. One line per test, then
# "N passed, N failed". Usage: test-host-vm-images.sh KERNEL INITRD qemu-command...
set -u
kernel=$1 initrd=$2; shift 2
passed=0 failed=0
check() { # name expected-line fw_cfg-arguments...
    local name=$1 want=$2 out; shift 2
    out=$(timeout 300 "$@" 2>&1)
    if grep -qF -- "$want" <<<"$out" && grep -qF "loader: host-vmm stopped the system" <<<"$out"; then
        echo "PASS: $name"; passed=$((passed + 1))
    else
        echo "FAIL: $name: expected \"$want\" and the system stopped, got: $(tail -2 <<<"$out" | tr '\r\n' '  ')"
        failed=$((failed + 1))
    fi
}
check no_kernel "host-vmm: no opt/icecap/kernel in QEMU's firmware configuration" \
    "$@" -fw_cfg name=opt/icecap/initramfs,file="$initrd"
check no_initramfs "host-vmm: no opt/icecap/initramfs in QEMU's firmware configuration" \
    "$@" -fw_cfg name=opt/icecap/kernel,file="$kernel"
check not_an_image "host-vmm: reading the kernel's header (is opt/icecap/kernel an arm64 Linux Image?) failed" \
    "$@" -fw_cfg name=opt/icecap/kernel,file="$initrd" -fw_cfg name=opt/icecap/initramfs,file="$initrd"
echo "$passed passed, $failed failed"
[[ -z ${TEST_RESULTS:-} ]] || echo "$passed $failed host VM images refused" >>"$TEST_RESULTS"
(( failed == 0 ))
