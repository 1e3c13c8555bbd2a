/* QEMU's firmware configuration device: its file directory and DMA
 * request encoding (lib/vmm/fw_cfg.c). */
#include "harness.h"
#include <vmm/fw_cfg.h>
#include <string.h>

static void put_be(uint8_t *p, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* A directory as the device gives it: a big-endian count, then 64-byte
 * entries (size, key, reserved, name). */
static size_t make_dir(uint8_t *d, unsigned count, const char *const names[], const uint32_t sizes[])
{
    memset(d, 0, 4 + count * FW_CFG_FILE_ENTRY_SIZE);
    put_be(d, count, 4);
    for (unsigned i = 0; i < count; i++) {
        uint8_t *e = d + 4 + i * FW_CFG_FILE_ENTRY_SIZE;
        put_be(e, sizes[i], 4);
        put_be(e + 4, 0x20 + i, 2);
        strncpy((char *)e + 8, names[i], FW_CFG_NAME_MAX);
    }
    return 4 + count * FW_CFG_FILE_ENTRY_SIZE;
}

TEST(fw_cfg_finds_a_file_by_name)
{
    uint8_t d[4 + 3 * 64];
    const char *const names[] = { "etc/boot-fail-wait", "opt/icecap/kernel", "opt/icecap/initramfs" };
    const uint32_t sizes[] = { 4, 0x2100200, 0x101234 };
    size_t len = make_dir(d, 3, names, sizes);
    struct fw_cfg_file f;
    CHECK_EQ(fw_cfg_find_in_dir(d, len, "opt/icecap/kernel", &f), FW_CFG_OK);
    CHECK_EQ(f.size, 0x2100200);
    CHECK_EQ(f.key, 0x21);
    CHECK_EQ(fw_cfg_find_in_dir(d, len, "opt/icecap/initramfs", &f), FW_CFG_OK);
    CHECK_EQ(f.size, 0x101234);
    CHECK_EQ(f.key, 0x22);
}

TEST(fw_cfg_names_match_whole)
{
    uint8_t d[4 + 2 * 64];
    const char *const names[] = { "opt/icecap/kernel2", "opt/icecap/kern" };
    const uint32_t sizes[] = { 1, 2 };
    size_t len = make_dir(d, 2, names, sizes);
    struct fw_cfg_file f;
    CHECK_EQ(fw_cfg_find_in_dir(d, len, "opt/icecap/kernel", &f), FW_CFG_ERR_NOT_FOUND);
    CHECK_EQ(fw_cfg_find_in_dir(d, len, "", &f), FW_CFG_ERR_BAD_ARG);
}

TEST(fw_cfg_refuses_an_unterminated_name)
{
    uint8_t d[4 + 64];
    const char *const names[] = { "x" };
    const uint32_t sizes[] = { 1 };
    size_t len = make_dir(d, 1, names, sizes);
    memset(d + 4 + 8, 'a', FW_CFG_NAME_MAX); /* 56 letters, no terminator */
    char name[FW_CFG_NAME_MAX + 1];
    memset(name, 'a', FW_CFG_NAME_MAX);
    name[FW_CFG_NAME_MAX] = 0;
    struct fw_cfg_file f;
    CHECK_EQ(fw_cfg_find_in_dir(d, len, name, &f), FW_CFG_ERR_NOT_FOUND);
}

TEST(fw_cfg_refuses_a_directory_longer_than_its_bytes)
{
    uint8_t d[4 + 2 * 64];
    const char *const names[] = { "a", "b" };
    const uint32_t sizes[] = { 1, 2 };
    make_dir(d, 2, names, sizes);
    struct fw_cfg_file f;
    CHECK_EQ(fw_cfg_find_in_dir(d, 4 + 64, "a", &f), FW_CFG_ERR_BAD_DIR); /* count 2, one entry's bytes */
    CHECK_EQ(fw_cfg_find_in_dir(d, 3, "a", &f), FW_CFG_ERR_BAD_DIR);
    put_be(d, 0xffffffffu, 4);
    CHECK_EQ(fw_cfg_find_in_dir(d, sizeof(d), "a", &f), FW_CFG_ERR_BAD_DIR);
}

TEST(fw_cfg_dma_control_is_big_endian_with_the_key_on_top)
{
    uint32_t c = fw_cfg_dma_control(0x21, FW_CFG_DMA_SELECT | FW_CFG_DMA_READ);
    const uint8_t *b = (const uint8_t *)&c; /* as the device reads it from memory */
    CHECK_EQ(b[0], 0x00);
    CHECK_EQ(b[1], 0x21);
    CHECK_EQ(b[2], 0x00);
    CHECK_EQ(b[3], 0x0a);
}

TEST(fw_cfg_read_refuses_past_the_end)
{
    struct fw_cfg dev = { 0 };
    struct fw_cfg_file f = { .size = 100, .key = 0x20 };
    CHECK_EQ(fw_cfg_read(&dev, &f, 0, 0x40000000, 101), FW_CFG_ERR_RANGE);
    CHECK_EQ(fw_cfg_read(&dev, &f, 101, 0x40000000, 0), FW_CFG_ERR_RANGE);
    CHECK_EQ(fw_cfg_read(&dev, &f, 50, 0x40000000, 51), FW_CFG_ERR_RANGE);
    CHECK_EQ(fw_cfg_read(&dev, &f, 0xffffffffu, 0x40000000, 2), FW_CFG_ERR_RANGE);
}
