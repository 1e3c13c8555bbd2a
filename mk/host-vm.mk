# The main demo: the host VM (Debian's Linux) under IceCap.
.PHONY: run run-host test-host-vm test-realms bench-realm test-console test-mux test-host-vm-images bench-boot bench-console boot-stats
run: run-host

# The host VM under IceCap.
# The host VMM (components/host-vmm) runs the host VM as the system
# description says (mk/system.mk), from the kernel and initramfs QEMU hands
# it through its
# firmware configuration device (HOST_KERNEL and HOST_INITRD: -fw_cfg
# below), so another guest kernel needs no rebuild.
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

# Realms from the host VM's shell (tools/guest/test-realms.exp): the specs
# of tools/realmspec/test-specs.sh reach the host VM on a virtio disk (a
# tar file, read-only); REALM_SOAK create/destroy cycles at the end.
REALM_TEST_SPECS := build/realms/test-specs.tar
REALM_SOAK ?= 1000
$(REALM_TEST_SPECS): tools/realmspec/test-specs.sh tools/realmspec/fake-image.sh tools/realmspec/hostile-requests.sh \
		$(REALMSPEC) \
		$(BUILD)/components/serial-server.elf
	@tools/realmspec/test-specs.sh $@ $(REALMSPEC) $(BUILD)/components/serial-server.elf
test-realms: setup $(BUILD)/kernel-system.elf $(HOST_KERNEL) $(HOST_INITRD) $(REALM_TEST_SPECS)
	@echo "realms from the host VM:"
	@expect tools/guest/test-realms.exp build/realms/test-specs.measurements $(REALM_SOAK) \
		$(QEMU) $(HOST_VM_QEMU_FLAGS) -drive file=$(REALM_TEST_SPECS),format=raw,if=none,id=specs,readonly=on \
		-device virtio-blk-device,drive=specs -kernel $(BUILD)/kernel-system.elf

# Spec loading in instructions per byte (QEMU -icount shift=0): a spec of
# the demo realm's size, created three times (tools/guest/bench-realm.exp).
REALM_BENCH_SPEC := build/realms/bench-spec.tar
$(REALM_BENCH_SPEC): tools/realmspec/bench-spec.sh $(REALMSPEC) $(HOST_KERNEL) $(HOST_INITRD) \
		$(BUILD)/components/serial-server.elf
	@tools/realmspec/bench-spec.sh $@ $(REALMSPEC) $(HOST_KERNEL) $(HOST_INITRD) $(BUILD)/components/serial-server.elf
bench-realm: setup $(BUILD)/kernel-system.elf $(HOST_KERNEL) $(HOST_INITRD) $(REALM_BENCH_SPEC)
	@expect tools/guest/bench-realm.exp $(QEMU) $(HOST_VM_QEMU_FLAGS) -icount shift=0 \
		-drive file=$(REALM_BENCH_SPEC),format=raw,if=none,id=specs,readonly=on \
		-device virtio-blk-device,drive=specs -kernel $(BUILD)/kernel-system.elf

# make run's console: Ctrl-C reaches the guest, Ctrl-a x quits QEMU.
test-console: setup $(BUILD)/kernel-system.elf $(HOST_KERNEL) $(HOST_INITRD)
	@echo "interactive console:"
	@expect tools/guest/test-console.exp $(QEMU) $(HOST_VM_MACHINE) $(QEMU_CONSOLE) -kernel $(BUILD)/kernel-system.elf

# The console multiplexer as a user types at make run's console: @?, @1,
# @0, @@ (docs/serial-server.md).
test-mux: setup $(BUILD)/kernel-system.elf $(HOST_KERNEL) $(HOST_INITRD)
	@echo "console multiplexer:"
	@expect tools/guest/test-mux.exp $(QEMU) $(HOST_VM_QEMU_FLAGS) -kernel $(BUILD)/kernel-system.elf

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
# the same Linux alone: QEMU boots it at EL1
DIRECT_BOOT := $(QEMU) -M virt,gic-version=3 -cpu $(QEMU_CPU) -smp 2 \
	-m 1G -nodefaults -nographic -serial stdio -no-reboot -netdev user,id=n0 -device virtio-net-device,netdev=n0 \
	-kernel $(HOST_KERNEL) -initrd $(HOST_INITRD) \
	-append "console=ttyAMA0 earlycon=pl011,0x09000000 panic=-1 quiet"
bench-boot: setup $(BUILD)/kernel-system.elf guest
	@for c in $(BOOT_CONDITIONS); do \
	    tools/guest/bench-boot.sh $$c $(BOOT_RUNS) -- $(QEMU) $(HOST_VM_QEMU_FLAGS) -kernel $(BUILD)/kernel-system.elf -- \
	     $(DIRECT_BOOT) || exit 1; \
	done

# Console throughput: the shell's cat of a file of CONSOLE_BYTES bytes to
# ttyAMA0, in bytes per second of wall clock, under IceCap (the host VMM's
# emulated PL011, then the serial server) and on QEMU alone, booted as for
# bench-boot; CONSOLE_RUNS boots of each, alternating, their medians and
# ratio (tools/guest/bench-console.sh). No pass or fail: it fails only when
# a guest does not answer or output is lost.
CONSOLE_RUNS ?= 3
CONSOLE_BYTES ?= 1048576
bench-console: setup $(BUILD)/kernel-system.elf guest
	@tools/guest/bench-console.sh $(CONSOLE_RUNS) $(CONSOLE_BYTES) -- \
		$(QEMU) $(HOST_VM_QEMU_FLAGS) -kernel $(BUILD)/kernel-system.elf -- $(DIRECT_BOOT)

# Where the kernel's CPUs wait for each other while the host VM boots: a
# kernel built with SMP_STATS counts each cross-CPU request by its caller and
# each lock wait, and prints them at power-off. BOOT_STATS_PREFIX runs QEMU
# under a command, e.g. "taskset -c 1" to give both vCPU threads one core.
STATS_BUILD := build/stats-gic$(GIC)
boot-stats: setup guest
	@$(MAKE) --no-print-directory BUILD=$(STATS_BUILD) KERNEL_DEFS=-DSMP_STATS $(STATS_BUILD)/kernel-system.elf
	@tools/guest/boot-stats.sh $(STATS_BUILD)/kernel-system.elf $(BOOT_STATS_PREFIX) \
		$(QEMU) $(HOST_VM_QEMU_FLAGS) -kernel $(STATS_BUILD)/kernel-system.elf


# A fresh machine:
# `make test` and `make run` (to the host VM's shell, then poweroff) inside a
# new minimal Debian 12 root, as CI does (scripts/test-fresh.sh; needs root).
.PHONY: test-fresh
test-fresh:
	@bash scripts/test-fresh.sh
