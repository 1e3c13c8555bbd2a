#!/usr/bin/env bash
# Boot-time benchmark: the host VM under IceCap against the same Linux alone
# on QEMU, wall clock from QEMU's start to the guest's ready line
# (tools/guest/boot-time.exp). The two boots alternate, RUNS times each
# (default 5), so that both meet the same machine load; the figures are the
# medians, of the whole boot and of Linux's part of it (from its first line),
# which tells what happens before Linux from what happens under it, and the
# ratio of the fastest boots: on a host where some runs pay for first
# touches of memory (a few tenths of a second, to either side), the fastest
# run is the one nearest the cost of the system itself.
#
# CONDITION says what else the machine does meanwhile: "free" (nothing),
# "pinned" (both QEMUs on one host core, taskset -c 1: their vCPU threads
# take turns) or "busy" (a CPU-bound process beside them). Usage:
#   bench-boot.sh CONDITION RUNS -- icecap-command... -- direct-command...
set -euo pipefail
condition=$1; shift
runs=$1; shift
[[ $1 == -- ]] || { echo "usage: $0 CONDITION RUNS -- icecap-command... -- direct-command..." >&2; exit 2; }
shift
icecap_cmd=()
while [[ $# -gt 0 && $1 != -- ]]; do icecap_cmd+=("$1"); shift; done
[[ $# -gt 0 ]] || { echo "usage: $0 CONDITION RUNS -- icecap-command... -- direct-command..." >&2; exit 2; }
shift
direct_cmd=("$@")
here=$(dirname "$0")
prefix=()
case $condition in
    free) ;;
    pinned) prefix=(taskset -c 1) ;;
    busy)
        # one process that never sleeps, stopped when the benchmark ends
        ( while :; do :; done ) &
        busy_pid=$!
        trap 'kill $busy_pid 2>/dev/null || true' EXIT
        ;;
    *) echo "bench-boot: condition must be free, pinned or busy" >&2; exit 2 ;;
esac
icecap_cmd=("${prefix[@]}" "${icecap_cmd[@]}")
direct_cmd=("${prefix[@]}" "${direct_cmd[@]}")
icecap=() direct=() icecap_linux=() direct_linux=()
for ((i = 1; i <= runs; i++)); do
    read -r il it < <("$here/boot-time.exp" "${icecap_cmd[@]}")
    read -r dl dt < <("$here/boot-time.exp" "${direct_cmd[@]}")
    [[ -n ${it:-} && -n ${dt:-} ]] || { echo "bench-boot: a boot did not reach its ready line" >&2; exit 1; }
    icecap+=("$it") direct+=("$dt") icecap_linux+=("$((it - il))") direct_linux+=("$((dt - dl))")
    echo "  $condition run $i: IceCap $it ms (Linux from $il ms), alone $dt ms (Linux from $dl ms)"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
fastest() { printf '%s\n' "$@" | sort -n | head -1; }
mi=$(median "${icecap[@]}") md=$(median "${direct[@]}")
li=$(median "${icecap_linux[@]}") ld=$(median "${direct_linux[@]}")
echo "host_vm_boot_$condition (to the shell, under IceCap, median of $runs): $mi ms"
echo "direct_boot_$condition (the same Linux on QEMU alone, median of $runs): $md ms"
echo "boot_ratio_$condition (IceCap / direct, x100): $((100 * mi / md))"
echo "linux_ratio_$condition (from Linux's first line to the shell, IceCap / direct, x100): $((100 * li / ld))"
fastest_icecap=$(fastest "${icecap[@]}") fastest_direct=$(fastest "${direct[@]}")
echo "boot_ratio_fastest_$condition (fastest IceCap boot $fastest_icecap ms / fastest direct boot $fastest_direct ms," \
     "x100): $((100 * fastest_icecap / fastest_direct))"
