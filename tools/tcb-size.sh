#!/usr/bin/env bash
# The size of the TCB, part by part: lines of C (.c, .h) and assembly (.S,
# .s), leaving out blank lines and lines holding only comments (/* */
# blocks, which may span lines, and // comments; .S files go through cpp,
# so they use the same comments). docs/tcb.md says what is counted and why.
#
#   tools/tcb-size.sh PART... [-- PART...]
#   e.g. tools/tcb-size.sh kernel=kernel+include/icecap loader=components/loader \
#            -- host-vmm=components/host-vmm
#
# A PART is NAME=DIR[+DIR...]. The parts before -- are the TCB, those after
# it are shown apart, as not in the TCB. A part that is a program (a folder
# under components/) also uses libraries (lib/LIB): libicecap, whose
# start-up code every program runs, and each library whose headers
# (lib/LIB/include/...) its files include, directly or through a library it
# uses (mk/user.mk links every library into every program and the linker
# takes what is used; code of a library is used only through its headers).
# Each library is a row of its own, counted once, with the parts that use
# it: in the TCB when a TCB part uses it.
set -euo pipefail
usage() { echo "usage: $0 NAME=DIR[+DIR...]... [-- NAME=DIR[+DIR...]...]" >&2; exit 2; }
die() { echo "tcb-size: $*" >&2; exit 1; }

names=() dirs=() in_tcb=()
tcb=1
for a in "$@"; do
    if [[ $a == -- ]]; then (( tcb )) || usage; tcb=0; continue; fi
    [[ $a =~ ^([A-Za-z0-9_.-]+)=([^=]+)$ ]] || usage
    names+=("${BASH_REMATCH[1]}") dirs+=("${BASH_REMATCH[2]}") in_tcb+=("$tcb")
done
(( ${#names[@]} )) || usage

# sources DIR...: the C and assembly files under them, sorted
sources() {
    find "$@" -type f \( -name '*.c' -o -name '*.h' -o -name '*.S' -o -name '*.s' \) | LC_ALL=C sort
}

# libs_included DIR...: the libraries whose headers the files under DIR
# include, one a line (an #include <X> is lib/LIB's when lib/LIB/include/X
# exists)
libs_included() {
    local h l
    { sources "$@" | xargs -r grep -ho '^[[:space:]]*#[[:space:]]*include[[:space:]]*<[^>]*>' || true; } |
        sed 's/.*<\(.*\)>/\1/' | LC_ALL=C sort -u |
        while read -r h; do
            for l in lib/*/; do
                l=${l%/}
                if [[ -f $l/include/$h ]]; then echo "${l#lib/}"; fi
            done
        done | LC_ALL=C sort -u
}

# The libraries of each program part, closed over the libraries' own use
# of others.
declare -A part_libs=() lib_users=() lib_in_tcb=()
lib_order=()
for i in "${!names[@]}"; do
    IFS=+ read -ra part_dirs <<< "${dirs[i]}"
    is_program=0
    for d in "${part_dirs[@]}"; do
        [[ -d $d ]] || die "${names[i]}: no folder $d"
        if [[ $d == components/* ]]; then is_program=1; fi
    done
    [[ -n $(sources "${part_dirs[@]}") ]] || die "${names[i]}: no C or assembly files under ${dirs[i]//+/ }"
    (( is_program )) || continue
    mapfile -t todo < <({ [[ -d lib/icecap ]] && echo icecap; libs_included "${part_dirs[@]}"; } | LC_ALL=C sort -u)
    declare -A have=()
    while (( ${#todo[@]} )); do
        l=${todo[0]}; todo=("${todo[@]:1}")
        [[ -z ${have[$l]:-} ]] || continue
        have[$l]=1
        mapfile -t -O "${#todo[@]}" todo < <(libs_included "lib/$l")
    done
    part_libs[$i]="${!have[*]}"
    unset have
    for l in ${part_libs[$i]}; do
        if [[ -z ${lib_users[$l]:-} ]]; then lib_order+=("$l"); lib_users[$l]=${names[i]}
        else lib_users[$l]+=", ${names[i]}"; fi
        if (( in_tcb[i] )); then lib_in_tcb[$l]=1; fi
    done
done
if (( ${#lib_order[@]} )); then mapfile -t lib_order < <(printf '%s\n' "${lib_order[@]}" | LC_ALL=C sort); fi

# count DIR...: "C asm" lines of code under the folders
count() {
    local files
    mapfile -t files < <(sources "$@")
    (( ${#files[@]} )) || die "no C or assembly files under: $*"
    awk '
    FNR == 1 { inblock = 0; kind = (FILENAME ~ /\.[Ss]$/) ? "asm" : "c" }
    {
        # Scan the line, noting whether anything outside a comment is on it.
        code = 0; quote = ""; n = length($0)
        for (i = 1; i <= n; i++) {
            ch = substr($0, i, 1); two = substr($0, i, 2)
            if (inblock) {
                if (two == "*/") { inblock = 0; i++ }
            } else if (quote != "") {
                if (ch == "\\") i++
                else if (ch == quote) quote = ""
            } else if (two == "/*") { inblock = 1; i++
            } else if (two == "//") { break
            } else if (ch == "\"" || ch == "\047") { quote = ch; code = 1
            } else if (ch !~ /[ \t\r\f\v]/) { code = 1 }
        }
        if (code) total[kind]++
    }
    END { print total["c"] + 0, total["asm"] + 0 }' "${files[@]}"
}

# line NAME C ASM TOTAL [WHAT]
line() { printf '%-16s %7s %7s %7s%s\n' "$1" "$2" "$3" "$4" "${5:+   $5}"; }
# row NAME WHAT DIR...: prints the row, adds it to the section's sums
sum_c=0 sum_asm=0
row() {
    local name=$1 what=$2 n c a
    shift 2
    n=$(count "$@")
    read -r c a <<< "$n"
    line "$name" "$c" "$a" "$((c + a))" "$what"
    sum_c=$((sum_c + c)) sum_asm=$((sum_asm + a))
}
where() { local d s=""; for d in "$@"; do s+="${s:+ }$d/"; done; echo "$s"; }

section() {
    local tcb=$1 i l
    sum_c=0 sum_asm=0
    for i in "${!names[@]}"; do
        (( in_tcb[i] == tcb )) || continue
        IFS=+ read -ra part_dirs <<< "${dirs[i]}"
        row "${names[i]}" "$(where "${part_dirs[@]}")" "${part_dirs[@]}"
    done
    for l in "${lib_order[@]}"; do
        [[ ${lib_in_tcb[$l]:-0} == "$tcb" ]] || continue
        row "lib$l" "lib/$l/, used by ${lib_users[$l]}" "lib/$l"
    done
}

line "TCB" "C" "asm" "total" "what"
section 1
line "TCB total" "$sum_c" "$sum_asm" "$((sum_c + sum_asm))"
if [[ " ${in_tcb[*]} " == *" 0 "* ]]; then
    echo
    line "not in the TCB" "C" "asm" "total" "what"
    section 0
fi
