#!/usr/bin/env bash
# Runs a guest (a QEMU command line) under a time limit, saves its output to
# build/logs/NAME.log and judges it.
#
#   tools/run-suite.sh --timeout SECS --name NAME [--expect STRING | --bench] -- command args...
#
# In every mode the command must exit by itself with status 0 (QEMU does on
# PSCI SYSTEM_OFF) within SECS seconds; on a timeout its process group is
# sent SIGTERM, then SIGKILL 5 s later. Then, by mode:
#   default   a test suite: lines "PASS: name" / "FAIL: name: reason", then
#             "N passed, N failed"; passes iff no FAIL, N failed is 0, N passed
#             equals the number of PASS lines and is not 0. Output is streamed.
#   --expect  passes iff STRING appears in the output. Output is streamed.
#   --bench   lines "name: value [unit]", then "bench done"; only those lines
#             are printed, everything goes to the log.
# Carriage returns are removed from the output. Exit status 0 on success,
# 1 on failure (with a one-line reason on stderr), 2 on bad usage.
set -uo pipefail

usage() { echo "usage: $0 --timeout SECS --name NAME [--expect STRING | --bench] -- command args..." >&2; exit 2; }

secs='' name='' expect='' bench=''
while (( $# )); do
    case $1 in
        --timeout) secs=${2-}; shift 2 || usage ;;
        --name)    name=${2-}; shift 2 || usage ;;
        --expect)  expect=${2-}; shift 2 || usage ;;
        --bench)   bench=1; shift ;;
        --)        shift; break ;;
        *)         usage ;;
    esac
done
[[ $secs =~ ^[0-9]+$ && -n $name && $# -gt 0 ]] || usage
[[ -n $expect && -n $bench ]] && usage

mkdir -p build/logs
log=build/logs/$(printf '%s' "$name" | sed 's/[^A-Za-z0-9._-]\{1,\}/-/g; s/-$//').log
tmp=$(mktemp -d) && fifo=$tmp/output && mkfifo "$fifo" || exit 1
trap 'rm -rf "$tmp"' EXIT

bench_re='^[A-Za-z_][A-Za-z0-9_ ./(),+-]*: +[0-9]+( +[A-Za-z/%_-]+)?$'
# The reader: strip \r, save everything, show everything (or the bench lines).
if [[ -n $bench ]]; then
    sed -u 's/\r//g' <"$fifo" | tee "$log" | grep --line-buffered -E "$bench_re" &
else
    sed -u 's/\r//g' <"$fifo" | tee "$log" &
fi
reader=$!

start=$SECONDS
timeout -k 5 "$secs" "$@" </dev/null >"$fifo" 2>&1 &
pid=$!
# On Ctrl-C or SIGTERM, stop the guest rather than leave it running.
interrupted=''
trap 'interrupted=1; kill -TERM "$pid" 2>/dev/null' INT TERM
wait "$pid" 2>/dev/null; status=$?
while kill -0 "$pid" 2>/dev/null; do wait "$pid" 2>/dev/null; status=$?; done
wait "$reader"
[[ -n $interrupted ]] && { echo "$name: interrupted" >&2; exit 130; }

timed_out=
(( (status == 124 || status == 137) && SECONDS - start >= secs )) && timed_out=1

fail() { echo "$name: FAILED: $* (log: $log)" >&2; exit 1; }
# With TEST_RESULTS set, add this run's counts to that file (make test totals them).
record() { [[ -z ${TEST_RESULTS:-} ]] || echo "$1 $2 $name" >>"$TEST_RESULTS"; }
# The command must have exited by itself with status 0; $1 is the reason to
# give if it timed out, $2 a note for a non-zero status.
exited() {
    [[ -z $timed_out ]] || fail "hung: $1"
    (( status == 0 )) || fail "command exited with status $status ($2)"
}

if [[ -n $expect ]]; then
    grep -qF -- "$expect" "$log" || {
        exited "\"$expect\" not printed after $secs s" "\"$expect\" not printed"
        fail "\"$expect\" was never printed"; }
    exited "\"$expect\" printed, but no power-off within $secs s" "after printing \"$expect\""
    echo "$name: ok (printed \"$expect\" and exited)"
    record 1 0
elif [[ -n $bench ]]; then
    grep -qx 'bench done' "$log" || {
        exited "no \"bench done\" after $secs s" "no \"bench done\""
        fail "no \"bench done\" line"; }
    exited "\"bench done\" printed, but no power-off within $secs s" "after \"bench done\""
else
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    [[ -n $summary ]] || {
        exited "no summary after $secs s" "no summary"
        fail "no \"N passed, N failed\" summary line"; }
    exited "summary printed, but no power-off within $secs s" "after the summary"
    read -r passed _ failed _ <<<"$summary"; passed=$((10#$passed)) failed=$((10#$failed))
    npass=$(grep -c '^PASS: ' "$log")
    nfail=$(grep -c '^FAIL: ' "$log")
    (( nfail == 0 )) || fail "$nfail test(s) failed, first: $(grep -m1 '^FAIL: ' "$log")"
    (( failed == 0 )) || fail "summary reports $failed failed"
    (( passed == npass )) || fail "summary says $passed passed but there are $npass PASS lines"
    (( passed > 0 )) || fail "no test passed"
    echo "$name: $summary"
    record "$passed" "$failed"
fi
