# IceCap in C: the top-level build.
#
#   make run           boot the host VM (Debian's Linux) under IceCap
#   make run-minimal   boot the kernel with the greeting root task
#   make test          every test: host unit tests (kernel logic, VMM library),
#                      the kernel suite on QEMU with GICv3 and with GICv2, the
#                      minimal demo, the guest Linux booted directly, and the
#                      host VM under IceCap with GICv3 and with GICv2
#   make bench         microbenchmarks under QEMU -icount shift=0
#   make tcb-size      lines of C and assembly in the kernel
#
# Variables: PLAT (virt), GIC (3 or 2), CROSS (aarch64-linux-gnu-).

PLAT ?= virt
GIC ?= 3
CROSS ?= aarch64-linux-gnu-
BUILD ?= build/$(PLAT)-gic$(GIC)
GEN := $(BUILD)/gen

CC := $(CROSS)gcc
OBJCOPY := $(CROSS)objcopy
HOSTCC ?= gcc
QEMU ?= qemu-system-aarch64

# QEMU's 'max' CPU, with its own fast pointer-authentication algorithm
# instead of the architected QARMA, which QEMU emulates slowly (guests get
# pointer authentication either way).
ifeq ($(GIC),3)
QEMU_CPU ?= max,pauth-impdef=on
else ifeq ($(GIC),2)
QEMU_CPU ?= cortex-a57
else
$(error GIC must be 2 or 3)
endif
# The machine, with only the devices named here (-nodefaults: no default
# network card, whose boot ROM is an optional package) and SMP CPUs (1 to 8).
SMP ?= 2
QEMU_MACHINE := -M virt,virtualization=on,gic-version=$(GIC) -cpu $(QEMU_CPU) -smp $(SMP) -m 1G \
                -nodefaults -nographic -no-reboot
# Tests: the console is QEMU's standard input and output, nothing else.
QEMU_FLAGS := $(QEMU_MACHINE) -serial stdio
# A person at the console: it is shared with QEMU's monitor, so Ctrl-a x
# quits and Ctrl-a c switches to the monitor, and Ctrl-C reaches the guest.
QEMU_CONSOLE := -chardev stdio,id=console,mux=on,signal=off -serial chardev:console -mon chardev=console

# Freestanding code for the target, kernel and user alike.
TARGET_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -O2 -g -ffreestanding -nostdlib \
                 -fno-stack-protector -fno-pic -fno-pie -mgeneral-regs-only -mno-outline-atomics \
                 -fno-omit-frame-pointer -Iinclude -I$(GEN)
KERNEL_CFLAGS := $(TARGET_CFLAGS) -Ikernel/include -Ikernel/plat/$(PLAT) -DGIC_VERSION=$(GIC) $(KERNEL_DEFS)
USER_CFLAGS := $(TARGET_CFLAGS) -Iuser/lib/include -Iuser/vmm/include
USER_CFLAGS += $(STRESS_CFLAGS)
LDFLAGS_TARGET := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments

.PHONY: all setup fuzz-kernel test-kernel-hardened boot-stats test-console run run-minimal run-minimal-check test-reset run-host test test-host test-kernel test-host-vm test-host-vm-images test-system bench \
        tcb-size \
        clean
.SECONDARY:

all: $(BUILD)/kernel-root-minimal.elf $(BUILD)/kernel-test-root.elf $(BUILD)/kernel-bench-root.elf

# ---------------------------------------------------------------- setup
# Installs the cross compiler, QEMU and the test tools when they are missing.
setup:
	@scripts/setup.sh

# ---------------------------------------------------------------- the ABI
# abi/invocations.tbl is the one definition of every invocation.
ABI_GEN := $(GEN)/icecap/invocations.h $(GEN)/icecap/stubs.h $(GEN)/kernel/dispatch.h
$(GEN)/icecap/invocations.h: abi/invocations.tbl tools/abigen.awk
	@mkdir -p $(dir $@)
	awk -v out=labels -f tools/abigen.awk $< > $@
$(GEN)/icecap/stubs.h: abi/invocations.tbl tools/abigen.awk
	@mkdir -p $(dir $@)
	awk -v out=stubs -f tools/abigen.awk $< > $@
$(GEN)/kernel/dispatch.h: abi/invocations.tbl tools/abigen.awk
	@mkdir -p $(dir $@)
	awk -v out=dispatch -f tools/abigen.awk $< > $@

# ---------------------------------------------------------------- kernel
KERNEL_SRCS := $(wildcard kernel/core/*.c) $(wildcard kernel/arch/aarch64/*.c) \
               $(wildcard kernel/arch/aarch64/*.S) \
               kernel/plat/$(PLAT)/uart_pl011.c kernel/plat/$(PLAT)/psci.c \
               kernel/plat/$(PLAT)/gic_v$(GIC).c
KERNEL_OBJS := $(patsubst %,$(BUILD)/%.o,$(KERNEL_SRCS))

$(BUILD)/kernel/%.o: kernel/% $(ABI_GEN)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

# Each root task is linked into its own bootable kernel image.
$(BUILD)/rootimg-%.o: tools/rootimage.S $(BUILD)/user/%.elf
	@$(CC) -c -DROOT_ELF='"$(BUILD)/user/$*.elf"' $< -o $@

$(BUILD)/kernel-%.elf: $(KERNEL_OBJS) $(BUILD)/rootimg-%.o kernel/arch/aarch64/kernel.ld
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS_TARGET) -T kernel/arch/aarch64/kernel.ld $(KERNEL_OBJS) $(BUILD)/rootimg-$*.o -o $@ -lgcc

# ---------------------------------------------------------------- user
LIB_SRCS := $(wildcard user/lib/*.c) $(wildcard user/lib/*.S)
LIB_OBJS := $(patsubst %,$(BUILD)/%.o,$(LIB_SRCS))

$(BUILD)/user/%.o: user/% $(ABI_GEN)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/user/libicecap.a: $(LIB_OBJS)
	@rm -f $@; $(CROSS)ar rcs $@ $^

define user_program
$(1)_OBJS := $$(patsubst %,$(BUILD)/%.o,$$(wildcard user/$(1)/*.c user/$(1)/*.S))
$(BUILD)/user/$(1).elf: $$($(1)_OBJS) $(BUILD)/user/libicecap.a user/lib/user.ld
	@echo "  LD      $$@"
	@$(CC) $(LDFLAGS_TARGET) -T user/lib/user.ld $$($(1)_OBJS) $(BUILD)/user/libicecap.a -o $$@ -lgcc
endef
$(foreach p,root-minimal test-root bench-root,$(eval $(call user_program,$(p))))

# ---------------------------------------------------------------- run
run-minimal: setup $(BUILD)/kernel-root-minimal.elf
	@echo "Booting the minimal root task (QEMU exits when it is done; Ctrl-a x quits)."
	$(QEMU) $(QEMU_MACHINE) $(QEMU_CONSOLE) -kernel $(BUILD)/kernel-root-minimal.elf

# The main demo: the host VM (Debian's Linux) under IceCap.
run: run-host

# ---------------------------------------------------------------- tests
HOST_BUILD := build/host
HOST_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -O1 -g -fsanitize=address,undefined \
               -fno-sanitize-recover=all -DHOST_TEST -Iinclude -I$(GEN) -Ikernel/include \
               -Ikernel/plat/$(PLAT) -Itests/host
# The kernel's pure logic, compiled for the build machine.
HOST_KERNEL_SRCS := kernel/core/cap.c kernel/core/cnode.c kernel/core/sched.c kernel/core/untyped_alloc.c
HOST_TESTS := $(patsubst tests/host/test_%.c,$(HOST_BUILD)/test_%,$(wildcard tests/host/test_*.c))

$(HOST_BUILD)/test_%: tests/host/test_%.c tests/host/harness.c tests/host/kernel_stubs.c $(HOST_KERNEL_SRCS) $(ABI_GEN) $(wildcard tests/host/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) $< tests/host/harness.c tests/host/kernel_stubs.c $(HOST_KERNEL_SRCS) -o $@

# The VMM library's pure modules (user/vmm), tested on the build machine too.
VMM_SRCS := $(wildcard user/vmm/*.c)
VMM_HOST_TESTS := $(patsubst tests/host/vmm/test_%.c,$(HOST_BUILD)/vmm/test_%,$(wildcard tests/host/vmm/test_*.c))
# ...and compiled for the target, to keep them freestanding.
VMM_TARGET_OBJS := $(patsubst user/vmm/%.c,$(BUILD)/vmm-check/%.o,$(VMM_SRCS))

$(HOST_BUILD)/vmm/test_%: tests/host/vmm/test_%.c tests/host/harness.c tests/host/harness.h $(VMM_SRCS) \
		$(wildcard user/vmm/include/vmm/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -Iuser/vmm/include $< tests/host/harness.c $(VMM_SRCS) -o $@

# The loader's image checks, tested on the build machine.
LOADER_HOST_TESTS := $(patsubst tests/host/loader/test_%.c,$(HOST_BUILD)/loader/test_%,$(wildcard tests/host/loader/test_*.c))

$(HOST_BUILD)/loader/test_%: tests/host/loader/test_%.c tests/host/harness.c tests/host/harness.h \
		user/loader/image_check.c user/loader/image_check.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -Iuser/loader $< tests/host/harness.c user/loader/image_check.c -o $@

$(BUILD)/vmm-check/%.o: user/vmm/%.c $(wildcard user/vmm/include/vmm/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (target)"
	@$(CC) $(TARGET_CFLAGS) -Iuser/vmm/include -c $< -o $@

test-host: setup $(HOST_TESTS) $(VMM_HOST_TESTS) $(LOADER_HOST_TESTS) $(VMM_TARGET_OBJS)
	@tools/run-host-tests.sh $(HOST_TESTS) $(VMM_HOST_TESTS) $(LOADER_HOST_TESTS)

test-kernel: setup $(BUILD)/kernel-test-root.elf
	@tools/run-suite.sh --timeout 1200 --name "kernel suite (GICv$(GIC))" -- \
		$(QEMU) $(QEMU_FLAGS) -kernel $(BUILD)/kernel-test-root.elf

# The kernel suite's hostile SMP stress test (user/test-root/test_stress_smp.c)
# with many more seeds than make test runs: FUZZ_SEEDS seeds from FUZZ_SEED0,
# FUZZ_ROUNDS rounds each, one line a seed (GIC= as for test-kernel).
FUZZ_SEEDS ?= 20
FUZZ_ROUNDS ?= 10
FUZZ_SEED0 ?= 1
FUZZ_TIMEOUT ?= 3600
FUZZ_BUILD := build/fuzz-gic$(GIC)
fuzz-kernel: setup
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) \
		STRESS_CFLAGS="-DSTRESS_SMP_SEEDS=$(FUZZ_SEEDS) -DSTRESS_SMP_ROUNDS=$(FUZZ_ROUNDS) -DSTRESS_SMP_SEED0=$(FUZZ_SEED0)" \
		$(FUZZ_BUILD)/kernel-test-root.elf
	@tools/run-suite.sh --timeout $(FUZZ_TIMEOUT) --name "kernel fuzz (GICv$(GIC))" -- \
		$(QEMU) $(QEMU_FLAGS) -kernel $(FUZZ_BUILD)/kernel-test-root.elf

# The kernel suite through the hardened exception vectors that CPUs without
# CSV2 get (kernel/arch/aarch64/arch.c), with PSCI_VERSION standing in for
# the firmware's workaround: QEMU's CPU needs none and has no firmware.
HARDENED_BUILD := build/hardened-gic$(GIC)
test-kernel-hardened: setup
	@$(MAKE) --no-print-directory BUILD=$(HARDENED_BUILD) KERNEL_DEFS=-DARCH_FORCE_BP_WORKAROUND=0x84000000 \
		$(HARDENED_BUILD)/kernel-test-root.elf
	@tools/run-suite.sh --timeout 1200 --name "kernel suite, hardened vectors (GICv$(GIC))" -- \
		$(QEMU) $(QEMU_FLAGS) -kernel $(HARDENED_BUILD)/kernel-test-root.elf

# Every stage adds its counts to $(TEST_RESULTS); the last line is the total.
# Every process a test starts inherits ICECAP_TEST_RUN, so that the last
# stage finds any that were left running (tools/check-leftovers.sh).
TEST_RESULTS := $(abspath build/logs/results.txt)
ifndef ICECAP_TEST_RUN
ICECAP_TEST_RUN := $(shell date +%s%N)-$(shell echo $$PPID)
endif
export ICECAP_TEST_RUN
test: setup
	@mkdir -p build/logs && rm -f $(TEST_RESULTS)
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-host
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-system
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-kernel GIC=3
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-kernel GIC=2
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-kernel-hardened GIC=3
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory run-minimal-check
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-reset
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-guest-direct
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-guest-flavour
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-host-vm GIC=3
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-host-vm GIC=2
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-host-vm SMP=1
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-host-vm SMP=4
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-host-vm-images
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-console
	@TEST_RESULTS=$(TEST_RESULTS) tools/check-leftovers.sh
	@$(MAKE) --no-print-directory tcb-size
	@echo "all tests:"
	@awk '{ p += $$1; f += $$2; n = $$0; sub(/^[0-9]+ [0-9]+ /, "", n); print "  " n ": " $$1 " passed, " $$2 " failed" } \
	     END { print p " passed, " f " failed"; exit f > 0 }' $(TEST_RESULTS)

# The minimal demo must print its greeting and end QEMU by itself.
run-minimal-check: $(BUILD)/kernel-root-minimal.elf
	@tools/run-suite.sh --timeout 300 --name "minimal root task" --expect "Hello from the root task" -- \
		$(QEMU) $(QEMU_FLAGS) -kernel $(BUILD)/kernel-root-minimal.elf

# After a reset RAM is not zero: the kernel must see that (tools/test-reset.exp,
# which needs QEMU's monitor on the console and a reset that does not exit).
test-reset: setup $(BUILD)/kernel-root-minimal.elf
	@echo "reset keeps RAM dirty:"
	@tools/test-reset.exp "Hello from the root task" $(QEMU) \
		$(filter-out -no-reboot,$(QEMU_MACHINE)) $(QEMU_CONSOLE) -kernel $(BUILD)/kernel-root-minimal.elf

# ---------------------------------------------------------------- measurements
bench: setup $(BUILD)/kernel-bench-root.elf
	@echo "Microbenchmarks in guest instructions (QEMU -icount shift=0):"
	@tools/run-suite.sh --timeout 300 --name bench --bench -- \
		$(QEMU) $(QEMU_FLAGS) -icount shift=0 -kernel $(BUILD)/kernel-bench-root.elf
	@echo "Boot times (wall clock, without -icount):"
	@$(MAKE) --no-print-directory bench-boot

tcb-size:
	@tools/tcb-size.sh kernel

clean:
	rm -rf build

-include $(shell find $(BUILD) build/host -name '*.d' -type f 2>/dev/null)

# ---------------------------------------------------------------- guest (the host VM's Linux)
# Debian's own arm64 kernel and busybox-static, fetched and unpacked by
# scripts/fetch-guest.sh; tools/guest/mkinitramfs.sh builds the initramfs
# (busybox, the virtio modules, tools/guest/init). Both are quiet when done.
# GUEST_KERNEL_PACKAGE chooses the kernel: a metapackage (linux-image-arm64,
# the default, linux-image-cloud-arm64, linux-image-rt-arm64), a kernel
# package (linux-image-6.1.0-NN-cloud-arm64) or a kernel package's .deb file
# (a path). Each kernel is built in its own GUEST_OUT: build/guest for the
# default, build/guest-NAME for another (build/guest-cloud-arm64 for
# linux-image-cloud-arm64; `scripts/fetch-guest.sh --out` names it), and
# HOST_KERNEL and HOST_INITRD follow, so that
# `make run GUEST_KERNEL_PACKAGE=linux-image-cloud-arm64` boots that kernel.
#   make guest               GUEST_OUT/Image and GUEST_OUT/initramfs.cpio.gz
#   make run-guest-direct    boot them on QEMU without IceCap (the shell's
#                            `poweroff` ends QEMU; Ctrl-a x quits)
#   make test-guest-direct   boot, shell, CPUs, network and poweroff checks of
#                            that boot (tools/guest/test-direct.exp)
#   make test-guest-flavour  build GUEST_FLAVOUR (Debian 12's cloud kernel) in
#                            its own directory and run the same checks on it
#                            (tools/guest/test-flavour.sh)
GUEST_KERNEL_PACKAGE ?= linux-image-arm64
ifeq ($(origin GUEST_OUT),undefined)
GUEST_OUT := $(shell GUEST_KERNEL_PACKAGE='$(GUEST_KERNEL_PACKAGE)' scripts/fetch-guest.sh --out)
endif
GUEST_ENV = GUEST_KERNEL_PACKAGE='$(GUEST_KERNEL_PACKAGE)' GUEST_OUT='$(GUEST_OUT)'
GUEST_FLAVOUR ?= linux-image-cloud-arm64
HOST_KERNEL ?= $(GUEST_OUT)/Image
HOST_INITRD ?= $(GUEST_OUT)/initramfs.cpio.gz
GUEST_DIRECT_FLAGS := -M virt,virtualization=on,gic-version=3 -cpu $(QEMU_CPU) -smp 2 -m 1G \
                      -nodefaults -nographic $(QEMU_CONSOLE) -no-reboot -append "console=ttyAMA0 panic=-1" \
                      -netdev user,id=n0 -device virtio-net-device,netdev=n0

.PHONY: guest run-guest-direct test-guest-direct test-guest-flavour
guest: setup
	@$(GUEST_ENV) scripts/fetch-guest.sh
	@$(GUEST_ENV) tools/guest/mkinitramfs.sh

run-guest-direct: guest
	$(QEMU) $(GUEST_DIRECT_FLAGS) -kernel $(HOST_KERNEL) -initrd $(HOST_INITRD)

test-guest-direct: guest
	@expect tools/guest/test-direct.exp $(HOST_KERNEL) $(HOST_INITRD) $(QEMU)

test-guest-flavour: setup
	@tools/guest/test-flavour.sh '$(GUEST_FLAVOUR)' $(QEMU)

# ---------------------------------------------------------------- the host VM under IceCap
# The host VMM (user/host-vmm) runs the host VM as the system description
# says (tools/syscomp checks it at build time and compiles it into
# system.h), from the kernel and initramfs QEMU hands it through its
# firmware configuration device (HOST_KERNEL and HOST_INITRD: -fw_cfg
# below), so another guest kernel needs no rebuild.
SYSTEM ?= system/$(PLAT).system

$(BUILD)/tools/syscomp: tools/syscomp.c
	@mkdir -p $(dir $@)
	@$(HOSTCC) -std=gnu11 -Wall -Wextra -Werror -O2 $< -o $@

$(GEN)/system.h: $(SYSTEM) $(BUILD)/tools/syscomp
	@mkdir -p $(dir $@)
	@$(BUILD)/tools/syscomp $(SYSTEM) $@

$(BUILD)/user/host-vmm/main.c.o: $(GEN)/system.h

# The description compiler refuses every mistake in tests/syscomp, in words.
test-system: $(BUILD)/tools/syscomp
	@tools/test-syscomp.sh $(BUILD)/tools/syscomp
HOST_VMM_OBJS := $(patsubst %,$(BUILD)/%.o,$(wildcard user/host-vmm/*.c) $(wildcard user/vmm/*.c))

$(BUILD)/user/host-vmm.elf: $(HOST_VMM_OBJS) $(BUILD)/user/libicecap.a user/lib/user.ld
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS_TARGET) -T user/lib/user.ld $(HOST_VMM_OBJS) $(BUILD)/user/libicecap.a -o $@ -lgcc

# The loader: the root task of the system image; it starts the components
# the system description lists (today the host VMM), each from its ELF file
# inside the loader's image.
LOADER_OBJS := $(BUILD)/user/loader/main.c.o $(BUILD)/user/loader/image_check.c.o $(BUILD)/user/loader/components.o
$(BUILD)/user/loader/main.c.o: $(GEN)/system.h

$(BUILD)/user/loader/components.o: user/loader/components.S $(BUILD)/user/host-vmm.elf
	@mkdir -p $(dir $@)
	@$(CC) -c -DHOST_VMM_ELF_PATH='"$(BUILD)/user/host-vmm.elf"' $< -o $@

$(BUILD)/user/loader.elf: $(LOADER_OBJS) $(BUILD)/user/libicecap.a user/lib/user.ld
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS_TARGET) -T user/lib/user.ld $(LOADER_OBJS) $(BUILD)/user/libicecap.a -o $@ -lgcc

# The system image: the kernel with the loader as its root task.
$(BUILD)/kernel-system.elf: $(KERNEL_OBJS) $(BUILD)/rootimg-loader.o kernel/arch/aarch64/kernel.ld
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS_TARGET) -T kernel/arch/aarch64/kernel.ld $(KERNEL_OBJS) $(BUILD)/rootimg-loader.o -o $@ -lgcc

$(HOST_KERNEL) $(HOST_INITRD):
	@$(MAKE) --no-print-directory guest

# The host VM's CPU is the kernel suite's: with GICv3 QEMU's 'max' (guests
# get SVE and pointer authentication, SME is hidden from them), with GICv2
# a Cortex-A57 (GIC=2: the VMM emulates a GICv2 distributor and the guest
# uses the GIC's virtual CPU interface). QEMU's virtio-net device, on user
# networking, is passed through to it. Its kernel and initramfs are files
# of QEMU's firmware configuration device, which the host VMM reads by DMA
# straight into the host VM's RAM (docs/host-vm.md).
HOST_VM_MACHINE := $(QEMU_MACHINE) \
                   -netdev user,id=n0 -device virtio-net-device,netdev=n0 \
                   -fw_cfg name=opt/icecap/kernel,file=$(HOST_KERNEL) \
                   -fw_cfg name=opt/icecap/initramfs,file=$(HOST_INITRD)
HOST_VM_QEMU_FLAGS := $(HOST_VM_MACHINE) -serial stdio

run-host: setup $(BUILD)/kernel-system.elf $(HOST_KERNEL) $(HOST_INITRD)
	@echo "Booting the host VM under IceCap: a shell comes up in a few seconds; Ctrl-a x quits QEMU."
	$(QEMU) $(HOST_VM_MACHINE) $(QEMU_CONSOLE) -kernel $(BUILD)/kernel-system.elf

# The host VM driven through its console: boot, shell, network, hotplug,
# reboot, poweroff (with the GIC of GIC=).
test-host-vm: setup $(BUILD)/kernel-system.elf $(HOST_KERNEL) $(HOST_INITRD)
	@expect tools/guest/test-host-vm.exp $(QEMU) $(HOST_VM_QEMU_FLAGS) -kernel $(BUILD)/kernel-system.elf

# make run's console: Ctrl-C reaches the guest, Ctrl-a x quits QEMU.
test-console: setup $(BUILD)/kernel-system.elf $(HOST_KERNEL) $(HOST_INITRD)
	@echo "interactive console:"
	@expect tools/guest/test-console.exp $(QEMU) $(HOST_VM_MACHINE) $(QEMU_CONSOLE) -kernel $(BUILD)/kernel-system.elf

# Missing or wrong guest images: refused in words, the system stopped.
test-host-vm-images: setup $(BUILD)/kernel-system.elf $(HOST_KERNEL) $(HOST_INITRD)
	@echo "host VM images refused:"
	@tools/guest/test-host-vm-images.sh $(HOST_KERNEL) $(HOST_INITRD) $(QEMU) $(QEMU_FLAGS) \
		-kernel $(BUILD)/kernel-system.elf

# Boot to the shell's ready line, wall clock: under IceCap, and the same
# kernel and initramfs directly on QEMU, entered at EL1 as a guest is, with
# the same console, CPU features, two CPUs and the network; BOOT_RUNS of
# each, alternating, and their medians (tools/guest/bench-boot.sh).
BOOT_RUNS ?= 5
# BOOT_CONDITIONS: what else the machine does meanwhile (free: nothing;
# pinned: both QEMUs on one host core; busy: beside a CPU-bound process).
BOOT_CONDITIONS ?= free pinned busy
bench-boot: setup $(BUILD)/kernel-system.elf guest
	@for c in $(BOOT_CONDITIONS); do \
	    tools/guest/bench-boot.sh $$c $(BOOT_RUNS) -- $(QEMU) $(HOST_VM_QEMU_FLAGS) -kernel $(BUILD)/kernel-system.elf -- \
	     $(QEMU) -M virt,gic-version=3 -cpu $(QEMU_CPU) -smp 2 \
	     -m 1G -nodefaults -nographic -serial stdio -no-reboot -netdev user,id=n0 -device virtio-net-device,netdev=n0 \
	     -kernel $(HOST_KERNEL) -initrd $(HOST_INITRD) \
	     -append "console=ttyAMA0 earlycon=pl011,0x09000000 panic=-1" || exit 1; \
	done

# Where the kernel's CPUs wait for each other while the host VM boots: a
# kernel built with SMP_STATS counts each cross-CPU request by its caller and
# each lock wait, and prints them at power-off. BOOT_STATS_PREFIX runs QEMU
# under a command, e.g. "taskset -c 1" to give both vCPU threads one core.
STATS_BUILD := build/stats-gic$(GIC)
boot-stats: setup guest
	@$(MAKE) --no-print-directory BUILD=$(STATS_BUILD) KERNEL_DEFS=-DSMP_STATS $(STATS_BUILD)/kernel-system.elf
	@tools/guest/boot-stats.sh $(STATS_BUILD)/kernel-system.elf $(BOOT_STATS_PREFIX) \
		$(QEMU) $(HOST_VM_QEMU_FLAGS) -kernel $(STATS_BUILD)/kernel-system.elf

# ---------------------------------------------------------------- a fresh machine
# `make test` and `make run` (to the host VM's shell, then poweroff) inside a
# new minimal Debian 12 root, as CI does (scripts/test-fresh.sh; needs root).
.PHONY: test-fresh
test-fresh:
	@bash scripts/test-fresh.sh
