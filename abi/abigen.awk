# Generates the ABI headers from abi/invocations.tbl.
#   awk -v out=labels   -f abi/abigen.awk abi/invocations.tbl  > icecap/invocations.h
#   awk -v out=stubs    ...                                        > icecap/stubs.h
#   awk -v out=handlers ...                                        > kernel/handlers.h (prototypes)
#   awk -v out=dispatch ...                                        > kernel dispatch table
# A mistake in the table is reported as file:line: what is wrong, and
# nothing is written.
function fail(msg) { printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"; failed = 1; exit 1 }
function count(list,    a) { if (list == "-" || list == "manual") return 0; return split(list, a, ",") }
# Every name of a list must be a C identifier, once per invocation, and not
# one the stub uses itself.
function check_names(list, what,    a, k, m) {
    if (list == "-" || list == "manual") return
    m = split(list, a, ",")
    for (k = 1; k <= m; k++) {
        if (a[k] !~ /^[a-z_][a-z0-9_]*$/) fail(what " '" a[k] "' is not a lower-case C identifier")
        if (a[k] ~ /^(service|args|caps|results|err)$/) fail(what " '" a[k] "' is a name the stub uses itself")
        if (a[k] in seen) fail("'" a[k] "' is named twice")
        seen[a[k]] = 1
    }
}
/^#/ || NF == 0 { next }
{
    if (NF != 5) fail("expected 5 fields (name object args caps results), got " NF)
    if ($1 !~ /^[a-z][a-z0-9_]*$/) fail("the name '" $1 "' is not a lower-case C identifier")
    if (index($1, tolower($2) "_") != 1) fail("the name '" $1 "' does not start with its object's, '" tolower($2) "_'")
    if ($5 == "manual" && $3 != "manual") fail("'manual' results need 'manual' args (a hand-written stub)")
    split("", seen)
    check_names($3, "argument"); check_names($4, "capability"); check_names($5, "result")
    n++; name[n] = $1; obj[n] = $2; args[n] = $3; caps[n] = $4; res[n] = $5
}
END {
    if (failed) exit 1
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
        print "                   unsigned ncaps, const ic_cptr_t *caps);"
        print "ic_err_t ic_invoke_results(ic_cptr_t service, ic_word_t label, unsigned nargs, const ic_word_t *args,"
        print "                           unsigned ncaps, const ic_cptr_t *caps, unsigned nresults, ic_word_t *results);\n"
        for (i = 1; i <= n; i++) {
            if (args[i] == "manual") continue
            na = split(args[i], a, ","); if (args[i] == "-") na = 0
            nc = split(caps[i], c, ","); if (caps[i] == "-") nc = 0
            nr = split(res[i], r, ","); if (res[i] == "-") nr = 0
            printf "static inline ic_err_t ic_%s(ic_cptr_t service", name[i]
            for (j = 1; j <= na; j++) printf ", ic_word_t %s", a[j]
            for (j = 1; j <= nc; j++) printf ", ic_cptr_t %s", c[j]
            for (j = 1; j <= nr; j++) printf ", ic_word_t *%s", r[j]
            print ")\n{"
            if (na) { printf "    const ic_word_t args[] = {"; for (j = 1; j <= na; j++) printf " %s,", a[j]; print " };" }
            if (nc) { printf "    const ic_cptr_t caps[] = {"; for (j = 1; j <= nc; j++) printf " %s,", c[j]; print " };" }
            if (!nr) {
                printf "    return ic_invoke(service, IC_INV_%s, %d, %s, %d, %s);\n}\n\n", toupper(name[i]), na,
                       na ? "args" : "0", nc, nc ? "caps" : "0"
                continue
            }
            printf "    ic_word_t results[%d];\n", nr
            printf "    ic_err_t err = ic_invoke_results(service, IC_INV_%s, %d, %s, %d, %s, %d, results);\n",
                   toupper(name[i]), na, na ? "args" : "0", nc, nc ? "caps" : "0", nr
            print "    if (err != IC_OK)\n        return err;"
            for (j = 1; j <= nr; j++) printf "    if (%s)\n        *%s = results[%d];\n", r[j], r[j], j - 1
            print "    return IC_OK;\n}\n"
        }
        print "#endif"
    } else if (out == "handlers") {
        print "/* The kernel's handler of each invocation; kernel/include/invocation.h */"
        print "#ifndef KERNEL_HANDLERS_H\n#define KERNEL_HANDLERS_H"
        for (i = 1; i <= n; i++) printf "ic_err_t %s_invoke_%s(struct invocation *inv);\n", tolower(obj[i]), substr(name[i], length(obj[i]) + 2)
        print "#endif"
    } else if (out == "dispatch") {
        print "/* Included once, by kernel/core/invocation.c. */"
        print "static const struct invocation_desc invocation_table[IC_INV_COUNT] = {"
        for (i = 1; i <= n; i++) {
            o = tolower(obj[i])
            printf "    [IC_INV_%s] = { CAP_%s, %d, %d, %s, %s_invoke_%s, \"%s\" },\n", toupper(name[i]), obj[i],
                   count(args[i]), count(caps[i]), res[i] == "manual" ? "INVOCATION_RESULTS_ANY" : count(res[i]),
                   o, substr(name[i], length(o) + 2), name[i]
        }
        print "};"
    } else { print "abigen: out must be labels, stubs, handlers or dispatch" > "/dev/stderr"; exit 1 }
}
