#!/usr/bin/env bash
# One fuzz target for a short time, as a test: PASS with how many inputs it
# ran, FAIL if libFuzzer found something (its input is kept in
# build/host/fuzz-findings) or did not run. Usage:
#   test-fuzz.sh NAME -- command...   (the command runs the fuzzer)
#   test-fuzz.sh --summary            (the "N passed, N failed" line)
set -uo pipefail
state=build/logs/fuzz-tests.state
mkdir -p build/logs
if [[ $1 == --summary ]]; then
    passed=0 failed=0
    [[ -f $state ]] && read -r passed failed <"$state"
    rm -f "$state"
    echo "$passed passed, $failed failed"
    [[ -z ${TEST_RESULTS:-} ]] || echo "$passed $failed fuzz targets" >>"$TEST_RESULTS"
    exit $(( failed > 0 ))
fi
name=$1; shift; [[ ${1:-} == -- ]] && shift
log=build/logs/fuzz-$name.log
passed=0 failed=0
[[ -f $state ]] && read -r passed failed <"$state"
if "$@" >"$log" 2>&1 && runs=$(grep -oE '^Done [0-9]+ runs' "$log" | grep -oE '[0-9]+'); then
    echo "PASS: $name ($runs inputs, no finding)"
    passed=$((passed + 1))
else
    echo "FAIL: $name (see $log; inputs that fail are in build/host/fuzz-findings)"
    failed=$((failed + 1))
fi
echo "$passed $failed" >"$state"
