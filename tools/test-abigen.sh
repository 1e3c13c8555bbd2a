#!/usr/bin/env bash
# Tests of the ABI generators: abi/invocations.tbl, abi/protocols/*.tbl and
# tests/unit/protocols/example.tbl must generate; each tests/abigen/
# invocations/*.tbl (abi/abigen.awk) and tests/abigen/protocols/*.tbl
# (abi/protogen.awk) is a mistake that must fail with the message its
# first line names ("# expect: ..."). The tables are given by their base
# names, as the messages show them. One line per test, then
# "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1
passed=0 failed=0
err=$(mktemp)
trap 'rm -f "$err"' EXIT

generates() { # generator output table
    (cd "$(dirname "$3")" && awk -v out="$2" -f "$OLDPWD/abi/$1.awk" "$(basename "$3")") >/dev/null 2>"$err"
}
good() { # generator outputs... -- table
    local gen=$1 f=${*: -1} o
    for o in "${@:2:$#-3}"; do
        if generates "$gen" "$o" "$f"; then
            echo "PASS: $f generates $o"; passed=$((passed + 1))
        else
            echo "FAIL: $f generates $o: $(head -1 "$err")"; failed=$((failed + 1))
        fi
    done
}
bad() { # generator output table
    local want name
    want=$(sed -n '1s/^# expect: //p' "$3")
    name=${3#tests/abigen/}
    if generates "$1" "$2" "$3"; then
        echo "FAIL: $name: accepted"; failed=$((failed + 1))
    elif grep -qF -- "$want" "$err"; then
        echo "PASS: $name"; passed=$((passed + 1))
    else
        echo "FAIL: $name: expected \"$want\", got: $(head -1 "$err")"; failed=$((failed + 1))
    fi
}

good abigen labels stubs dispatch -- abi/invocations.tbl
for f in abi/protocols/*.tbl tests/unit/protocols/example.tbl; do
    good protogen types stubs -- "$f"
done
for f in tests/abigen/invocations/*.tbl; do bad abigen stubs "$f"; done
for f in tests/abigen/protocols/*.tbl; do bad protogen types "$f"; done
echo "$passed passed, $failed failed"
[[ -z ${TEST_RESULTS:-} ]] || echo "$passed $failed ABI generator checks" >>"$TEST_RESULTS"
exit $((failed > 0))
