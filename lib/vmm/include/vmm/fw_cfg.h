/* QEMU's firmware configuration device (fw_cfg, QEMU's
 * docs/specs/fw_cfg.rst), MMIO flavour as on the virt board: where a VMM
 * finds the files a user hands to QEMU with -fw_cfg name=NAME,file=PATH
 * (the host VM's kernel and initramfs, docs/host-vm.md).
 *
 * Registers: data at +0 (reads give the item's bytes in order), selector at
 * +8 (16 bits, big-endian), DMA address at +16 (64 bits, big-endian). The
 * directory of files is read through the data register; file contents go
 * by DMA straight to a physical address, so they are written once, where
 * they are needed, and never pass through the VMM.
 *
 * Freestanding: no libc. */
#ifndef VMM_FW_CFG_H
#define VMM_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

#define FW_CFG_SIZE 0x18u               /* the registers' span */
#define FW_CFG_KEY_SIGNATURE 0x0000u    /* "QEMU" */
#define FW_CFG_KEY_ID 0x0001u           /* features: bit 1 is DMA */
#define FW_CFG_KEY_FILE_DIR 0x0019u
#define FW_CFG_FILE_ENTRY_SIZE 64u      /* size (BE32), key (BE16), reserved, name[56] */
#define FW_CFG_NAME_MAX 56u
#define FW_CFG_DMA_SIGNATURE 0x51454d5520434647ull /* "QEMU CFG", the DMA register read */

/* DMA request control bits */
#define FW_CFG_DMA_ERROR 0x01u
#define FW_CFG_DMA_READ 0x02u
#define FW_CFG_DMA_SKIP 0x04u
#define FW_CFG_DMA_SELECT 0x08u

enum {
    FW_CFG_OK = 0,
    FW_CFG_ERR_BAD_ARG = -1,
    FW_CFG_ERR_ABSENT = -2,     /* no device, or one without DMA */
    FW_CFG_ERR_NOT_FOUND = -3,  /* no file of that name */
    FW_CFG_ERR_BAD_DIR = -4,    /* the directory claims more than it holds */
    FW_CFG_ERR_RANGE = -5,      /* past the end of the file */
    FW_CFG_ERR_DMA = -6,        /* the device reported an error */
};

struct fw_cfg_file {
    uint32_t size;
    uint16_t key;
};

/* A device, and the place of its DMA request: 16 bytes of RAM the VMM can
 * write at 'desc' and the device reads at physical 'desc_paddr'. */
struct fw_cfg {
    volatile uint8_t *regs;
    volatile void *desc;
    uint64_t desc_paddr;
};

/* Looks 'name' up in a directory as read from FW_CFG_KEY_FILE_DIR (len
 * bytes of it at dir). */
int fw_cfg_find_in_dir(const void *dir, size_t len, const char *name, struct fw_cfg_file *out);

/* FW_CFG_OK if regs is a fw_cfg device with DMA. */
int fw_cfg_probe(struct fw_cfg *dev);

/* Finds a file by reading the device's directory. */
int fw_cfg_find(struct fw_cfg *dev, const char *name, struct fw_cfg_file *out);

/* Copies len bytes of a file, from offset, to physical address paddr. */
int fw_cfg_read(struct fw_cfg *dev, const struct fw_cfg_file *f, uint32_t offset, uint64_t paddr, uint32_t len);

/* The control word of a DMA request (what the device reads, big-endian). */
uint32_t fw_cfg_dma_control(uint16_t key, uint32_t ops);

#endif
