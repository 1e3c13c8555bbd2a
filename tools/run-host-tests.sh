#!/usr/bin/env bash
# Runs the host unit test binaries and adds up their results.
#
#   tools/run-host-tests.sh bin1 bin2 ...
#
# Each binary prints "PASS: name" / "FAIL: name: reason" lines and its own
# "N passed, N failed" summary. Everything it prints is shown. Fails (exit 1)
# if a binary exits non-zero (e.g. an ASan/UBSan report), runs longer than
# HOST_TEST_TIMEOUT seconds (default 120), prints no summary, or any test fails.
set -uo pipefail

(( $# )) || { echo "usage: $0 test-binary... (no test binaries given)" >&2; exit 2; }
limit=${HOST_TEST_TIMEOUT:-120}
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT

total_pass=0 total_fail=0 problems=()
for bin in "$@"; do
    echo "== $bin"
    timeout -k 5 "$limit" "$bin" </dev/null 2>&1 | tee "$out"
    status=${PIPESTATUS[0]}
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
    nfail=$(grep -c '^FAIL: ' "$out")
    if [[ -n $summary ]]; then
        read -r p _ f _ <<<"$summary"
        (( total_pass += 10#$p, total_fail += 10#$f ))
        (( 10#$f == 0 && nfail == 0 )) || problems+=("$bin: tests failed")
    else
        problems+=("$bin: no summary line")
    fi
    if (( status == 124 || status == 137 )); then
        problems+=("$bin: timed out after $limit s (status $status)")
    elif (( status != 0 )); then
        problems+=("$bin: exited with status $status")
    fi
done

echo "host unit tests:"
echo "$total_pass passed, $total_fail failed"
[[ -z ${TEST_RESULTS:-} ]] || echo "$total_pass $total_fail host unit tests" >>"$TEST_RESULTS"
(( ${#problems[@]} == 0 )) && exit 0
printf 'host unit tests FAILED: %s\n' "${problems[@]}" >&2
exit 1
