/* QEMU's firmware configuration device: its file directory and DMA reads.
 * See vmm/fw_cfg.h. */
#include <vmm/fw_cfg.h>

#define REG_DATA 0x00u
#define REG_SELECTOR 0x08u
#define REG_DMA 0x10u
#define DMA_SPINS_MAX (1ul << 28) /* a request still going after that many looks has failed */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t to_be32(uint32_t v)
{
    return __builtin_bswap32(v); /* the VMM runs little-endian */
}

static uint64_t to_be64(uint64_t v)
{
    return __builtin_bswap64(v);
}

/* What the CPU wrote to memory is visible to a device before the write to
 * its register that starts it, and what the device wrote is seen after. */
static void device_barrier(void)
{
#ifdef __aarch64__
    __asm__ volatile("dsb sy" ::: "memory");
#else
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

static int names_equal(const uint8_t *entry_name, const char *name)
{
    for (unsigned i = 0; i < FW_CFG_NAME_MAX; i++) {
        if (entry_name[i] != (uint8_t)name[i])
            return 0;
        if (!name[i])
            return 1;
    }
    return 0; /* an entry's name fills its field: no terminator, no match */
}

int fw_cfg_find_in_dir(const void *dir, size_t len, const char *name, struct fw_cfg_file *out)
{
    if (!dir || !name || !out || !name[0])
        return FW_CFG_ERR_BAD_ARG;
    const uint8_t *d = dir;
    if (len < 4)
        return FW_CFG_ERR_BAD_DIR;
    uint32_t count = be32(d);
    if (count > (len - 4) / FW_CFG_FILE_ENTRY_SIZE)
        return FW_CFG_ERR_BAD_DIR;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = d + 4 + (size_t)i * FW_CFG_FILE_ENTRY_SIZE;
        if (names_equal(e + 8, name)) {
            out->size = be32(e);
            out->key = (uint16_t)(e[4] << 8 | e[5]);
            return FW_CFG_OK;
        }
    }
    return FW_CFG_ERR_NOT_FOUND;
}

uint32_t fw_cfg_dma_control(uint16_t key, uint32_t ops)
{
    return to_be32((uint32_t)key << 16 | ops);
}

static void select_key(struct fw_cfg *dev, uint16_t key)
{
    *(volatile uint16_t *)(dev->regs + REG_SELECTOR) = (uint16_t)(key << 8 | key >> 8);
}

/* The next n bytes of the selected item, through the data register. */
static void read_data(struct fw_cfg *dev, void *buf, size_t n)
{
    uint8_t *b = buf;
    for (size_t i = 0; i < n; i++)
        b[i] = *(volatile uint8_t *)(dev->regs + REG_DATA);
}

int fw_cfg_probe(struct fw_cfg *dev)
{
    if (!dev || !dev->regs || !dev->desc)
        return FW_CFG_ERR_BAD_ARG;
    uint8_t sig[4], id[4];
    select_key(dev, FW_CFG_KEY_SIGNATURE);
    read_data(dev, sig, 4);
    if (sig[0] != 'Q' || sig[1] != 'E' || sig[2] != 'M' || sig[3] != 'U')
        return FW_CFG_ERR_ABSENT;
    select_key(dev, FW_CFG_KEY_ID);
    read_data(dev, id, 4);
    volatile uint64_t *dma = (volatile uint64_t *)(dev->regs + REG_DMA);
    if (!(id[0] & 2) || to_be64(*dma) != FW_CFG_DMA_SIGNATURE)
        return FW_CFG_ERR_ABSENT;
    return FW_CFG_OK;
}

int fw_cfg_find(struct fw_cfg *dev, const char *name, struct fw_cfg_file *out)
{
    if (!dev || !name || !out)
        return FW_CFG_ERR_BAD_ARG;
    uint8_t count_be[4];
    select_key(dev, FW_CFG_KEY_FILE_DIR);
    read_data(dev, count_be, 4);
    uint32_t count = be32(count_be);
    /* one entry at a time, through a directory of just that entry */
    for (uint32_t i = 0; i < count; i++) {
        uint8_t one[4 + FW_CFG_FILE_ENTRY_SIZE] = { 0, 0, 0, 1 };
        read_data(dev, one + 4, FW_CFG_FILE_ENTRY_SIZE);
        if (fw_cfg_find_in_dir(one, sizeof(one), name, out) == FW_CFG_OK)
            return FW_CFG_OK;
    }
    return FW_CFG_ERR_NOT_FOUND;
}

/* One DMA request; the device completes it before the register write
 * returns (QEMU's is synchronous) or clears the control word when done. */
static int dma(struct fw_cfg *dev, uint32_t control, uint32_t len, uint64_t paddr)
{
    volatile uint32_t *desc = dev->desc;
    desc[0] = control;
    desc[1] = to_be32(len);
    ((volatile uint64_t *)desc)[1] = to_be64(paddr);
    device_barrier();
    *(volatile uint64_t *)(dev->regs + REG_DMA) = to_be64(dev->desc_paddr);
    uint32_t c = to_be32(desc[0]);
    for (unsigned long spins = 0; (c & ~FW_CFG_DMA_ERROR) && spins < DMA_SPINS_MAX; spins++)
        c = to_be32(desc[0]);
    device_barrier();
    return c ? FW_CFG_ERR_DMA : FW_CFG_OK;
}

int fw_cfg_read(struct fw_cfg *dev, const struct fw_cfg_file *f, uint32_t offset, uint64_t paddr, uint32_t len)
{
    if (!dev || !f)
        return FW_CFG_ERR_BAD_ARG;
    if (offset > f->size || len > f->size - offset)
        return FW_CFG_ERR_RANGE;
    int err;
    if (offset) {
        if ((err = dma(dev, fw_cfg_dma_control(f->key, FW_CFG_DMA_SELECT | FW_CFG_DMA_SKIP), offset, 0)))
            return err;
        return dma(dev, fw_cfg_dma_control(0, FW_CFG_DMA_READ), len, paddr);
    }
    return dma(dev, fw_cfg_dma_control(f->key, FW_CFG_DMA_SELECT | FW_CFG_DMA_READ), len, paddr);
}
