#!/usr/bin/env bash
# Fails when a test left a process behind. Every process that `make test`
# starts inherits ICECAP_TEST_RUN (a value unique to that run) in its
# environment; once the tests are over, any process still carrying it, other
# than this script and the commands it runs from, was left behind. Those are
# named, stopped (SIGTERM, then SIGKILL) and counted as a failed test.
#
#   tools/check-leftovers.sh
#
# Prints "PASS: no_leftovers" or "FAIL: no_leftovers: ...", then
# "N passed, N failed"; with TEST_RESULTS set, adds the counts to it.
set -uo pipefail

token=${ICECAP_TEST_RUN:-}
[[ -n $token ]] || { echo "check-leftovers: ICECAP_TEST_RUN is not set" >&2; exit 2; }

# this script and its ancestors carry the token too
declare -A mine=()
pid=$$
while [[ $pid =~ ^[0-9]+$ ]] && (( pid > 1 )); do
    mine[$pid]=1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || break
    stat=${stat##*) }       # after the command name, which may hold spaces
    read -r _ pid _ <<<"$stat"
done

# The scan runs in this shell, without subshells: the only processes it
# starts (grep) have ended before the next is looked at.
found=()
for dir in /proc/[0-9]*; do
    p=${dir#/proc/}
    [[ -n ${mine[$p]-} ]] && continue
    grep -qzxF "ICECAP_TEST_RUN=$token" "$dir/environ" 2>/dev/null && found+=("$p")
done
passed=0 failed=0
if (( ${#found[@]} == 0 )); then
    echo "PASS: no_leftovers"; passed=1
else
    names=()
    for p in "${found[@]}"; do
        names+=("$p ($(tr '\0' ' ' 2>/dev/null < "/proc/$p/cmdline" | cut -c1-60))")
    done
    echo "FAIL: no_leftovers: the tests left ${#names[@]} process(es) running: ${names[*]}; stopping them"
    kill -TERM "${found[@]}" 2>/dev/null
    sleep 2
    kill -KILL "${found[@]}" 2>/dev/null
    failed=1
fi
echo "$passed passed, $failed failed"
[[ -z ${TEST_RESULTS:-} ]] || echo "$passed $failed no process left behind" >>"$TEST_RESULTS"
(( failed == 0 ))
