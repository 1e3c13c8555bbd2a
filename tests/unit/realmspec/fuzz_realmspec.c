/* libFuzzer target for the realm spec checker: any input is refused or
 * accepted without a crash, and an accepted one decodes and measures.
 * Not part of make test: make fuzz-realmspec (mk/realm.mk) needs clang. */
#include <realmspec/realmspec.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct realm_spec_limits lim = {
        .max_objects = 4096, .max_caps = 4096, .max_mappings = 4096, .max_tcbs = 64, .max_connections = 4,
        .max_chunks = 4096, .max_cnode_radix = 12, .max_priority = 254, .num_cpus = 8,
        .max_conn_bytes = 1 << 16, .pool_bytes = 1ull << 32,
    };
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    struct realm_spec_view v;
    if (realm_spec_check(copy, size, &lim, &v) == RS_OK) {
        uint8_t d[SHA256_DIGEST_SIZE];
        realm_spec_measure(&v, d);
        for (uint32_t i = 0; i < v.count[RS_TAB_TCBS]; i++) {
            struct rs_tcb t;
            realm_spec_tcb(&v, i, &t);
        }
    }
    free(copy);
    return 0;
}
