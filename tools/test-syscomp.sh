#!/usr/bin/env bash
# Tests of the system description compiler: system/*.system must compile;
# each tests/syscomp/*.system is a mistake that must fail with the message
# its first line names ("# expect: ..."). One line per test, then
# "N passed, N failed".
set -u
syscomp=$1
passed=0 failed=0
out=$(mktemp -d) err=$(mktemp)
trap 'rm -rf "$out" "$err"' EXIT
for f in system/*.system; do
    if "$syscomp" "$f" "$out" build/elf 2>"$err"; then
        echo "PASS: $f compiles"; passed=$((passed + 1))
    else
        echo "FAIL: $f compiles: $(head -1 "$err")"; failed=$((failed + 1))
    fi
done
for f in tests/syscomp/*.system; do
    want=$(sed -n '1s/^# expect: //p' "$f")
    name=$(basename "$f" .system)
    if "$syscomp" "$f" "$out" build/elf 2>"$err"; then
        echo "FAIL: $name: accepted"; failed=$((failed + 1))
    elif grep -qF -- "$want" "$err"; then
        echo "PASS: $name"; passed=$((passed + 1))
    else
        echo "FAIL: $name: expected \"$want\", got: $(head -1 "$err")"; failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[[ -z ${TEST_RESULTS:-} ]] || echo "$passed $failed system description checks" >>"$TEST_RESULTS"
exit $((failed > 0))
