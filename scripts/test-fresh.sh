#!/usr/bin/env bash
# The README's two commands on a fresh Debian 12 machine: a new minimal
# Debian root (debootstrap --variant=minbase, plus only git, make and
# ca-certificates), the project cloned into it from this clone's committed
# HEAD, then, inside it through chroot, as a user types them:
#
#   make test                    output on the console and in
#                                build/logs/fresh-test.log (of this clone)
#   make run                     driven by tools/fresh-run.exp to the host
#                                VM's shell, ended with `poweroff`; QEMU must
#                                end and make exit 0 (build/logs/fresh-run.log)
#
# Fails when either fails, or when either leaves a process behind (any
# process whose root is the fresh root once the command is over: named,
# stopped, counted as a failure). Needs root (re-runs itself through sudo
# otherwise); installs debootstrap and expect on this machine when missing.
#
# The bare root is built once and kept as a tarball in $FRESH_CACHE
# (/var/cache/icecap-fresh), with the inputs it was made from beside it
# (suite, mirror, packages, architecture); it is built again when they
# change. Each run extracts a new root from it into a temporary directory
# under $FRESH_TMPDIR (/var/tmp), with this machine's apt sources and its
# Acquire settings (e.g. Check-Valid-Until), DNS and /proc, /sys, /dev
# mounted; on every way out the mounts are undone and the root deleted.
#
# Variables:
#   FRESH_CACHE=DIR         where the tarball lives (/var/cache/icecap-fresh)
#   FRESH_TMPDIR=DIR        where each run's root is made (/var/tmp)
#   FRESH_SUITE=NAME        Debian suite (bookworm: Debian 12)
#   FRESH_MIRROR=URL        Debian mirror (default: from this machine's apt sources)
#   FRESH_REBUILD=1         build the tarball again even when it is up to date
#   FRESH_KEEP=1            keep the root afterwards (unmounted) to look at
#   FRESH_TEST_TIMEOUT=S    time limit of make test (2700 s)
#   FRESH_RUN_TIMEOUT=S     time limit of make run, to the shell and back (600 s)
# With debootstrap's own (900 s), a run that hits every limit still ends
# within CI's 90 minutes; a normal one takes 10 to 15 (about 4 more the
# first time, for debootstrap).
#
# The project's make test does not use ../shared, so it is not copied in.
# shellcheck disable=SC2317  # cleanup() and summary() run from the EXIT trap

# All of it in one block, which bash reads whole before running it: the
# script may be edited (or checked out anew) while a run is under way.
{
set -euo pipefail

say() { echo "fresh: $*"; }
die() { echo "fresh: error: $*" >&2; exit 1; }

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

if (( EUID != 0 )); then
    command -v sudo >/dev/null ||
        die "this needs root (chroot, mount, debootstrap) and sudo is not available: run it as root"
    say "not root: running again through sudo"
    exec sudo --preserve-env=FRESH_CACHE,FRESH_TMPDIR,FRESH_SUITE,FRESH_MIRROR,FRESH_REBUILD,FRESH_KEEP,FRESH_TEST_TIMEOUT,FRESH_RUN_TIMEOUT,TERM \
        bash "$repo/scripts/test-fresh.sh" "$@"
fi

suite=${FRESH_SUITE:-bookworm}
cache=${FRESH_CACHE:-/var/cache/icecap-fresh}
tmpbase=${FRESH_TMPDIR:-/var/tmp}
keep=${FRESH_KEEP:-0}
test_timeout=${FRESH_TEST_TIMEOUT:-2700}
run_timeout=${FRESH_RUN_TIMEOUT:-600}
bootstrap_timeout=900
packages=(ca-certificates git make)
min_free_gib=4
inner_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
test_log=$repo/build/logs/fresh-test.log
run_log=$repo/build/logs/fresh-run.log

# ---------------------------------------------------------------- bookkeeping
work=""          # this run's temporary directory; the root is $work/root
root=""
bg=""            # the background job running the current stage
declare -a stage_names=() stage_times=() failures=() owned=()
stage=""         # the stage under way, and when it began
stage_start=0
begin_stage() { stage=$1; stage_start=$SECONDS; }
end_stage() {
    stage_names+=("$stage${1:+ $1}")
    stage_times+=($((SECONDS - stage_start)))
    stage=""
}

# Processes whose root directory is $1 (the fresh root) or a directory in it.
procs_in_root() {
    local top=${1:-$root} dir r
    [[ -n $top ]] || return 0
    for dir in /proc/[0-9]*; do
        r=$(readlink "$dir/root" 2>/dev/null) || continue
        [[ $r == "$top" || $r == "$top"/* ]] && echo "${dir#/proc/}"
    done
    return 0
}
# Stops every process in root $1 (the fresh root): TERM, then KILL after 5 s.
stop_procs_in_root() {
    local top=${1:-$root} pids i
    pids=$(procs_in_root "$top")
    [[ -n $pids ]] || return 0
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        [[ -z $(procs_in_root "$top") ]] && return 0
        sleep 0.1
    done
    pids=$(procs_in_root "$top")
    # shellcheck disable=SC2086
    [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
    sleep 0.5
}
# After a command: any process still in the root was left behind by it.
check_leftovers() {    # $1: the command, for the message
    local pids p
    pids=$(procs_in_root)
    if [[ -z $pids ]]; then
        say "$1 left no process behind"
        return 0
    fi
    echo "fresh: error: $1 left processes behind in the root (stopping them):" >&2
    for p in $pids; do
        echo "fresh:   $p $(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | cut -c1-200)" >&2
    done
    stop_procs_in_root
    failures+=("$1 left processes behind")
}

# Mount points at or under directory $1, deepest first.
mounts_under() {
    awk -v d="$1" '{ m = $5; gsub(/\\040/, " ", m); if (m == d || index(m, d "/") == 1) print m }' \
        /proc/self/mountinfo | sort -r
}
unmount_under() {      # $1: directory; true when nothing is mounted there any more
    local m
    [[ -z $(mounts_under "$1") ]] && return 0
    while read -r m; do
        [[ -n $m ]] && umount "$m" 2>/dev/null
    done < <(mounts_under "$1")
    if [[ -n $(mounts_under "$1") ]]; then
        say "some mounts are busy; detaching them lazily"
        while read -r m; do
            [[ -n $m ]] && umount -l "$m" 2>/dev/null
        done < <(mounts_under "$1")
    fi
    [[ -z $(mounts_under "$1") ]]
}

summary() {
    local i
    (( ${#stage_names[@]} )) || return 0
    say "durations:"
    for i in "${!stage_names[@]}"; do
        printf 'fresh:   %-40s %4d s (%d min %02d s)\n' "${stage_names[$i]}" "${stage_times[$i]}" \
            $((stage_times[i] / 60)) $((stage_times[i] % 60))
    done
}

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    [[ -z $stage ]] || end_stage "(cut short)"
    if [[ -n $bg ]] && kill -0 "$bg" 2>/dev/null; then
        kill -TERM "$bg" 2>/dev/null
    fi
    if [[ -n $work && -d $work ]]; then
        if [[ -n $root ]]; then
            stop_procs_in_root
        fi
        say "unmounting and cleaning up"
        if ! unmount_under "$work"; then
            echo "fresh: error: could not unmount everything under $work; it is left in place:" >&2
            mounts_under "$work" >&2
            rc=1
        elif [[ $keep == 1 && -n $root && -d $root ]]; then
            touch "$work/keep"
            say "the root is kept (FRESH_KEEP=1): $root (delete $work when done)"
        else
            say "removing $work"
            begin_stage "removal of the root"
            rm -rf --one-file-system "$work"
            end_stage
        fi
    fi
    if [[ -n ${SUDO_UID:-} ]]; then
        chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "${owned[@]}" 2>/dev/null
    fi
    summary
    if (( rc == 0 )); then
        say "passed: make test and make run on a fresh Debian root"
    else
        echo "fresh: FAILED" >&2
        for f in "${failures[@]}"; do echo "fresh:   $f" >&2; done
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'failures+=("interrupted (SIGINT)"); exit 130' INT
trap 'failures+=("terminated (SIGTERM)"); exit 143' TERM

# Runs "$@" in the background and waits for it, so that a signal to this
# script is acted upon at once (bash runs traps only between commands).
# With --log FILE first, its output goes to FILE (a redirection of the call
# itself would also take the clean-up's messages, run from a trap inside).
run_bg() {
    local rc=0
    if [[ $1 == --log ]]; then
        "${@:3}" >"$2" 2>&1 </dev/null &
    else
        "$@" </dev/null &
    fi
    bg=$!
    wait "$bg" || rc=$?
    bg=""
    return "$rc"
}

# ---------------------------------------------------------------- this machine
as_apt() { env DEBIAN_FRONTEND=noninteractive apt-get -q "$@"; }
missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v expect >/dev/null || missing+=(expect)
if (( ${#missing[@]} )); then
    say "installing on this machine: ${missing[*]}"
    apt_log=$(mktemp /tmp/icecap-fresh-apt.XXXXXX)
    if ! { as_apt update && as_apt install -y --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
        tail -n 20 "$apt_log" >&2
        die "apt-get could not install ${missing[*]} (the last lines of its output are above)"
    fi
    rm -f "$apt_log"
fi
for tool in git tar chroot mount umount mountpoint flock timeout df awk; do
    command -v "$tool" >/dev/null || die "'$tool' is missing on this machine"
done
git_outer() { git -c safe.directory='*' "$@"; }
head_sha=$(git_outer -C "$repo" rev-parse --verify HEAD 2>/dev/null) ||
    die "$repo is not a git clone with a commit: the fresh root gets the committed HEAD"
if [[ -n $(git_outer -C "$repo" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
    say "note: the work tree has uncommitted changes; the fresh root gets the committed HEAD only"
fi

# The mirror: the first deb source of the suite in this machine's apt sources.
host_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        awk -v suite="$suite" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") &&
                    tolower(enabled) !~ /no/ && uris != "") {
                    split(uris, u, " "); print u[1]; done = 1; exit
                }
                types = suites = uris = enabled = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            { key = tolower($1); $1 = "" }
            key == "types:" { types = $0 } key == "suites:" { suites = $0 }
            key == "uris:" { uris = $0 } key == "enabled:" { enabled = $0 }
            END { if (!done) flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f $f ]] || continue
        awk -v suite="$suite" '$1 == "deb" {
            i = 2
            if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
            if ($(i + 1) == suite) { print $i; exit } }' "$f"
    done
}
mirror=${FRESH_MIRROR:-$(host_mirror | head -n 1)}
mirror=${mirror%/}
[[ -n $mirror ]] || die "no deb source for '$suite' in this machine's apt sources (/etc/apt/sources.list.d): set FRESH_MIRROR"
arch=$(dpkg --print-architecture)

# Through sudo, the logs (and build/ when this makes it) go to the user.
owned=()
[[ -d $repo/build ]] || owned+=("$repo/build")
[[ -d $repo/build/logs ]] || owned+=("$repo/build/logs")
owned+=("$test_log" "$run_log")
mkdir -p "$cache" "$tmpbase" "$repo/build/logs"
avail_kib=$(df --output=avail -k "$tmpbase" | tail -n 1 | tr -d ' ')
(( avail_kib >= min_free_gib * 1024 * 1024 )) ||
    die "only $((avail_kib / 1024)) MiB free in $tmpbase; a fresh run needs $min_free_gib GiB: set FRESH_TMPDIR to a disk with room"
# A root left by a run that was killed (SIGKILL: no clean-up): its
# processes stopped, its mounts undone, the directory removed.
for old in "$tmpbase"/icecap-fresh.*/; do
    old=${old%/}
    [[ -f $old/pid ]] || continue
    pid=$(cat "$old/pid" 2>/dev/null || true)
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && continue    # a run still going on
    [[ -f $old/keep ]] && continue                                      # kept on purpose
    old=$(realpath "$old")
    say "removing $old, left by a run that did not end cleanly"
    stop_procs_in_root "$old/root"
    if unmount_under "$old"; then
        rm -rf --one-file-system "$old"
    else
        say "warning: could not unmount everything under $old; leaving it"
    fi
done
work=$(mktemp -d "$tmpbase/icecap-fresh.XXXXXX")
chmod 755 "$work"
echo $$ >"$work/pid"
root=$(realpath "$work")/root

# ---------------------------------------------------------------- the bare root, cached
tarball=$cache/$suite-minbase.tar.gz
inputs_file=$cache/$suite-minbase.inputs
inputs=$(printf '%s\n' "format=1" "suite=$suite" "variant=minbase" "mirror=$mirror" "arch=$arch" \
                        "packages=${packages[*]}")

exec 9>"$cache/lock"
if ! flock -n 9; then
    say "another run is using $cache; waiting for it"
    flock 9
fi
begin_stage "extraction of the cached root"
if [[ ${FRESH_REBUILD:-0} != 1 && -f $tarball && -f $inputs_file && $(cat "$inputs_file") == "$inputs" ]]; then
    say "using the cached root $tarball (made $(date -r "$tarball" '+%Y-%m-%d %H:%M'))"
else
    if [[ ${FRESH_REBUILD:-0} == 1 ]]; then
        say "building the root again (FRESH_REBUILD=1)"
    elif [[ -f $tarball ]]; then
        say "the cached root was made from other inputs; building it again"
    fi
    bootstrap=$work/bootstrap
    begin_stage "debootstrap and packing"
    say "debootstrap --variant=minbase --include=${packages[*]} $suite from $mirror (a few minutes)"
    if ! run_bg --log "$work/debootstrap.log" timeout -k 30 "$bootstrap_timeout" debootstrap --variant=minbase \
            --include="$(IFS=,; echo "${packages[*]}")" "$suite" "$bootstrap" "$mirror"; then
        tail -n 30 "$work/debootstrap.log" >&2
        die "debootstrap failed or took over $bootstrap_timeout s (the last lines of its log are above)"
    fi
    unmount_under "$bootstrap" || die "could not unmount what debootstrap left mounted in $bootstrap"
    rm -rf "$bootstrap"/var/cache/apt/archives/*.deb "$bootstrap"/var/lib/apt/lists/*
    say "packing it into $tarball"
    run_bg tar --numeric-owner -C "$bootstrap" -czf "$tarball.tmp" . || die "tar of the new root failed"
    mv -f "$tarball.tmp" "$tarball"
    printf '%s\n' "$inputs" >"$inputs_file"
    rm -rf --one-file-system "$bootstrap"
    end_stage
    begin_stage "extraction of the new root"
fi
say "extracting a new root into $root"
mkdir "$root"
if ! run_bg tar --numeric-owner -C "$root" -xzf "$tarball"; then
    rm -f "$tarball" "$inputs_file"
    die "extracting $tarball failed; it is deleted, so that the next run builds it again"
fi
flock -u 9
exec 9>&-
end_stage

# ---------------------------------------------------------------- set up the root
begin_stage "set-up of the root"
say "carrying over this machine's apt sources, Acquire settings and DNS"
rm -f "$root/etc/apt/sources.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    cp "$f" "$root$f"
    # the keyrings they name, when the root lacks them
    for k in $(awk 'tolower($1) == "signed-by:" { print $2 } { while (match($0, /signed-by=[^] ]+/)) {
                   print substr($0, RSTART + 10, RLENGTH - 10); $0 = substr($0, RSTART + RLENGTH) } }' "$f"); do
        [[ $k == /* && -f $k && ! -e $root$k ]] && { mkdir -p "$(dirname "$root$k")"; cp "$k" "$root$k"; }
    done
done
apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date|Max-ValidTime|Retries|(https?|ftp)::Proxy)' \
    >"$root/etc/apt/apt.conf.d/99icecap-fresh-host" || true
rm -f "$root/etc/resolv.conf"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
[[ -s $root/etc/hosts ]] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# No daemon a package brings is started inside the root (a chroot has no init).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

say "cloning $repo at ${head_sha:0:12} into the root's /root/icecap"
git_outer clone -q --no-hardlinks "$repo" "$root/root/icecap" || die "git clone into the root failed"
if [[ $(git -C "$root/root/icecap" rev-parse HEAD) != "$head_sha" ]]; then
    git -C "$root/root/icecap" checkout -q --detach "$head_sha" || die "cannot check out $head_sha in the root"
fi

say "mounting /proc, /sys and /dev in the root"
mount -t proc proc "$root/proc" || die "cannot mount proc in the root"
mount -t sysfs sysfs "$root/sys" || die "cannot mount sysfs in the root"
mount --rbind /dev "$root/dev" || die "cannot bind /dev into the root"
mount --make-rslave "$root/dev" || die "cannot make the root's /dev a slave mount"
if ! mountpoint -q "$root/dev/pts"; then
    mkdir -p "$root/dev/pts"
    mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts" || die "cannot mount devpts in the root"
fi
# A command inside the root, with a user's login environment.
inner=(chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root PATH="$inner_path"
       TERM="${TERM:-dumb}" LANG=C.UTF-8 bash -lc)
"${inner[@]}" 'test -c /dev/null && test -c /dev/ptmx && test -d /dev/pts && test -d /proc/self' ||
    die "the root's /dev or /proc does not work"
end_stage

# judge NAME TIMEOUT STATUS PASS-MESSAGE: say how a command ended; a timeout
# (status 124) or any other failure is added to the failures
judge() {
    if (( $3 == 124 )); then
        say "$1 did not finish within $2 s"
        failures+=("$1 timed out after $2 s")
    elif (( $3 != 0 )); then
        say "$1 failed (exit status $3)"
        failures+=("$1 failed (exit status $3)")
    else
        say "$4"
    fi
}

# ---------------------------------------------------------------- make test
say "make test inside the root, as a user types it (log: ${test_log#"$repo"/})"
begin_stage "make test"
rc=0
run_bg bash -c 'set -o pipefail; "$@" 2>&1 | tee "$0"' "$test_log" \
    timeout -k 30 "$test_timeout" "${inner[@]}" 'cd /root/icecap && make test' || rc=$?
end_stage
judge "make test" "$test_timeout" "$rc" "make test passed"
check_leftovers "make test"

# ---------------------------------------------------------------- make run
say "make run inside the root, driven to the host VM's shell, then poweroff (log: ${run_log#"$repo"/})"
begin_stage "make run (to the shell, then poweroff)"
rc=0
run_bg timeout -k 30 "$run_timeout" expect "$repo/tools/fresh-run.exp" "$run_log" \
    "${inner[@]}" 'cd /root/icecap && make run' || rc=$?
end_stage
judge "make run" "$run_timeout" "$rc" "make run passed: the host VM's shell came up and poweroff ended QEMU and make"
check_leftovers "make run"

(( ${#failures[@]} == 0 )) || exit 1
exit 0
}
