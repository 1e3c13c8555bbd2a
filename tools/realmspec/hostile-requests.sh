#!/bin/sh
# Runs in the host VM (busybox sh, as root): requests to the resource
# server written by hand into a slot of the realm device through /dev/mem
# (busybox devmem), with the values icecap-host never sends: sizes of 0 and
# beyond what the server takes, loads past the end of a spec and at an
# offset that wraps, a finish of garbage, operations on a realm in the
# wrong state, flags, arguments an operation does not take. Each must get
# its status (docs/resource-server.md) and leave the pool as it was.
# Prints "ok NAME" or "bad NAME: why" per request, then "hostile: N ok, N bad".
# The device's addresses are those of system/virt.system.
regs=0x0c000000
slot=31
block=$((0x0c200000 + slot * 65536))
ok=0 bad=0

# rq OP ID PAYLOAD_LEN ARG0 [ARG1 [FLAGS]]: the request in the slot, CALL,
# then the status of the answer
rq() {
    devmem $block 64 $(( 0x51524349 | ($1 << 32) | (${6:-0} << 48) ))
    devmem $((block + 8)) 64 $(( $2 | ($3 << 32) ))
    devmem $((block + 16)) 64 $4
    devmem $((block + 24)) 64 ${5:-0}
    for o in 32 40 48 56; do devmem $((block + o)) 64 0; done
    devmem $((regs + 0x10)) 32 $slot
    magic=$(devmem $block 32)
    word=$(devmem $((block + 4)) 32)
    status=$(( word >> 16 ))
    [ "$magic" = 0x53524349 ] || status="no answer ($magic)"
}
# expect NAME STATUS: the last answer's status
expect() {
    if [ "$status" = "$2" ]; then ok=$((ok + 1)); echo "ok $1"
    else bad=$((bad + 1)); echo "bad $1: status $status, not $2"; fi
}
free() { icecap-host status | sed -n 's/pool: \([0-9]*\) of.*/\1/p'; }

before=$(free)
rq 3 50 0 0;                expect create-of-size-0 8
rq 3 50 0 $((1 << 40));     expect create-beyond-the-largest 8
rq 3 50 0 4096;             expect create 0
rq 3 50 0 4096;             expect create-again 4
rq 4 50 100 4090;           expect load-past-the-end 8
rq 4 50 0 $((0x7fffffffffffffff)); expect load-at-a-wrapping-offset 8
rq 4 50 65500 0;            expect load-longer-than-a-slot 1
rq 4 50 8 0 1;              expect load-with-a-second-argument 1
rq 7 50 0 0;                expect destroy-while-loading 7
rq 5 50 0 0;                expect finish-of-zeros 5
rq 5 50 0 0;                expect finish-after-refusal 3
rq 6 50 0 0;                expect abort-of-nothing 3
rq 3 51 0 4096;             expect create-to-abort 0
rq 6 51 0 0;                expect abort 0
rq 1 0 0 0 0 1;             expect flags 1
rq 2 0 0 0 7;               expect list-with-a-second-argument 1
rq 9 0 0 0;                 expect unknown-op 2
rq 65535 0 0 0;             expect op-65535 2
after=$(free)
if [ "$before" = "$after" ]; then ok=$((ok + 1)); echo "ok pool-unchanged"
else bad=$((bad + 1)); echo "bad pool-unchanged: $after free, $before before"; fi
echo "hostile: $ok ok, $bad bad"
