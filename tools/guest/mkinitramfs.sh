#!/usr/bin/env bash
# Builds OUT/initramfs.cpio.gz, the host VM's initramfs, from the Debian
# packages that scripts/fetch-guest.sh unpacked into OUT/root, where OUT is
# the kernel's output directory: GUEST_OUT when set, else what
# `scripts/fetch-guest.sh --out` says for GUEST_KERNEL_PACKAGE (build/guest for
# the default kernel, build/guest-NAME for another; see that script).
#
#   /bin/busybox               busybox-static; /init links the applets at boot
#   /bin/sh -> busybox         the interpreter of /init
#   /init                      tools/guest/init
#   /etc/udhcpc.script         tools/guest/udhcpc.script
#   /bin/icecap-host           build/linux/icecap-host (mk/linux.mk builds it
#                              first), the realm tool (docs/icecap-host.md)
#   /bin/create-realm -> icecap-host
#   /lib/modules/*.ko          virtio_mmio, virtio_net, virtio_console,
#                              virtio_blk and every module they depend on,
#                              decompressed if the kernel ships .ko.xz/.zst/.gz
#                              (with xz, zstd or gzip)
#   /lib/modules/load-order    those modules, dependencies first
#
# The kernel's modules are under lib/modules/KVER/ (Debian 12) or
# usr/lib/modules/KVER/ (Debian 13). A wanted module or a dependency that the
# kernel has built in (listed in its modules.builtin) is left out, and out of
# load-order; one neither built in nor found is an error.
#
# Dependencies come from each module's own .modinfo "depends=" field (the
# linux-image package has no modules.dep: depmod runs only when the package is
# installed), read with the cross binutils' objcopy. Silent when the initramfs
# is newer than all of its inputs.
set -euo pipefail

cd "$(dirname "$0")/../.."
die() { echo "mkinitramfs: error: $*" >&2; exit 1; }

out=${GUEST_OUT:-$(scripts/fetch-guest.sh --out)}
root=$out/root
stage=$out/initramfs.d
image=$out/initramfs.cpio.gz
objcopy=${CROSS:-aarch64-linux-gnu-}objcopy
icecap_host=build/linux/icecap-host
wanted=(virtio_mmio virtio_net virtio_console virtio_blk)

[[ -f $root/.unpacked ]] || die "$root is missing; run scripts/fetch-guest.sh first (with the same GUEST_KERNEL_PACKAGE)"
busybox=$root/bin/busybox
[[ -x $busybox ]] || busybox=$root/usr/bin/busybox
[[ -x $busybox ]] || die "no $root/bin/busybox (busybox-static:arm64)"
for tool in cpio gzip find "$objcopy"; do
    command -v "$tool" >/dev/null || die "'$tool' is missing (run scripts/setup.sh)"
done
[[ -x $icecap_host ]] || die "$icecap_host is missing; run 'make $icecap_host' first"
inputs=("$0" tools/guest/init tools/guest/udhcpc.script "$root/.unpacked" "$icecap_host")
if [[ -f $image ]] && [[ -z $(find "${inputs[@]}" -newer "$image") ]]; then
    exit 0
fi

moddirs=()
for d in "$root"/lib/modules/*/ "$root"/usr/lib/modules/*/; do
    [[ -d $d ]] && moddirs+=("${d%/}")
done
(( ${#moddirs[@]} == 1 )) ||
    die "expected exactly one kernel under $root/lib/modules or $root/usr/lib/modules, found ${#moddirs[@]}"
moddir=${moddirs[0]}
kver=${moddir##*/}

# Every module of the kernel by name ("-" and "_" are the same in names).
declare -A path_of=()
while IFS= read -r -d '' f; do
    name=${f##*/}; name=${name%%.ko*}; name=${name//-/_}
    path_of[$name]=$f
done < <(find "$moddir" -type f \( -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz' \) -print0)

# The modules the kernel has built in (modules.builtin: one path a line,
# such as kernel/drivers/char/virtio_console.ko).
declare -A is_builtin=()
if [[ -f $moddir/modules.builtin ]]; then
    while IFS= read -r f; do
        name=${f##*/}; name=${name%%.ko*}
        [[ -n $name ]] && is_builtin[${name//-/_}]=1
    done < "$moddir/modules.builtin"
fi

rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root,lib/modules}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# decompress TOOL SRC DST: TOOL -dc SRC > DST, TOOL being needed only now.
decompress() {
    command -v "$1" >/dev/null || die "'$1' is missing to decompress $2 (run scripts/setup.sh)"
    "$1" -dc "$2" > "$3"
}
# copy_module NAME: puts NAME.ko (uncompressed: busybox insmod may not
# decompress) into the initramfs after its dependencies, depth first; a
# module built into the kernel is only noted.
declare -A state=()   # visiting | done
order=()
built_in=()
copy_module() {
    local name=$1 src dst deps dep
    [[ ${state[$name]-} == "done" ]] && return
    [[ ${state[$name]-} == visiting ]] && die "module dependency cycle at $name"
    if [[ -n ${is_builtin[$name]-} ]]; then
        state[$name]="done"
        built_in+=("$name")
        return
    fi
    state[$name]=visiting
    src=${path_of[$name]-}
    [[ -n $src ]] || die "module $name is not in $kver (neither built in nor found under $moddir)"
    dst=$stage/lib/modules/$name.ko
    case $src in
        *.ko)     cp "$src" "$dst" ;;
        *.ko.xz)  decompress xz "$src" "$dst" ;;
        *.ko.zst) decompress zstd "$src" "$dst" ;;
        *.ko.gz)  decompress gzip "$src" "$dst" ;;
    esac || die "cannot copy or decompress $src"
    "$objcopy" -O binary --only-section=.modinfo "$dst" "$tmp/modinfo" ||
        die "cannot read .modinfo of $src"
    grep -qa "^vermagic=$kver " <(tr '\0' '\n' < "$tmp/modinfo") ||
        die "$src was not built for $kver"
    deps=$(tr '\0' '\n' < "$tmp/modinfo" | sed -n 's/^depends=//p')
    for dep in ${deps//,/ }; do
        copy_module "${dep//-/_}"
    done
    state[$name]="done"
    order+=("$name.ko")
}
for m in "${wanted[@]}"; do
    copy_module "$m"
done
printf '%s\n' "${order[@]}" > "$stage/lib/modules/load-order"

cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 755 tools/guest/init "$stage/init"
install -m 755 tools/guest/udhcpc.script "$stage/etc/udhcpc.script"
install -m 755 "$icecap_host" "$stage/bin/icecap-host"
ln -s icecap-host "$stage/bin/create-realm"

(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
    cpio --null -o -H newc --owner=0:0 --quiet) | gzip -9 -n > "$image.tmp" ||
    die "cpio or gzip failed"
mv "$image.tmp" "$image"
echo "mkinitramfs: $image ($(( $(stat -c %s "$image") / 1024 )) KiB; kernel $kver; modules: ${order[*]%.ko}${built_in[*]:+; built in: ${built_in[*]}})"
