# Generates the ABI headers from abi/invocations.tbl.
#   awk -v out=labels   -f abi/abigen.awk abi/invocations.tbl  > icecap/invocations.h
#   awk -v out=stubs    ...                                        > icecap/stubs.h
#   awk -v out=dispatch ...                                        > kernel dispatch table
/^#/ || NF == 0 { next }
{
    if (NF != 4) { printf "abigen: line %d: expected 4 fields, got %d\n", NR, NF > "/dev/stderr"; exit 1 }
    n++; name[n] = $1; obj[n] = $2; args[n] = $3; caps[n] = $4
}
function count(list,    a) { if (list == "-" || list == "manual") return 0; return split(list, a, ",") }
END {
    print "/* Generated from abi/invocations.tbl by abi/abigen.awk: do not edit. */"
    if (out == "labels") {
        print "#ifndef ICECAP_INVOCATIONS_H\n#define ICECAP_INVOCATIONS_H\n"
        print "enum ic_invocation_label {\n    IC_INV_INVALID = 0,"
        for (i = 1; i <= n; i++) printf "    IC_INV_%s = %d,\n", toupper(name[i]), i
        printf "    IC_INV_COUNT = %d\n};\n\n#endif\n", n + 1
    } else if (out == "stubs") {
        print "#ifndef ICECAP_STUBS_H\n#define ICECAP_STUBS_H\n"
        print "#include <icecap/invocations.h>\n#include <icecap/errors.h>\n#include <icecap/types.h>\n"
        print "ic_err_t ic_invoke(ic_cptr_t service, ic_word_t label, unsigned nargs, const ic_word_t *args,"
        print "                   unsigned ncaps, const ic_cptr_t *caps);\n"
        for (i = 1; i <= n; i++) {
            if (args[i] == "manual") continue
            na = split(args[i], a, ","); if (args[i] == "-") na = 0
            nc = split(caps[i], c, ","); if (caps[i] == "-") nc = 0
            printf "static inline ic_err_t ic_%s(ic_cptr_t service", name[i]
            for (j = 1; j <= na; j++) printf ", ic_word_t %s", a[j]
            for (j = 1; j <= nc; j++) printf ", ic_cptr_t %s", c[j]
            print ")\n{"
            if (na) { printf "    const ic_word_t args[] = {"; for (j = 1; j <= na; j++) printf " %s,", a[j]; print " };" }
            if (nc) { printf "    const ic_cptr_t caps[] = {"; for (j = 1; j <= nc; j++) printf " %s,", c[j]; print " };" }
            printf "    return ic_invoke(service, IC_INV_%s, %d, %s, %d, %s);\n}\n\n", toupper(name[i]), na, na ? "args" : "0", nc, nc ? "caps" : "0"
        }
        print "#endif"
    } else if (out == "dispatch") {
        print "/* Included once, by kernel/core/invocation.c. */"
        for (i = 1; i <= n; i++) printf "ic_err_t %s_invoke_%s(struct invocation *inv);\n", tolower(obj[i]), substr(name[i], length(obj[i]) + 2)
        print "\nstatic const struct invocation_desc invocation_table[IC_INV_COUNT] = {"
        for (i = 1; i <= n; i++) {
            o = tolower(obj[i])
            printf "    [IC_INV_%s] = { CAP_%s, %d, %d, %s_invoke_%s, \"%s\" },\n", toupper(name[i]), obj[i], count(args[i]), count(caps[i]), o, substr(name[i], length(o) + 2), name[i]
        }
        print "};"
    } else { print "abigen: out must be labels, stubs or dispatch" > "/dev/stderr"; exit 1 }
}
