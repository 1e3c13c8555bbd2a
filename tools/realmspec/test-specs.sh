#!/usr/bin/env bash
# The realm specs make test-realms hands the host VM (on a virtio disk, as
# a tar file): small realms built from the fake Image
# (tools/realmspec/fake-image.sh) and a test VMM ELF (any aarch64 ELF of
# the build: they are built and destroyed, never run), one too large for
# the resource server's pool, and broken copies of the first, each breaking
# one rule: truncated, a changed byte of content, an unknown version, a
# count that overflows, garbage; and tools/realmspec/hostile-requests.sh,
# which the test runs in the host VM. measurements.txt lists the good specs'
# measurements ("NAME HEX"), which the resource server must report.
#   tools/realmspec/test-specs.sh OUT.tar REALMSPEC VMM.elf
set -eu
out=$1 tool=$2 elf=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
tools/realmspec/fake-image.sh "$dir/Image"
printf 'an initramfs, in a way' >"$dir/initramfs"
cp "$elf" "$dir/vmm.elf"
realm() {   # NAME MEMORY VCPUS [more lines]
    local name=$1 memory=$2 vcpus=$3
    shift 3
    { printf 'realm %s\n    memory %s\n    vcpus %s\n    kernel Image\n    vmm vmm.elf\n' "$name" "$memory" "$vcpus"
      for line in "$@"; do printf '    %s\n' "$line"; done; } >"$dir/$name.realm"
    "$tool" "$dir/$name.realm" "$dir/$name.spec" >/dev/null
}
realm small 4M 1
realm two 8M 2 "initramfs initramfs" 'bootargs "console=ttyAMA0"' console
realm huge 1G 1
: >"$dir/measurements.txt"
for name in small two huge; do
    echo "$name $("$tool" --check "$dir/$name.spec" | sed -n 's/^measurement //p')" >>"$dir/measurements.txt"
done

patch() {   # FILE OFFSET BYTES(printf format)
    printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
size=$(stat -c %s "$dir/small.spec")
head -c $((size - 100)) "$dir/small.spec" >"$dir/truncated.spec"
cp "$dir/small.spec" "$dir/digest.spec"
patch "$dir/digest.spec" $((size - 1)) '\125'
cp "$dir/small.spec" "$dir/version.spec"
patch "$dir/version.spec" 8 '\2'
# the object table's count (header offset 64 + 4)
cp "$dir/small.spec" "$dir/count.spec"
patch "$dir/count.spec" 68 '\377\377\377\377'
head -c 8192 /dev/zero | tr '\0' 'x' >"$dir/garbage.spec"
rm -f "$dir"/*.realm "$dir/Image" "$dir/initramfs" "$dir/vmm.elf"
# requests written by hand into the device, run in the host VM
cp tools/realmspec/hostile-requests.sh "$dir/"
mkdir -p "$(dirname "$out")"
cp "$dir/measurements.txt" "${out%.tar}.measurements"
tar -cf "$out.tmp" -C "$dir" .
mv "$out.tmp" "$out"
