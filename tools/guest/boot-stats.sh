#!/usr/bin/env bash
# Where the CPUs of the kernel wait for each other during a host VM boot:
# runs tools/guest/boot-stats.exp and names the code behind each cross-CPU
# request (addr2line on the kernel's ELF file). Usage:
#   boot-stats.sh kernel.elf qemu-command...
set -euo pipefail
elf=$1; shift
here=$(dirname "$0")
"$here/boot-stats.exp" "$@" | while read -r line; do
    if [[ $line =~ ^smp-stats:\ request\ ([0-9a-f]+):\ (.*)$ ]]; then
        # the function the call is in, after the functions inlined into it
        where=$(addr2line -f -i -s -e "$elf" "0x${BASH_REMATCH[1]}" | paste -sd ' ')
        echo "smp-stats: request from $where: ${BASH_REMATCH[2]}"
    else
        echo "$line"
    fi
done
