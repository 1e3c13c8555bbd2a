#!/usr/bin/env bash
# Counts the lines of C (.c, .h) and assembly (.S, .s) under the given
# directories, leaving out blank lines and lines holding only comments
# (/* */ blocks, which may span lines, and // comments; .S files go through
# cpp, so they use the same comments). Prints one row per directory that
# holds sources, then the total.
#
#   tools/tcb-size.sh DIR...      e.g. tools/tcb-size.sh kernel
set -euo pipefail

(( $# )) || { echo "usage: $0 DIR..." >&2; exit 2; }
mapfile -t files < <(find "$@" -type f \( -name '*.c' -o -name '*.h' -o -name '*.S' -o -name '*.s' \) | LC_ALL=C sort)
(( ${#files[@]} )) || { echo "tcb-size: no C or assembly files under: $*" >&2; exit 1; }

awk -v label="$*" '
FNR == 1 {
    inblock = 0
    dir = FILENAME; sub(/\/[^\/]*$/, "", dir)
    kind = (FILENAME ~ /\.[Ss]$/) ? "asm" : "c"
    if (!(dir in seen)) { seen[dir] = 1; dirs[++ndirs] = dir }
}
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
    if (code) { count[dir, kind]++; total[kind]++ }
}
END {
    # Directories in sorted order (the file list is sorted, but a parent
    # directory may come after its subdirectories).
    for (i = 2; i <= ndirs; i++)
        for (j = i; j > 1 && dirs[j - 1] > dirs[j]; j--) { t = dirs[j]; dirs[j] = dirs[j - 1]; dirs[j - 1] = t }
    printf "%-28s %7s %7s %7s\n", "directory", "C", "asm", "total"
    for (i = 1; i <= ndirs; i++) {
        d = dirs[i]
        printf "%-28s %7d %7d %7d\n", d, count[d, "c"], count[d, "asm"], count[d, "c"] + count[d, "asm"]
    }
    printf "%s TCB: %d lines (C: %d, assembly: %d)\n", label, total["c"] + total["asm"], total["c"], total["asm"]
}' "${files[@]}"
