/* Data abort and system register trap decoding (lib/vmm/mmio.c). */
#include "harness.h"
#include <vmm/mmio.h>
#include <icecap/vcpu.h>
#include <stddef.h>

/* A data abort syndrome from the guest: EC 0x24, IL, ISV and the fields. */
static uint64_t dabt(unsigned sas, bool sse, unsigned srt, bool sf, bool wnr)
{
    return (0x24ull << 26) | (1ull << 25) | (1ull << 24) | ((uint64_t)sas << 22) | ((uint64_t)sse << 21) |
           ((uint64_t)srt << 16) | ((uint64_t)sf << 15) | ((uint64_t)wnr << 6) | 0x07 /* translation fault L3 */;
}

TEST(mmio_decodes_a_word_load)
{
    struct mmio_access a;
    CHECK_EQ(mmio_decode(dabt(2, false, 3, true, false), 0x09000018, 0, &a), MMIO_OK);
    CHECK_EQ(a.addr, 0x09000018);
    CHECK_EQ(a.size, 4);
    CHECK_EQ(a.reg, 3);
    CHECK(!a.write);
    CHECK(a.reg64);
    CHECK(!a.sign_extend);
    CHECK_EQ(a.value, 0);
}

TEST(mmio_decodes_every_size)
{
    static const unsigned sizes[4] = { 1, 2, 4, 8 };
    for (unsigned sas = 0; sas < 4; sas++) {
        struct mmio_access a;
        CHECK_EQ(mmio_decode(dabt(sas, false, 0, true, false), 0, 0, &a), MMIO_OK);
        CHECK_EQ(a.size, sizes[sas]);
        CHECK_EQ(mmio_esr_size(dabt(sas, false, 0, true, false)), sizes[sas]);
    }
}

TEST(mmio_store_value_is_cut_to_the_access_size)
{
    struct mmio_access a;
    CHECK_EQ(mmio_decode(dabt(0, false, 5, false, true), 0x1000, 0x11223344, &a), MMIO_OK);
    CHECK(a.write);
    CHECK_EQ(a.reg, 5);
    CHECK_EQ(a.value, 0x44);
    CHECK_EQ(mmio_decode(dabt(1, false, 5, false, true), 0x1000, 0x11223344, &a), MMIO_OK);
    CHECK_EQ(a.value, 0x3344);
    CHECK_EQ(mmio_decode(dabt(2, false, 5, false, true), 0x1000, 0xaabbccdd11223344ull, &a), MMIO_OK);
    CHECK_EQ(a.value, 0x11223344);
    CHECK_EQ(mmio_decode(dabt(3, false, 5, true, true), 0x1000, 0xaabbccdd11223344ull, &a), MMIO_OK);
    CHECK_EQ(a.value, 0xaabbccdd11223344ull);
}

TEST(mmio_store_of_xzr_stores_zero)
{
    struct mmio_access a;
    CHECK_EQ(mmio_decode(dabt(2, false, 31, false, true), 0x1000, 0xdeadbeef, &a), MMIO_OK);
    CHECK_EQ(a.reg, 31);
    CHECK_EQ(a.value, 0);
}

TEST(mmio_rejects_what_cannot_be_emulated)
{
    struct mmio_access a;
    uint64_t no_isv = dabt(2, false, 1, true, false) & ~(1ull << 24);
    a.size = 99;
    CHECK_EQ(mmio_decode(no_isv, 0x1000, 0, &a), MMIO_ERR_NO_SYNDROME);
    CHECK_EQ(a.size, 0); /* zeroed on error */
    CHECK_EQ(mmio_esr_size(no_isv), 0);
    CHECK_EQ(mmio_decode(dabt(2, false, 1, true, false) | (1ull << 8), 0, 0, &a), MMIO_ERR_CACHE_MAINT);
    CHECK_EQ(mmio_decode(dabt(2, false, 1, true, false) | (1ull << 7), 0, 0, &a), MMIO_ERR_S1PTW);
}

TEST(mmio_rejects_other_exception_classes)
{
    struct mmio_access a;
    uint64_t iss = dabt(2, false, 1, true, false) & 0x1ffffff;
    CHECK_EQ(mmio_decode((0x20ull << 26) | iss, 0, 0, &a), MMIO_ERR_WRONG_EC); /* instruction abort */
    CHECK_EQ(mmio_decode((0x25ull << 26) | iss, 0, 0, &a), MMIO_ERR_WRONG_EC); /* same-EL data abort */
    CHECK_EQ(mmio_decode((0x18ull << 26) | iss, 0, 0, &a), MMIO_ERR_WRONG_EC);
    CHECK_EQ(mmio_decode(0, 0, 0, &a), MMIO_ERR_WRONG_EC);
    CHECK_EQ(mmio_decode(~0ull, 0, 0, &a), MMIO_ERR_WRONG_EC);
    CHECK_EQ(mmio_decode(dabt(2, false, 1, true, false), 0, 0, NULL), MMIO_ERR_BAD_ARG);
}

TEST(mmio_read_result_masks_and_sign_extends)
{
    struct mmio_access a;
    mmio_decode(dabt(0, false, 0, true, false), 0, 0, &a); /* LDRB Xt: zero-extended */
    CHECK_EQ(mmio_read_result(&a, 0xffffff80), 0x80);
    mmio_decode(dabt(0, true, 0, true, false), 0, 0, &a); /* LDRSB Xt */
    CHECK_EQ(mmio_read_result(&a, 0x80), 0xffffffffffffff80ull);
    CHECK_EQ(mmio_read_result(&a, 0x7f), 0x7f);
    mmio_decode(dabt(0, true, 0, false, false), 0, 0, &a); /* LDRSB Wt */
    CHECK_EQ(mmio_read_result(&a, 0x80), 0xffffff80);
    mmio_decode(dabt(1, true, 0, true, false), 0, 0, &a); /* LDRSH Xt */
    CHECK_EQ(mmio_read_result(&a, 0x12348000), 0xffffffffffff8000ull);
    mmio_decode(dabt(2, true, 0, true, false), 0, 0, &a); /* LDRSW */
    CHECK_EQ(mmio_read_result(&a, 0x80000000), 0xffffffff80000000ull);
    mmio_decode(dabt(2, false, 0, false, false), 0, 0, &a); /* LDR Wt */
    CHECK_EQ(mmio_read_result(&a, 0xaabbccdd11223344ull), 0x11223344);
    mmio_decode(dabt(3, false, 0, true, false), 0, 0, &a); /* LDR Xt */
    CHECK_EQ(mmio_read_result(&a, 0xaabbccdd11223344ull), 0xaabbccdd11223344ull);
    CHECK_EQ(mmio_read_result(NULL, 5), 0);
}

/* Every combination of size, SSE, SF and register: the result never has
 * bits beyond what the destination register can hold, applying the rule
 * twice changes nothing (the kernel applies it again), and a zero-extending
 * load returns exactly the low bytes. */
TEST(mmio_read_result_all_encodings)
{
    static const uint64_t values[] = { 0, 1, 0x7f, 0x80, 0xff, 0x8000, 0xffff, 0x80000000, 0xffffffff,
                                       0x8000000000000000ull, ~0ull, 0x0123456789abcdefull };
    for (unsigned sas = 0; sas < 4; sas++)
        for (unsigned sse = 0; sse < 2; sse++)
            for (unsigned sf = 0; sf < 2; sf++)
                for (unsigned srt = 0; srt < 32; srt++) {
                    struct mmio_access a;
                    CHECK_EQ(mmio_decode(dabt(sas, sse, srt, sf, false), 0, 0, &a), MMIO_OK);
                    CHECK_EQ(a.reg, srt);
                    for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++) {
                        uint64_t r = mmio_read_result(&a, values[i]);
                        if (!sf)
                            CHECK_EQ(r >> 32, 0);
                        CHECK_EQ(mmio_read_result(&a, r), r);
                        uint64_t low = a.size == 8 ? values[i] : values[i] & ((1ull << (8 * a.size)) - 1);
                        if (!sse)
                            CHECK_EQ(r, sf ? low : (uint32_t)low);
                    }
                }
}

TEST(mmio_decode_exit_message)
{
    uint64_t msg[IC_VCPU_ABORT_LENGTH] = { 0 };
    msg[IC_VCPU_ABORT_PC] = 0x40080000;
    msg[IC_VCPU_ABORT_ADDR] = 0x0a003e00;
    msg[IC_VCPU_ABORT_ESR] = dabt(2, false, 7, false, true);
    msg[IC_VCPU_ABORT_VALUE] = 0x1234567890ull;
    struct mmio_access a;
    CHECK_EQ(mmio_decode_exit(msg, IC_VCPU_ABORT_LENGTH, &a), MMIO_OK);
    CHECK_EQ(a.addr, 0x0a003e00);
    CHECK_EQ(a.reg, 7);
    CHECK(a.write);
    CHECK_EQ(a.value, 0x34567890);
    CHECK_EQ(mmio_decode_exit(msg, IC_VCPU_ABORT_LENGTH - 1, &a), MMIO_ERR_BAD_ARG);
    CHECK_EQ(a.size, 0);
    CHECK_EQ(mmio_decode_exit(NULL, 4, &a), MMIO_ERR_BAD_ARG);
}

TEST(mmio_decodes_sysreg_traps)
{
    /* MSR ICC_SGI1R_EL1, x5 */
    uint64_t esr = (0x18ull << 26) | (1ull << 25) | MMIO_SYSREG_ICC_SGI1R_EL1 | (5u << 5);
    struct mmio_sysreg s;
    CHECK_EQ(mmio_decode_sysreg(esr, &s), MMIO_OK);
    CHECK_EQ(s.id, MMIO_SYSREG_ICC_SGI1R_EL1);
    CHECK_EQ(s.reg, 5);
    CHECK(s.write);
    /* MRS x30, ICC_SGI0R_EL1 (a read: direction bit 0 set) */
    esr = (0x18ull << 26) | MMIO_SYSREG_ICC_SGI0R_EL1 | (30u << 5) | 1;
    CHECK_EQ(mmio_decode_sysreg(esr, &s), MMIO_OK);
    CHECK_EQ(s.id, MMIO_SYSREG_ICC_SGI0R_EL1);
    CHECK_EQ(s.reg, 30);
    CHECK(!s.write);
    CHECK(MMIO_SYSREG_ICC_SGI1R_EL1 != MMIO_SYSREG_ICC_ASGI1R_EL1);
    /* op0=3 op1=0 CRn=12 CRm=11 op2=5, as Linux's sys_reg(3, 0, 12, 11, 5) */
    CHECK_EQ(MMIO_SYSREG_ICC_SGI1R_EL1, (3u << 20) | (5u << 17) | (0u << 14) | (12u << 10) | (11u << 1));
    CHECK_EQ(mmio_decode_sysreg(dabt(2, 0, 0, 1, 0), &s), MMIO_ERR_WRONG_EC);
    CHECK_EQ(mmio_decode_sysreg(esr, NULL), MMIO_ERR_BAD_ARG);
}
