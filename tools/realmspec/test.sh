#!/usr/bin/env bash
# Tests of the realm description compiler (docs/realm-spec.md). Each
# tests/realmspec/*.realm is copied into a scratch folder next to a small
# arm64 Image, an initramfs and the realm VMM's ELF (any aarch64 ELF of the
# build: only test input). A description whose first line is
# "# expect: MESSAGE" is a mistake: the compiler must fail with MESSAGE and
# leave no output file (a stale one is put there first). Any other must
# compile, pass the checker (--check), and compile to the same bytes twice.
# One line per test, then "N passed, N failed". With REALMSPEC_KEEP=DIR the
# good specs are kept there (make fuzz-realmspec's seeds).
#
#   tools/realmspec/test.sh build/tools/realmspec path/to/some-aarch64.elf
set -u
tool=$1 elf=$2
passed=0 failed=0
dir=$(mktemp -d) err=$(mktemp)
trap 'rm -rf "$dir" "$err"' EXIT
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); }

tools/realmspec/fake-image.sh "$dir/Image"
printf 'an initramfs, in a way' >"$dir/initramfs"
cp "$elf" "$dir/vmm.elf"

for f in tests/realmspec/*.realm; do
    name=$(basename "$f" .realm)
    want=$(sed -n '1s/^# expect: //p' "$f")
    cp "$f" "$dir/$name.realm"
    out=$dir/$name.spec
    if [[ -n $want ]]; then
        echo stale >"$out"
        if "$tool" "$dir/$name.realm" "$out" >/dev/null 2>"$err"; then
            fail "$name: accepted"
        elif ! grep -qF -- "$want" "$err"; then
            fail "$name: expected \"$want\", got: $(head -1 "$err")"
        elif ! grep -q "^$dir/$name.realm:[0-9]*: " "$err"; then
            fail "$name: the message has no file:line: $(head -1 "$err")"
        elif [[ -e $out || -e $out.tmp ]]; then
            fail "$name: an output file was left behind"
        else
            pass "$name"
        fi
        continue
    fi
    if ! "$tool" "$dir/$name.realm" "$out" >/dev/null 2>"$err"; then
        fail "$name compiles: $(head -1 "$err")"
    elif ! "$tool" --check "$out" >"$err" 2>&1 || ! grep -q '^measurement [0-9a-f]\{64\}$' "$err"; then
        fail "$name passes the checker: $(head -1 "$err")"
    elif ! "$tool" "$dir/$name.realm" "$out.again" >/dev/null 2>&1 || ! cmp -s "$out" "$out.again"; then
        fail "$name compiles to the same bytes twice"
    else
        pass "$name compiles and passes the checker"
        [[ -z ${REALMSPEC_KEEP:-} ]] || cp "$out" "$REALMSPEC_KEEP/"
    fi
done
# A spec with one byte changed in its data is refused.
if [[ -e $dir/good-demo.spec ]]; then
    size=$(stat -c %s "$dir/good-demo.spec")
    printf '\x55' | dd of="$dir/good-demo.spec" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
    if "$tool" --check "$dir/good-demo.spec" >/dev/null 2>"$err"; then
        fail "a changed chunk is refused: accepted"
    elif grep -q RS_ERR_DIGEST "$err"; then
        pass "a changed chunk is refused"
    else
        fail "a changed chunk is refused: $(head -1 "$err")"
    fi
fi
echo "$passed passed, $failed failed"
[[ -z ${TEST_RESULTS:-} ]] || echo "$passed $failed realm description checks" >>"$TEST_RESULTS"
exit $((failed > 0))
