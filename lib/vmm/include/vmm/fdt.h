/* A small flattened device tree (DTB, version 17) writer.
 *
 *   struct fdt_writer w;
 *   fdt_begin(&w, buf, sizeof buf);
 *   fdt_add_reserve(&w, addr, size);          (optional, before any node)
 *   fdt_begin_node(&w, "");                   (the root node)
 *     fdt_property_u32(&w, "#address-cells", 2);
 *     fdt_begin_node(&w, "memory@40000000");
 *       fdt_property_string(&w, "device_type", "memory");
 *       fdt_property_u64_array(&w, "reg", (uint64_t[]){ base, size }, 2);
 *     fdt_end_node(&w);
 *   fdt_end_node(&w);
 *   long size = fdt_finish(&w);               (< 0: an error)
 *
 * Errors are sticky: the first one is kept, every later call returns it and
 * does nothing, so a caller may check only fdt_finish. Nothing is ever
 * written outside [buf, buf + size).
 *
 * Layout while writing: header, reservation map, structure block growing
 * up; property names grow down from the end of the buffer (deduplicated).
 * fdt_finish moves the names right after the structure block and fixes up
 * the properties' name offsets.
 *
 * Freestanding: no libc, no allocation. */
#ifndef VMM_FDT_H
#define VMM_FDT_H

#include <stddef.h>
#include <stdint.h>

enum fdt_err {
    FDT_OK = 0,
    FDT_ERR_NOSPACE = -1, /* the buffer is too small */
    FDT_ERR_STATE = -2,   /* call out of order: reserve after a node, property outside a node,
                             unbalanced end_node, a second root, finish with open nodes */
    FDT_ERR_BADARG = -3,  /* NULL pointer, empty property name, bad node name */
};

struct fdt_writer {
    uint8_t *buf;
    size_t size;
    size_t pos;          /* end of what is written from the front */
    size_t strings;      /* start of the names at the back: [strings, size) */
    size_t struct_off;   /* start of the structure block (0 until the first node) */
    unsigned depth;      /* open nodes */
    int err;             /* first error, sticky */
    int root_done;       /* the root node was closed */
    uint32_t boot_cpuid; /* header field boot_cpuid_phys; 0 unless set */
};

int fdt_begin(struct fdt_writer *w, void *buf, size_t size);
int fdt_add_reserve(struct fdt_writer *w, uint64_t addr, uint64_t size);
int fdt_begin_node(struct fdt_writer *w, const char *name);
int fdt_end_node(struct fdt_writer *w);
int fdt_property(struct fdt_writer *w, const char *name, const void *data, size_t len);
int fdt_property_empty(struct fdt_writer *w, const char *name); /* e.g. "interrupt-controller" */
int fdt_property_u32(struct fdt_writer *w, const char *name, uint32_t v);
int fdt_property_u64(struct fdt_writer *w, const char *name, uint64_t v);
int fdt_property_string(struct fdt_writer *w, const char *name, const char *s);
/* "compatible"-style lists: the strings one after another, each with its NUL */
int fdt_property_strings(struct fdt_writer *w, const char *name, const char *const *s, size_t n);
int fdt_property_u32_array(struct fdt_writer *w, const char *name, const uint32_t *v, size_t n);
/* each u64 as two cells, high first: "reg" with #address-cells = #size-cells = 2 */
int fdt_property_u64_array(struct fdt_writer *w, const char *name, const uint64_t *v, size_t n);
/* The DTB's total size (> 0), or an enum fdt_err. */
long fdt_finish(struct fdt_writer *w);

#endif
