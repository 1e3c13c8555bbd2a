/* A small flattened device tree writer: see vmm/fdt.h. The format is the
 * Devicetree Specification's "Flattened Devicetree (DTB) Format": a 40-byte
 * header, the memory reservation map (pairs of big-endian u64, ended by a
 * zero pair), the structure block (big-endian u32 tokens, 4-byte aligned)
 * and the strings block (property names). */
#include <vmm/fdt.h>

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_END 9u
#define HEADER_SIZE 40u
#define ALIGN4(n) (((n) + 3) & ~(size_t)3)

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static int fail(struct fdt_writer *w, int err)
{
    if (!w->err)
        w->err = err;
    return w->err;
}

/* Free bytes between the front and the names at the back. */
static size_t room(const struct fdt_writer *w)
{
    return w->strings - w->pos;
}

/* Appends n bytes (zero padded to 4) at the front; the caller checked room. */
static void emit(struct fdt_writer *w, const void *data, size_t n)
{
    if (n)
        __builtin_memcpy(w->buf + w->pos, data, n);
    __builtin_memset(w->buf + w->pos + n, 0, ALIGN4(n) - n);
    w->pos += ALIGN4(n);
}

static void emit32(struct fdt_writer *w, uint32_t v)
{
    put32(w->buf + w->pos, v);
    w->pos += 4;
}

int fdt_begin(struct fdt_writer *w, void *buf, size_t size)
{
    if (!w)
        return FDT_ERR_BADARG;
    /* every offset in the header is 32 bits: a larger buffer is never needed */
    if (size > 0xffffffffu)
        size = 0xffffffffu;
    *w = (struct fdt_writer){ .buf = buf, .size = size, .pos = HEADER_SIZE, .strings = size };
    if (!buf || size < HEADER_SIZE) {
        w->pos = w->strings = 0; /* keep room() sane */
        return fail(w, buf ? FDT_ERR_NOSPACE : FDT_ERR_BADARG);
    }
    return FDT_OK;
}

int fdt_add_reserve(struct fdt_writer *w, uint64_t addr, uint64_t size)
{
    if (!w)
        return FDT_ERR_BADARG;
    if (w->err)
        return w->err;
    if (w->struct_off)
        return fail(w, FDT_ERR_STATE);
    /* and room for the terminating zero pair, which the first node adds */
    if (room(w) < 32)
        return fail(w, FDT_ERR_NOSPACE);
    put64(w->buf + w->pos, addr);
    put64(w->buf + w->pos + 8, size);
    w->pos += 16;
    return FDT_OK;
}

int fdt_begin_node(struct fdt_writer *w, const char *name)
{
    if (!w)
        return FDT_ERR_BADARG;
    if (w->err)
        return w->err;
    if (!name)
        return fail(w, FDT_ERR_BADARG);
    if (w->root_done)
        return fail(w, FDT_ERR_STATE);
    size_t len = __builtin_strlen(name);
    /* the root is nameless, every other node has a name */
    if ((w->depth == 0) != (len == 0))
        return fail(w, FDT_ERR_BADARG);
    size_t need = (w->struct_off ? 0u : 16u) + 4 + ALIGN4(len + 1);
    if (need < len || room(w) < need)
        return fail(w, FDT_ERR_NOSPACE);
    if (!w->struct_off) {
        emit(w, (const uint8_t[16]){ 0 }, 16); /* end of the reservation map */
        w->struct_off = w->pos;
    }
    emit32(w, FDT_BEGIN_NODE);
    emit(w, name, len + 1);
    w->depth++;
    return FDT_OK;
}

int fdt_end_node(struct fdt_writer *w)
{
    if (!w)
        return FDT_ERR_BADARG;
    if (w->err)
        return w->err;
    if (w->depth == 0)
        return fail(w, FDT_ERR_STATE);
    if (room(w) < 4)
        return fail(w, FDT_ERR_NOSPACE);
    emit32(w, FDT_END_NODE);
    if (--w->depth == 0)
        w->root_done = 1;
    return FDT_OK;
}

/* The offset of an existing name, counted back from the end of the buffer
 * (what fdt_finish turns into a strings block offset), or 0 if absent. */
static size_t find_name(const struct fdt_writer *w, const char *name, size_t len)
{
    for (size_t p = w->strings; p < w->size;) {
        size_t n = __builtin_strlen((const char *)w->buf + p);
        if (n == len && __builtin_memcmp(w->buf + p, name, len) == 0)
            return w->size - p;
        p += n + 1;
    }
    return 0;
}

int fdt_property(struct fdt_writer *w, const char *name, const void *data, size_t len)
{
    if (!w)
        return FDT_ERR_BADARG;
    if (w->err)
        return w->err;
    if (!name || !name[0] || (len && !data))
        return fail(w, FDT_ERR_BADARG);
    if (w->depth == 0)
        return fail(w, FDT_ERR_STATE);
    if (len > 0xffffffffu)
        return fail(w, FDT_ERR_NOSPACE);
    size_t name_len = __builtin_strlen(name);
    size_t nameoff = find_name(w, name, name_len);
    size_t need = 12 + ALIGN4(len) + (nameoff ? 0 : name_len + 1);
    if (need < len || room(w) < need)
        return fail(w, FDT_ERR_NOSPACE);
    if (!nameoff) {
        w->strings -= name_len + 1;
        __builtin_memcpy(w->buf + w->strings, name, name_len + 1);
        nameoff = w->size - w->strings;
    }
    emit32(w, FDT_PROP);
    emit32(w, (uint32_t)len);
    emit32(w, (uint32_t)nameoff); /* fixed up by fdt_finish */
    emit(w, data, len);
    return FDT_OK;
}

int fdt_property_empty(struct fdt_writer *w, const char *name)
{
    return fdt_property(w, name, NULL, 0);
}

int fdt_property_u32(struct fdt_writer *w, const char *name, uint32_t v)
{
    uint8_t b[4];
    put32(b, v);
    return fdt_property(w, name, b, sizeof b);
}

int fdt_property_u64(struct fdt_writer *w, const char *name, uint64_t v)
{
    uint8_t b[8];
    put64(b, v);
    return fdt_property(w, name, b, sizeof b);
}

int fdt_property_string(struct fdt_writer *w, const char *name, const char *s)
{
    if (!s)
        return w ? fail(w, FDT_ERR_BADARG) : FDT_ERR_BADARG;
    return fdt_property(w, name, s, __builtin_strlen(s) + 1);
}

/* The big-endian array properties have no host-order copy to hand to
 * fdt_property (that would need a buffer of any size): they write an empty
 * property, which checks the name and the state, then grow it in place and
 * return where its len bytes of data go, or NULL after an error. */
static uint8_t *begin_array(struct fdt_writer *w, const char *name, size_t len)
{
    size_t pos = w->pos;
    if (fdt_property(w, name, NULL, 0) != FDT_OK)
        return NULL;
    if (len > 0xffffffffu || room(w) < ALIGN4(len)) {
        fail(w, FDT_ERR_NOSPACE);
        return NULL;
    }
    put32(w->buf + pos + 4, (uint32_t)len);
    uint8_t *data = w->buf + w->pos;
    __builtin_memset(data, 0, ALIGN4(len));
    w->pos += ALIGN4(len);
    return data;
}

int fdt_property_strings(struct fdt_writer *w, const char *name, const char *const *s, size_t n)
{
    if (!w)
        return FDT_ERR_BADARG;
    if (!s && n)
        return fail(w, FDT_ERR_BADARG);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (!s[i])
            return fail(w, FDT_ERR_BADARG);
        len += __builtin_strlen(s[i]) + 1;
    }
    uint8_t *p = begin_array(w, name, len);
    if (!p)
        return w->err;
    for (size_t i = 0; i < n; i++) {
        size_t l = __builtin_strlen(s[i]) + 1;
        __builtin_memcpy(p, s[i], l);
        p += l;
    }
    return FDT_OK;
}

int fdt_property_u32_array(struct fdt_writer *w, const char *name, const uint32_t *v, size_t n)
{
    if (!w)
        return FDT_ERR_BADARG;
    if ((!v && n) || n > 0xffffffffu / 4)
        return fail(w, FDT_ERR_BADARG);
    uint8_t *p = begin_array(w, name, n * 4);
    if (!p)
        return w->err;
    for (size_t i = 0; i < n; i++)
        put32(p + 4 * i, v[i]);
    return FDT_OK;
}

int fdt_property_u64_array(struct fdt_writer *w, const char *name, const uint64_t *v, size_t n)
{
    if (!w)
        return FDT_ERR_BADARG;
    if ((!v && n) || n > 0xffffffffu / 8)
        return fail(w, FDT_ERR_BADARG);
    uint8_t *p = begin_array(w, name, n * 8);
    if (!p)
        return w->err;
    for (size_t i = 0; i < n; i++)
        put64(p + 8 * i, v[i]);
    return FDT_OK;
}

long fdt_finish(struct fdt_writer *w)
{
    if (!w)
        return FDT_ERR_BADARG;
    if (w->err)
        return w->err;
    if (!w->root_done)
        return fail(w, FDT_ERR_STATE); /* no root node, or nodes still open */
    if (room(w) < 4)
        return fail(w, FDT_ERR_NOSPACE);
    emit32(w, FDT_END);

    size_t struct_end = w->pos, strings_size = w->size - w->strings;
    __builtin_memmove(w->buf + struct_end, w->buf + w->strings, strings_size);

    /* Name offsets were counted back from the buffer's end; make them
     * offsets into the strings block. The walk only meets our own tokens. */
    for (size_t p = w->struct_off; p + 4 <= struct_end;) {
        uint32_t tok = get32(w->buf + p);
        p += 4;
        if (tok == FDT_BEGIN_NODE) {
            p += ALIGN4(__builtin_strlen((const char *)w->buf + p) + 1);
        } else if (tok == FDT_PROP) {
            uint32_t len = get32(w->buf + p);
            put32(w->buf + p + 4, (uint32_t)(strings_size - get32(w->buf + p + 4)));
            p += 8 + ALIGN4(len);
        } else if (tok == FDT_END) {
            break;
        }
    }

    uint8_t *h = w->buf;
    put32(h + 0, FDT_MAGIC);
    put32(h + 4, (uint32_t)(struct_end + strings_size)); /* totalsize */
    put32(h + 8, (uint32_t)w->struct_off);               /* off_dt_struct */
    put32(h + 12, (uint32_t)struct_end);                 /* off_dt_strings */
    put32(h + 16, HEADER_SIZE);                          /* off_mem_rsvmap */
    put32(h + 20, 17);                                   /* version */
    put32(h + 24, 16);                                   /* last_comp_version */
    put32(h + 28, w->boot_cpuid);                        /* boot_cpuid_phys */
    put32(h + 32, (uint32_t)strings_size);               /* size_dt_strings */
    put32(h + 36, (uint32_t)(struct_end - w->struct_off)); /* size_dt_struct */

    long total = (long)(struct_end + strings_size);
    w->err = FDT_ERR_STATE; /* the tree is closed: nothing more may be added */
    return total;
}
