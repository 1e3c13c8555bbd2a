#!/usr/bin/env bash
# Console throughput benchmark: the host VM under IceCap against the same
# Linux alone on QEMU, each catting a file of BYTES bytes to its console
# (ttyAMA0): under IceCap through the host VMM's emulated PL011 and the
# serial server, alone through QEMU's PL011 (tools/guest/bench-console.exp,
# one boot a run). The runs alternate, RUNS of each, so that both meet the
# same machine load. Prints each run, then bytes per second (wall clock
# from sending the command to seeing its end marker): median, min and max
# of each, and the ratio of the medians. Usage:
#   bench-console.sh RUNS BYTES -- icecap-command... -- direct-command...
set -euo pipefail
usage() { echo "usage: $0 RUNS BYTES -- icecap-command... -- direct-command..." >&2; exit 2; }
(( $# >= 3 )) || usage
runs=$1 bytes=$2
shift 2
[[ $runs =~ ^[1-9][0-9]*$ && $bytes =~ ^[1-9][0-9]*$ && $1 == -- ]] || usage
shift
icecap_cmd=()
while [[ $# -gt 0 && $1 != -- ]]; do icecap_cmd+=("$1"); shift; done
[[ $# -gt 0 ]] || usage
shift
direct_cmd=("$@")
(( ${#icecap_cmd[@]} && ${#direct_cmd[@]} )) || usage
here=$(dirname "$0")

# rate MS: bytes per second
rate() { echo $((bytes * 1000 / ($1 > 0 ? $1 : 1))); }
secs() { awk -v ms="$1" 'BEGIN { printf "%.2f s", ms / 1000 }'; }
guest_secs() { if [[ $1 == - ]]; then echo "-"; else secs "$1"; fi; }

echo "  cat of $bytes bytes to the console, $runs runs each:"
icecap=() direct=()
for ((i = 1; i <= runs; i++)); do
    read -r iw ig < <("$here/bench-console.exp" "$bytes" "${icecap_cmd[@]}") || true
    [[ -n ${iw:-} ]] || { echo "bench-console: run $i under IceCap failed" >&2; exit 1; }
    read -r dw dg < <("$here/bench-console.exp" "$bytes" "${direct_cmd[@]}") || true
    [[ -n ${dw:-} ]] || { echo "bench-console: run $i alone failed" >&2; exit 1; }
    icecap+=("$(rate "$iw")") direct+=("$(rate "$dw")")
    echo "  run $i: IceCap $(rate "$iw") B/s ($(secs "$iw"), guest clock $(guest_secs "$ig"))," \
         "alone $(rate "$dw") B/s ($(secs "$dw"), guest clock $(guest_secs "$dg"))"
    unset iw ig dw dg
done
# stats VALUE...: "median min max"
stats() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)], v[1], v[NR] }'; }
read -r mi loi hii < <(stats "${icecap[@]}")
read -r md lod hid < <(stats "${direct[@]}")
echo "console_icecap (bytes/s through the serial server, median of $runs; min, max): $mi ($loi, $hii)"
echo "console_direct (bytes/s, the same Linux on QEMU alone, median of $runs; min, max): $md ($lod, $hid)"
awk -v i="$mi" -v d="$md" 'BEGIN {
    printf "console_ratio (IceCap / alone, medians): %.4f (alone %.1f times as fast)\n", i / d, d / i }'
