/* Microbenchmarks, run under QEMU -icount shift=0 so that the cycle
 * counter counts guest instructions (kernel and user alike). Each figure is
 * the mean over many iterations after a warm-up. Prints `name: value unit`
 * lines and `bench done`. */
#include <icecap/env.h>
#include <icecap/icecap.h>
#include <icecap/vcpu.h>

#define ROOT_CNODE IC_SLOT_ROOT_CNODE
#define ROOT_VSPACE IC_SLOT_ROOT_VSPACE
#define ROOT_TCB IC_SLOT_ROOT_TCB
#define ITERATIONS 1000
#define WARMUP 20

static ic_bootinfo_t *bi;
static ic_cptr_t vmids;
static ic_word_t next_vaddr = 0x40000000;

/* Mapped with the page tables it needs (icecap/env.h). */
static void map(ic_cptr_t vspace, ic_cptr_t frame, ic_word_t va)
{
    ic_map_frame(vspace, frame, va, IC_RIGHTS_ALL, IC_ATTR_CACHED);
}

/* A page mapped in the root VSpace, and also in 'other' at the same address
 * if other != 0. */
static void *shared_page(ic_cptr_t other)
{
    ic_cptr_t f = ic_make(IC_OBJ_FRAME_4K, 0);
    ic_word_t va = next_vaddr;
    next_vaddr += 4096;
    map(ROOT_VSPACE, f, va);
    if (other) {
        ic_cptr_t copy = ic_slot();
        ic_err_t err = ic_cnode_copy(ROOT_CNODE, copy, 64, f, 64, IC_RIGHTS_ALL, ROOT_CNODE);
        if (err)
            ic_die("copy", err);
        map(other, copy, va);
    }
    return (void *)va;
}

/* A VSpace with the root task's image mapped (copies of its frames). */
static ic_cptr_t new_vspace(void)
{
    ic_cptr_t vs = ic_make(IC_OBJ_VSPACE, 0);
    ic_err_t err = ic_vmid_pool_assign(vmids, vs);
    if (err)
        ic_die("VMID", err);
    ic_word_t va = bi->image_vaddr;
    for (ic_word_t s = bi->image_frames.start; s < bi->image_frames.end; s++) {
        ic_cptr_t copy = ic_slot();
        err = ic_cnode_copy(ROOT_CNODE, copy, 64, s, 64, IC_RIGHTS_ALL, ROOT_CNODE);
        if (err)
            ic_die("copy image frame", err);
        map(vs, copy, va);
        va += 4096;
    }
    return vs;
}

typedef void (*entry_fn)(ic_word_t);

static ic_cptr_t spawn(ic_cptr_t vspace, entry_fn fn, ic_word_t arg, unsigned prio, unsigned cpu, ic_cptr_t fault_ep)
{
    ic_cptr_t tcb = ic_make(IC_OBJ_TCB, 0);
    ic_cptr_t ipc_frame = ic_make(IC_OBJ_FRAME_4K, 0);
    ic_word_t ipc_va = next_vaddr, stack_va = next_vaddr + 4096;
    next_vaddr += 4 * 4096;
    map(vspace, ipc_frame, ipc_va);
    for (int i = 0; i < 2; i++)
        map(vspace, ic_make(IC_OBJ_FRAME_4K, 0), stack_va + i * 4096);
    ic_err_t err = ic_tcb_configure(tcb, 64 - IC_ROOT_CNODE_BITS, ipc_va, fault_ep, ROOT_CNODE, vspace, ipc_frame);
    if (!err)
        err = ic_tcb_set_priority(tcb, prio, ROOT_TCB);
    if (!err) /* it reads the cycle counter too */
        err = ic_tcb_set_access(tcb, IC_TCB_ACCESS_ALL, ROOT_TCB);
    if (!err && cpu)
        err = ic_tcb_set_affinity(tcb, cpu);
    if (err)
        ic_die("thread setup", err);
    ic_user_context_t regs = { 0 };
    regs.regs[IC_REG_PC] = (ic_word_t)fn;
    regs.regs[IC_REG_SP] = stack_va + 2 * 4096;
    regs.regs[IC_REG_TPIDR] = ipc_va;
    regs.regs[IC_REG_X0] = arg;
    if ((err = ic_tcb_write_registers(tcb, true, IC_REG_COUNT, &regs)))
        ic_die("start thread", err);
    return tcb;
}

static void report(const char *name, uint64_t total, unsigned n)
{
    ic_printf("%s: %llu instructions\n", name, (unsigned long long)(total / n));
}

/* The guest benchmarks count with the virtual counter, whose ticks are
 * instructions in groups of 10^9 / frequency under -icount shift=0: fine
 * enough over many iterations, as a timed span starts at a different
 * point of a tick each time. */
static void report_ticks(const char *name, uint64_t ticks, unsigned n)
{
    report(name, ticks * (1000000000ull / ic_counter_frequency()), n);
}

/* ---------------------------------------------------------------- IPC */
static ic_cptr_t ipc_ep;

static void ipc_server(ic_word_t unused)
{
    (void)unused;
    ic_word_t badge;
    ic_recv(ipc_ep, &badge);
    for (;;)
        ic_reply_recv(ipc_ep, ic_msginfo_new(0, 0, 0, 0), &badge);
}

static uint64_t ipc_round_trips(void)
{
    uint64_t total = 0;
    for (int i = 0; i < ITERATIONS + WARMUP; i++) {
        uint64_t t0 = ic_cycles();
        ic_call(ipc_ep, ic_msginfo_new(0, 0, 0, 0), 0);
        uint64_t t1 = ic_cycles();
        if (i >= WARMUP)
            total += t1 - t0;
    }
    return total;
}

static void bench_ipc(void)
{
    ipc_ep = ic_make(IC_OBJ_ENDPOINT, 0);
    spawn(new_vspace(), ipc_server, 0, 255, 0, 0);
    report("ipc_round_trip (Call + ReplyRecv, two address spaces)", ipc_round_trips(), ITERATIONS);
    /* the same, counting only the kernel's instructions: the cycle
     * counter's filter leaves out EL0 (and keeps EL2) */
    __asm__ volatile("msr pmccfiltr_el0, %0; isb" ::"r"((1ull << 30) | (1ull << 27)));
    uint64_t kernel_only = ipc_round_trips();
    __asm__ volatile("msr pmccfiltr_el0, %0; isb" ::"r"(1ull << 27));
    report("ipc_round_trip_kernel_only (the same, EL0 not counted)", kernel_only, ITERATIONS);
}

/* ---------------------------------------------------------------- null syscall */
static void bench_null_syscall(void)
{
    uint64_t total = 0;
    for (int i = 0; i < ITERATIONS + WARMUP; i++) {
        uint64_t t0 = ic_cycles();
        ic_yield();
        uint64_t t1 = ic_cycles();
        if (i >= WARMUP)
            total += t1 - t0;
    }
    report("null_syscall (Yield, nothing else to run)", total, ITERATIONS);
}

/* ---------------------------------------------------------------- faults */
static volatile uint64_t *fault_result;

static void faulter(ic_word_t unused)
{
    (void)unused;
    uint64_t total = 0;
    for (int i = 0; i < ITERATIONS + WARMUP; i++) {
        uint64_t t0 = ic_cycles();
        register ic_word_t x7 __asm__("x7") = 99; /* an unknown system call */
        __asm__ volatile("svc #0" : "+r"(x7) : : "x0", "x1", "x2", "x3", "x4", "x5", "memory");
        uint64_t t1 = ic_cycles();
        if (i >= WARMUP)
            total += t1 - t0;
    }
    *fault_result = total;
    /* one more fault tells the handler the result is ready */
    register ic_word_t x7 __asm__("x7") = 99;
    __asm__ volatile("svc #0" : "+r"(x7) : : "x0", "x1", "x2", "x3", "x4", "x5", "memory");
}

static void bench_fault(void)
{
    ic_cptr_t fault_ep = ic_make(IC_OBJ_ENDPOINT, 0);
    fault_result = shared_page(0);
    *fault_result = ~0ull;
    spawn(ROOT_VSPACE, faulter, 0, 254, 0, fault_ep);
    ic_word_t badge;
    ic_recv(fault_ep, &badge);
    for (int i = 0; i < ITERATIONS + WARMUP; i++)
        ic_reply_recv(fault_ep, ic_msginfo_new(0, 0, 0, 0), &badge);
    report("fault_round_trip (unknown syscall to a handler and back)", *fault_result, ITERATIONS);
}

/* ---------------------------------------------------------------- notifications */
static volatile uint64_t *wake_times;
static ic_cptr_t bench_ntfn;

static void waiter(ic_word_t unused)
{
    (void)unused;
    ic_word_t badge;
    for (int i = 0;; i++) {
        ic_wait(bench_ntfn, &badge);
        wake_times[i % 256] = ic_cycles();
    }
}

static void bench_signal(void)
{
    bench_ntfn = ic_make(IC_OBJ_NOTIFICATION, 0);
    wake_times = shared_page(0);
    spawn(ROOT_VSPACE, waiter, 0, 255, 0, 0);
    /* the waiter runs first and blocks once the root yields to it */
    ic_yield();
    ic_err_t err = ic_tcb_set_priority(ROOT_TCB, 200, ROOT_TCB);
    if (err)
        ic_die("lower priority", err);
    uint64_t total = 0;
    for (int i = 0; i < ITERATIONS + WARMUP; i++) {
        uint64_t t0 = ic_cycles();
        ic_signal(bench_ntfn);
        if (i >= WARMUP)
            total += wake_times[i % 256] - t0;
    }
    ic_tcb_set_priority(ROOT_TCB, 255, ROOT_TCB);
    report("signal_to_waiting_thread (higher priority, same CPU)", total, ITERATIONS);
}

/* ---------------------------------------------------------------- VM exits */
void guest_mmio_bench(void);

/* Set by the guest of the remote interrupt benchmark (through the root's
 * image, which every guest here maps at the same address) when it spins. */
static volatile uint64_t remote_guest_spinning;
static volatile uint64_t cpu0_stopped_at; /* guest_cpu0_sleeper's last reading */

/* A guest at priority 254 in its own VSpace on CPU 'cpu', started at entry
 * with x0 = the number of rounds and x19 = an address the VMM emulates; its
 * exits arrive on *ep. */
static void start_guest_on(void (*entry)(void), ic_cptr_t *vcpu_out, ic_cptr_t ep, unsigned cpu)
{
    ic_cptr_t vs = new_vspace(), tcb = ic_make(IC_OBJ_TCB, 0), vcpu = ic_make(IC_OBJ_VCPU, 0);
    ic_err_t err = ic_tcb_configure(tcb, 64 - IC_ROOT_CNODE_BITS, 0, ep, ROOT_CNODE, vs, 0);
    if (!err)
        err = ic_tcb_set_priority(tcb, 254, ROOT_TCB);
    if (!err)
        err = ic_vcpu_set_tcb(vcpu, tcb);
    if (!err && cpu)
        err = ic_tcb_set_affinity(tcb, cpu);
    if (err)
        ic_die("guest setup", err);
    ic_user_context_t regs = { 0 };
    regs.regs[IC_REG_PC] = (ic_word_t)entry;
    regs.regs[IC_REG_SPSR] = 0x3c5;
    regs.regs[IC_REG_X0] = ITERATIONS + WARMUP;
    regs.regs[IC_REG_X0 + 19] = 0x10000000;
    regs.regs[IC_REG_X0 + 20] = (ic_word_t)&remote_guest_spinning;
    regs.regs[IC_REG_X0 + 21] = (ic_word_t)&cpu0_stopped_at;
    regs.regs[IC_REG_X0 + 22] = ic_counter_frequency() / 10000; /* 100 us */
    if ((err = ic_tcb_write_registers(tcb, true, IC_REG_COUNT, &regs)))
        ic_die("start guest", err);
    *vcpu_out = vcpu;
}

static void start_guest(void (*entry)(void), ic_cptr_t *vcpu_out, ic_cptr_t *ep_out, unsigned cpu)
{
    *ep_out = ic_make(IC_OBJ_ENDPOINT, 0);
    start_guest_on(entry, vcpu_out, *ep_out, cpu);
}

static void bench_vm_exit(void)
{
    ic_cptr_t vcpu, ep;
    start_guest(guest_mmio_bench, &vcpu, &ep, 0);
    /* the VMM: every read of the emulated register returns 0x1234 */
    ic_msginfo_t info = ic_recv(ep, NULL);
    while (ic_msginfo_label(info) == IC_FAULT_VCPU_DATA_ABORT) {
        ic_set_mr(0, 0x1234);
        info = ic_reply_recv(ep, ic_msginfo_new(IC_VCPU_REPLY_EMULATED, 0, 0, 1), NULL);
    }
    if (ic_msginfo_label(info) != IC_FAULT_VCPU_HVC)
        ic_die("guest ended unexpectedly", IC_ILLEGAL_OPERATION);
    report_ticks("vm_exit_round_trip (emulated MMIO read, guest to VMM and back)", ic_get_mr(0),
                 ITERATIONS + WARMUP);
}

void guest_irq_bench(void);

/* From the VMM's injection to the first instruction of the guest's handler. */
static void bench_virq(void)
{
    if (bi->gic_version != 3)
        return; /* the guest of this benchmark speaks GICv3 */
    ic_cptr_t vcpu, ep;
    ic_err_t err;
    start_guest(guest_irq_bench, &vcpu, &ep, 0);
    uint64_t total = 0, t0 = 0;
    for (int i = 0; i < 3 * (ITERATIONS + WARMUP); i++) {
        ic_msginfo_t info = ic_recv(ep, NULL);
        ic_word_t label = ic_msginfo_label(info);
        if (label == IC_FAULT_VCPU_HVC && ic_get_mr(IC_VCPU_CALL_IMM) == 0x40) {
            t0 = ic_counter();
            if ((err = ic_vcpu_inject_irq(vcpu, 40, 0xa0, 1, 0)))
                ic_die("inject", err);
        } else if (label == IC_FAULT_VCPU_HVC && ic_get_mr(IC_VCPU_CALL_IMM) == 0x41) {
            if (i >= 3 * WARMUP)
                total += ic_get_mr(IC_VCPU_CALL_X0) - t0;
        } else if (label != IC_FAULT_VCPU_VGIC_MAINTENANCE) {
            ic_die("unexpected guest exit", IC_ILLEGAL_OPERATION);
        }
        ic_reply(ic_msginfo_new(IC_VCPU_REPLY_RETRY, 0, 0, 0));
    }
    report_ticks("virq_injection (VMM injects to guest handler entry)", total, ITERATIONS);
}

void guest_irq_remote_bench(void);
void guest_cpu0_sleeper(void);

#define REMOTE_ITERATIONS 100

/* An injection into a guest running on the other CPU, in instructions on
 * each CPU. The VMM's call on CPU 0 queues the list register in the VCPU
 * and kicks CPU 1; nobody waits. CPU 1's part: from the moment CPU 0 stops
 * after the call to the first instruction of the guest's handler on CPU 1,
 * i.e. the kick taken, the queued list register put in and the guest's
 * interrupt entry. Under
 * -icount QEMU runs one CPU at a time and moves to CPU 1 only when CPU 0
 * stops, so the span is CPU 1's instructions alone: after the call, the
 * VMM waits for its next exit and CPU 0 runs a guest that reads the counter
 * and stops in WFI (guest_cpu0_sleeper). That guest's timer bounds each
 * turn of CPU 1; the VMM injects when the guest has armed it and asks for
 * its line (HVC 0x50), as writing the timer also makes QEMU change CPUs. A
 * round in which CPU 1 ran before CPU 0 stopped (the reading is older than
 * the call) is not counted. */
static void bench_virq_remote(void)
{
    if (bi->gic_version != 3 || bi->num_cpus < 2)
        return;
    ic_cptr_t vcpu, sleeper, ep;
    ic_err_t err;
    start_guest(guest_irq_remote_bench, &vcpu, &ep, 1);
    start_guest_on(guest_cpu0_sleeper, &sleeper, ep, 0);
    uint64_t total = 0, t0 = 0, call = 0, call_total = 0;
    unsigned counted = 0, rounds = 0, not_counted = 0;
    while (rounds < REMOTE_ITERATIONS + WARMUP) {
        ic_msginfo_t info = ic_recv(ep, NULL);
        ic_word_t label = ic_msginfo_label(info), imm = ic_get_mr(IC_VCPU_CALL_IMM);
        if (label == IC_FAULT_VCPU_HVC && imm == 0x50) {
            if ((err = ic_vcpu_ack_vtimer(sleeper)))
                ic_die("unmask the timer", err);
            if (remote_guest_spinning) {
                remote_guest_spinning = 0;
                t0 = ic_counter();
                uint64_t c0 = ic_cycles();
                if ((err = ic_vcpu_inject_irq(vcpu, 40, 0xa0, 1, 0)))
                    ic_die("inject", err);
                call = ic_cycles() - c0;
            }
        } else if (label == IC_FAULT_VCPU_HVC && imm == 0x41) {
            uint64_t handler = ic_get_mr(IC_VCPU_CALL_X0), stopped = ic_get_mr(IC_VCPU_CALL_X0 + 1);
            bool valid = stopped >= t0 && handler >= stopped;
            if (rounds++ >= WARMUP && !valid)
                not_counted++;
            if (rounds > WARMUP && valid)
                total += handler - stopped, call_total += call, counted++;
        } else if (label != IC_FAULT_VCPU_VTIMER && label != IC_FAULT_VCPU_VGIC_MAINTENANCE &&
                   !(label == IC_FAULT_VCPU_HVC && imm == 0x40)) {
            ic_die("unexpected guest exit", IC_ILLEGAL_OPERATION);
        }
        ic_reply(ic_msginfo_new(IC_VCPU_REPLY_RETRY, 0, 0, 0));
    }
    if (!counted)
        ic_die("no round of the remote injection could be counted", IC_ILLEGAL_OPERATION);
    if (not_counted)
        ic_printf("virq_injection_remote_target_left_out (rounds in which CPU 1 ran before CPU 0 stopped): %u rounds\n",
                  not_counted);
    report("virq_injection_remote (the VMM call on CPU 0 into a guest running on CPU 1, queued and kicked)",
           call_total, counted);
    report_ticks("virq_injection_remote_target (CPU 1 part, from the kick to the guest handler)", total,
                 counted);
}

int main(ic_bootinfo_t *bootinfo)
{
    bi = bootinfo;
    ic_env_init(bi, "bench");
    /* a root task's memory comes in many regions: objects from the largest */
    unsigned best = 0;
    for (ic_word_t i = 0; i < bi->untyped.end - bi->untyped.start; i++)
        if (!bi->untyped_list[i].is_device && bi->untyped_list[i].size_bits > best)
            best = bi->untyped_list[i].size_bits, ic_env.pool = bi->untyped.start + i;
    vmids = ic_slot();
    ic_err_t err = ic_vmid_control_make_pool(IC_SLOT_VMIDS, 2, IC_NUM_VMIDS - 2, vmids, 64, ROOT_CNODE);
    if (err)
        ic_die("VMID pool", err);
    bench_null_syscall();
    bench_ipc();
    bench_fault();
    bench_signal();
    bench_vm_exit();
    bench_virq();
    bench_virq_remote();
    ic_printf("bench done\n");
    return 0;
}
