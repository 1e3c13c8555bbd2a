# Generates a component protocol's headers from its table,
# abi/protocols/NAME.tbl (the format: docs/protocols.md).
#   awk -v out=types -f abi/protogen.awk abi/protocols/NAME.tbl > icecap/protocols/NAME.h
#   awk -v out=stubs ...                                        > icecap/protocols/NAME_stubs.h
# NAME.h is pure (labels, limits, the decoded structures, packing and the
# checking unpackers: no system calls, so unit tests run it on the build
# machine); NAME_stubs.h has what makes the system calls: the client's
# stubs and the server's replies. A mistake in the table is reported as
# file:line: what is wrong, and nothing is written.
function fail(msg) { printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"; failed = 1; exit 1 }
function hexval(s,    v, k) {
    v = 0
    for (k = 3; k <= length(s); k++) v = v * 16 + index("0123456789abcdef", tolower(substr(s, k, 1))) - 1
    return v
}
# A name the generated C uses as a parameter or field: a lower-case
# identifier, once per request, not one of the generated functions' own.
function take_name(nm, what) {
    if (nm !~ /^[a-z_][a-z0-9_]*$/) fail(what " '" nm "' is not a lower-case C identifier")
    if (nm ~ /^(ep|mr|caps|info|args|res)$/ || nm ~ /^ic_/) fail(what " '" nm "' is a name the generated code uses itself")
    if (nm in seen) fail(what " '" nm "' is named twice in request '" rname[n] "'")
    seen[nm] = 1
}
FNR == 1 {
    proto = FILENAME; sub(/.*\//, "", proto); sub(/\.tbl$/, "", proto)
    if (proto !~ /^[a-z][a-z0-9_]*$/) { fail("the protocol's name (its file's) is not a lower-case C identifier") }
    P = toupper(proto)
}
/^#/ || NF == 0 { next }
{
    if (NF != 5) fail("expected 5 fields (request label kind arguments results), got " NF)
    n++; rname[n] = $1; kind[n] = $3; nw[n] = 0; np[n] = 0; bname[n] = ""; cname[n] = ""; nr[n] = 0
    argtext[n] = $4; restext[n] = $5
    if ($1 !~ /^[a-z][a-z0-9_]*$/) fail("the request's name '" $1 "' is not a lower-case C identifier")
    for (i = 1; i < n; i++) if (rname[i] == $1) fail("request '" $1 "' is already defined at line " line[i])
    line[n] = FNR
    # the label: decimal or 0x hex, 1 to 2^48 - 1 (the message info holds 50 bits)
    if ($2 ~ /^0x[0-9a-fA-F]+$/ && length($2) <= 14) v = hexval($2)
    else if ($2 ~ /^[0-9]+$/ && length($2) <= 15) v = $2 + 0
    else fail("the label '" $2 "' is not a number of at most 48 bits (decimal or 0x hex)")
    if (v < 1 || v >= 281474976710656) fail("the label '" $2 "' is not between 1 and 2^48 - 1")
    for (i = 1; i < n; i++) if (lval[i] == v) fail("label " $2 " is already request '" rname[i] "''s")
    lval[n] = v; label[n] = $2
    if ($3 != "send" && $3 != "call") fail("the kind '" $3 "' is neither send nor call")
    split("", seen)
    if ($4 != "-") {
        m = split($4, a, ",")
        for (j = 1; j <= m; j++) {
            if (bname[n] != "") fail("the byte string '" bname[n] "' must be the last argument")
            f = a[j]; t = "word"
            if (index(f, ":")) { t = substr(f, index(f, ":") + 1); f = substr(f, 1, index(f, ":") - 1) }
            take_name(f, "argument")
            if (t == "word") { nw[n]++; w[n, nw[n]] = f; np[n]++; p[n, np[n]] = f; pcap[n, np[n]] = 0; continue }
            if (t == "cap") {
                if (cname[n] != "") fail("capability '" f "' is the second of request '" $1 "': the kernel moves one capability a message")
                cname[n] = f; np[n]++; p[n, np[n]] = f; pcap[n, np[n]] = 1; continue
            }
            if (t !~ /^bytes\[[0-9]+\]$/) fail("argument '" f "' has the type '" t "': word, cap or bytes[MAX] only")
            bmax[n] = substr(t, 7, length(t) - 7) + 0
            if (bmax[n] < 1) fail("the byte string '" f "' has a maximum of 0")
            take_name(f "_len", "byte string length")
            bname[n] = f
        }
    }
    words[n] = nw[n] + (bname[n] != "" ? 1 + int((bmax[n] + 7) / 8) : 0)
    if (words[n] > 64) fail("request '" $1 "' takes up to " words[n] " words; a message holds 64")
    if ($5 != "-") {
        if ($3 != "call") fail("only a call has results (a send has no reply)")
        m = split($5, a, ",")
        for (j = 1; j <= m; j++) {
            f = a[j]
            if (f ~ /:word$/) f = substr(f, 1, length(f) - 5)
            else if (index(f, ":")) fail("result '" f "': results are words only")
            take_name(f, "result")
            nr[n]++; r[n, nr[n]] = f
        }
        if (nr[n] > 64) fail("request '" $1 "' has " nr[n] " results; a message holds 64")
    }
}
# The parameters that carry request i's arguments in the table's order,
# with their C types (decl) or as arguments of a call (names): a word, the
# capability (a CPtr in the sender's CSpace), then the byte string.
function params(i, decl,    s, j) {
    s = ""
    for (j = 1; j <= np[i]; j++) s = s ", " (decl ? (pcap[i, j] ? "ic_cptr_t " : "ic_word_t ") : "") p[i, j]
    if (bname[i] != "") s = s ", " (decl ? "const char *" : "") bname[i] ", " (decl ? "ic_word_t " : "") bname[i] "_len"
    return s
}
function results(i, decl, ptr,    s, j) {
    s = ""
    for (j = 1; j <= nr[i]; j++) s = s ", " (decl ? (ptr ? "ic_word_t *" : "ic_word_t ") : "") r[i, j]
    return s
}
function types(i,    R, pre, fixed, j, b, max, c, caps) {
    R = toupper(rname[i]); pre = "ic_" proto "_" rname[i]; fixed = nw[i] + (bname[i] != "")
    b = bname[i]; max = "IC_" P "_" R "_" toupper(b) "_MAX"   # the byte string, if any
    c = cname[i]; caps = c != "" ? 1 : 0                      # the capability, if any
    printf "/* %s (%s, label %s): %s", rname[i], kind[i], label[i], argtext[i]
    if (kind[i] == "call") printf " -> %s", restext[i]
    print " */"
    printf "#define IC_%s_%s_LABEL %su\n", P, R, label[i]
    if (b != "") printf "#define %s %du\n", max, bmax[i]
    printf "#define IC_%s_%s_WORDS_MAX %du\n", P, R, words[i]
    printf "#define IC_%s_%s_CAPS %du\n", P, R, caps
    if (kind[i] == "call") printf "#define IC_%s_%s_RESULT_WORDS %du\n", P, R, nr[i]
    printf "_Static_assert(IC_%s_%s_WORDS_MAX <= IC_MSG_MAX_LENGTH, \"%s fits a message\");\n", P, R, rname[i]
    if (fixed) {
        printf "\nstruct %s_args {\n", pre
        for (j = 1; j <= nw[i]; j++) printf "    ic_word_t %s;\n", w[i, j]
        if (b != "") printf "    ic_word_t %s_len;\n    char %s[%s];\n", b, b, max
        print "};"
    }
    if (nr[i]) {
        printf "\nstruct %s_results {\n", pre
        for (j = 1; j <= nr[i]; j++) printf "    ic_word_t %s;\n", r[i, j]
        print "};"
    }
    # the client's packer
    printf "\n/* Packs the arguments of %s into mr[0..IC_%s_%s_WORDS_MAX)", rname[i], P, R
    if (c != "") printf ", the\n * capability %s into caps[0] (the IPC buffer's caps_or_badges) and the\n * message info into *info", c
    else printf " and its\n * message info into *info"
    if (b != "") printf "; IC_RANGE_ERROR, and nothing written, if %s_len is\n * above %s. */\n", b, max
    else print ". */"
    printf "static inline ic_err_t %s_pack(ic_word_t *mr%s%s, ic_msginfo_t *info)\n{\n", pre,
           c != "" ? ", ic_word_t *caps" : "", params(i, 1)
    if (!fixed) print "    (void)mr;"
    if (b != "") printf "    if (%s_len > %s)\n        return IC_RANGE_ERROR;\n", b, max
    for (j = 1; j <= nw[i]; j++) printf "    mr[%d] = %s;\n", j - 1, w[i, j]
    if (c != "") printf "    caps[0] = %s;\n", c
    if (b != "") {
        printf "    mr[%d] = %s_len;\n    ic_wire_pack_bytes(mr + %d, %s, %s_len);\n", nw[i], b, fixed, b, b
        printf "    *info = ic_msginfo_new(IC_%s_%s_LABEL, 0, %d, %d + ic_wire_words(%s_len));\n", P, R, caps, fixed, b
    } else printf "    *info = ic_msginfo_new(IC_%s_%s_LABEL, 0, %d, %d);\n", P, R, caps, fixed
    print "    return IC_OK;\n}"
    # the server's unpacker
    printf "\n/* Unpacks the arguments of %s as received, every field checked, into\n", rname[i]
    print " * *args only if it is well formed: IC_ILLEGAL_OPERATION for another label,"
    print " * IC_TRUNCATED_MESSAGE for fewer words than its fields need,"
    if (bname[i] != "") print " * IC_RANGE_ERROR for a byte string longer than its maximum,"
    if (c != "") {
        printf " * IC_INVALID_CAPABILITY unless exactly one capability arrived (%s, in the\n", c
        print " * receive slot: not none, not one unwrapped into its badge),"
        print " * IC_INVALID_ARGUMENT for more words than they need. Whatever it answers,"
        print " * a capability that arrived is in the receive slot: the server's to keep"
        print " * or delete. */"
    } else print " * IC_INVALID_ARGUMENT for more words than they need or any capability. */"
    printf "static inline ic_err_t %s_unpack(ic_msginfo_t info, const ic_word_t *mr%s)\n{\n", pre,
           fixed ? ", struct " pre "_args *args" : ""
    print "    ic_word_t ic__length = ic_msginfo_length(info);"
    if (!fixed) print "    (void)mr;"
    printf "    if (ic_msginfo_label(info) != IC_%s_%s_LABEL)\n        return IC_ILLEGAL_OPERATION;\n", P, R
    if (c != "") print "    if (ic_msginfo_extra_caps(info) != 1 || ic_msginfo_unwrapped(info) != 0)\n        return IC_INVALID_CAPABILITY;"
    else print "    if (ic_msginfo_extra_caps(info) != 0)\n        return IC_INVALID_ARGUMENT;"
    if (fixed) printf "    if (ic__length < %d)\n        return IC_TRUNCATED_MESSAGE;\n", fixed
    if (bname[i] != "") {
        printf "    ic_word_t ic__n = mr[%d];\n", nw[i]
        printf "    if (ic__n > %s)\n        return IC_RANGE_ERROR;\n", max
        printf "    if (ic__length < %d + ic_wire_words(ic__n))\n        return IC_TRUNCATED_MESSAGE;\n", fixed
        printf "    if (ic__length > %d + ic_wire_words(ic__n))\n        return IC_INVALID_ARGUMENT;\n", fixed
    } else printf "    if (ic__length > %d)\n        return IC_INVALID_ARGUMENT;\n", fixed
    for (j = 1; j <= nw[i]; j++) printf "    args->%s = mr[%d];\n", w[i, j], j - 1
    if (b != "") printf "    args->%s_len = ic__n;\n    ic_wire_unpack_bytes(args->%s, mr + %d, ic__n);\n", b, b, fixed
    print "    return IC_OK;\n}"
    if (kind[i] != "call") return
    # the server's reply packer and the client's reply unpacker
    printf "\n/* Packs the results of %s into mr[0..%d) and returns the\n", rname[i], nr[i]
    print " * reply's message info (label IC_OK). An error is a reply of that label"
    print " * and no words: ic_msginfo_new(err, 0, 0, 0). */"
    printf "static inline ic_msginfo_t %s_pack_reply(ic_word_t *mr%s)\n{\n", pre, results(i, 1, 0)
    if (!nr[i]) print "    (void)mr;"
    for (j = 1; j <= nr[i]; j++) printf "    mr[%d] = %s;\n", j - 1, r[i, j]
    printf "    return ic_msginfo_new(IC_OK, 0, 0, %d);\n}\n", nr[i]
    printf "\n/* Unpacks the reply to %s: the server's error (its label,\n", rname[i]
    print " * IC_ILLEGAL_OPERATION if that is no error code), or the results, every"
    print " * field checked as for a request. */"
    printf "static inline ic_err_t %s_unpack_reply(ic_msginfo_t info, const ic_word_t *mr%s)\n{\n", pre,
           nr[i] ? ", struct " pre "_results *res" : ""
    print "    ic_word_t ic__label = ic_msginfo_label(info), ic__length = ic_msginfo_length(info);"
    if (!nr[i]) print "    (void)mr;"
    print "    if (ic__label != IC_OK)"
    print "        return ic__label < IC_NUM_ERRORS ? (ic_err_t)ic__label : IC_ILLEGAL_OPERATION;"
    print "    if (ic_msginfo_extra_caps(info) != 0)\n        return IC_INVALID_ARGUMENT;"
    if (nr[i]) printf "    if (ic__length < %d)\n        return IC_TRUNCATED_MESSAGE;\n", nr[i]
    printf "    if (ic__length > %d)\n        return IC_INVALID_ARGUMENT;\n", nr[i]
    for (j = 1; j <= nr[i]; j++) printf "    res->%s = mr[%d];\n", r[i, j], j - 1
    print "    return IC_OK;\n}"
}
function stubs(i,    R, pre, j) {
    R = toupper(rname[i]); pre = "ic_" proto "_" rname[i]
    if (kind[i] == "send") {
        printf "/* Sends %s on ep (Send: waits until the server takes it).\n", rname[i]
        if (cname[i] != "") printf " * %s travels only if ep has the grant right.\n", cname[i]
        print " * Returns what the packer does; nothing is sent on an error. */"
        printf "static inline ic_err_t %s(ic_cptr_t ep%s)\n{\n", pre, params(i, 1)
        print "    ic_msginfo_t ic__info;"
        printf "    ic_err_t ic__err = %s_pack(ic_ipc_buffer()->msg%s%s, &ic__info);\n", pre,
               cname[i] != "" ? ", ic_ipc_buffer()->caps_or_badges" : "", params(i, 0)
        print "    if (ic__err == IC_OK)\n        ic_send(ep, ic__info);\n    return ic__err;\n}\n"
        return
    }
    printf "/* Calls ep with %s and waits for the reply", rname[i]
    if (cname[i] != "") printf " (%s travels only if\n * ep has the grant right)", cname[i]
    print ". Returns the"
    print " * packer's error (nothing sent), the kernel's (ep is nothing to call),"
    print " * the server's, or that of a malformed reply; writes the results only on"
    print " * IC_OK, and not through a NULL pointer. */"
    printf "static inline ic_err_t %s(ic_cptr_t ep%s%s)\n{\n", pre, params(i, 1), results(i, 1, 1)
    print "    ic_word_t *ic__mr = ic_ipc_buffer()->msg, ic__x0;"
    print "    ic_msginfo_t ic__info;"
    printf "    ic_err_t ic__err = %s_pack(ic__mr%s%s, &ic__info);\n", pre,
           cname[i] != "" ? ", ic_ipc_buffer()->caps_or_badges" : "", params(i, 0)
    print "    if (ic__err != IC_OK)\n        return ic__err;"
    print "    ic__info = ic_call(ep, ic__info, &ic__x0);"
    print "    if (ic__x0 != IC_OK)\n        return (ic_err_t)ic__x0;"
    if (nr[i]) {
        printf "    struct %s_results ic__res;\n", pre
        printf "    ic__err = %s_unpack_reply(ic__info, ic__mr, &ic__res);\n", pre
        print "    if (ic__err != IC_OK)\n        return ic__err;"
        for (j = 1; j <= nr[i]; j++) printf "    if (%s)\n        *%s = ic__res.%s;\n", r[i, j], r[i, j], r[i, j]
        print "    return IC_OK;\n}\n"
    } else printf "    return %s_unpack_reply(ic__info, ic__mr);\n}\n\n", pre
    printf "/* The server's answer to the %s it received last (Reply). */\n", rname[i]
    printf "static inline void %s_reply(%s)\n{\n", pre, nr[i] ? substr(results(i, 1, 0), 3) : "void"
    printf "    ic_reply(%s_pack_reply(ic_ipc_buffer()->msg%s));\n}\n\n", pre, results(i, 0, 0)
}
END {
    if (failed) exit 1
    if (!n) { print FILENAME ": no requests" > "/dev/stderr"; exit 1 }
    if (out != "types" && out != "stubs") { print "protogen: out must be types or stubs" > "/dev/stderr"; exit 1 }
    printf "/* Generated from %s by abi/protogen.awk: do not edit. */\n", FILENAME
    if (out == "types") {
        printf "#ifndef ICECAP_PROTOCOLS_%s_H\n#define ICECAP_PROTOCOLS_%s_H\n\n", P, P
        print "#include <icecap/errors.h>\n#include <icecap/msginfo.h>\n#include <icecap/syscalls.h>"
        print "#include <icecap/types.h>\n#include <icecap/wire.h>"
        for (i = 1; i <= n; i++) { print ""; types(i) }
        print ""
    } else {
        printf "#ifndef ICECAP_PROTOCOLS_%s_STUBS_H\n#define ICECAP_PROTOCOLS_%s_STUBS_H\n\n", P, P
        printf "#include <icecap/icecap.h>\n#include <icecap/protocols/%s.h>\n\n", proto
        for (i = 1; i <= n; i++) stubs(i)
    }
    print "#endif"
}
