# Tests, benchmarks and the TCB's size.
.PHONY: test test-host test-system test-kernel fuzz-kernel test-kernel-hardened run-minimal run-minimal-check \
        test-reset bench tcb-size
#
# Unit tests run on the build machine under ASan and UBSan: tests/unit/NAME
# tests lib/NAME (every source file of the library) or components/NAME
# (every source file but main.c, the component's IPC loop: the rest is its
# pure core), and tests/unit/kernel the kernel's pure logic.
UNIT_BUILD := build/host
UNIT_CFLAGS := -std=gnu11 $(WARNINGS) -O1 -g -fsanitize=address,undefined \
               -fno-sanitize-recover=all -DHOST_TEST -Iinclude -I$(GEN) -Itests/unit
UNIT_TESTS :=
# unit_tests NAME, its sources, its include folder
define unit_tests
UNIT_TESTS += $$(patsubst tests/unit/$(1)/test_%.c,$(UNIT_BUILD)/$(1)/test_%,$$(wildcard tests/unit/$(1)/test_*.c))
$(UNIT_BUILD)/$(1)/test_%: tests/unit/$(1)/test_%.c tests/unit/harness.c tests/unit/harness.h $(2) \
		$$(wildcard $(3)/*.h $(3)/*/*.h) $(USER_GEN)
	@mkdir -p $$(dir $$@)
	$(HOSTCC) $(UNIT_CFLAGS) -I$(3) $$< tests/unit/harness.c $(2) -o $$@
endef
# libraries a library uses (their sources are linked into its tests too),
# and sources that talk to the kernel, which only the target links (a
# component's main.c is never in its unit tests either)
UNIT_USES_vmm := ring
UNIT_TARGET_ONLY := lib/vmm/vm.c components/resource-server/realm.c
$(foreach l,$(LIBS),$(eval $(call unit_tests,$(l),$(filter-out $(UNIT_TARGET_ONLY),\
	$(wildcard $(patsubst %,lib/%/*.c,$(l) $(UNIT_USES_$(l))))),\
	lib/$(l)/include $(patsubst %,-Ilib/%/include,$(UNIT_USES_$(l))))))
$(foreach c,$(notdir $(wildcard components/*)),$(eval $(call unit_tests,$(c),\
	$(filter-out components/$(c)/main.c $(UNIT_TARGET_ONLY),$(wildcard components/$(c)/*.c)),components/$(c))))
# the protocols' generated code (abi/protogen.awk): the real tables' and
# tests/unit/protocols/example.tbl's, which has every kind of field
UNIT_GEN := $(UNIT_BUILD)/gen
$(eval $(call protogen_rules,$(UNIT_GEN),tests/unit/protocols))
$(eval $(call unit_tests,protocols,,$(UNIT_GEN) -Ilib/icecap/include))
$(UNIT_BUILD)/protocols/test_protocols: $(UNIT_GEN)/icecap/protocols/example.h
# the kernel's pure logic, with stand-ins for what it would call
HOST_KERNEL_SRCS := kernel/core/cap.c kernel/core/cnode.c kernel/core/sched.c kernel/core/untyped_alloc.c
$(eval $(call unit_tests,kernel,$(HOST_KERNEL_SRCS) tests/unit/kernel/kernel_stubs.c,kernel/include \
	-Ikernel/plat/$(PLAT)))

# The libraries are built for the target too, which keeps them freestanding.
test-host: setup $(UNIT_TESTS) $(USER_LIBS)
	@tools/run-host-tests.sh $(UNIT_TESTS)

test-kernel: setup $(BUILD)/kernel-test-root.elf
	@tools/run-suite.sh --timeout 1200 --name "kernel suite (GICv$(GIC))" -- \
		$(QEMU) $(QEMU_FLAGS) -kernel $(BUILD)/kernel-test-root.elf

# The kernel suite's hostile SMP stress test (tests/kernel/test_stress_smp.c)
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
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-realmspec
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-fuzz
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-abigen
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
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-mux
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-realms GIC=3
	@TEST_RESULTS=$(TEST_RESULTS) $(MAKE) --no-print-directory test-realms GIC=2
	@TEST_RESULTS=$(TEST_RESULTS) tools/check-leftovers.sh
	@$(MAKE) --no-print-directory tcb-size
	@echo "all tests:"
	@awk '{ p += $$1; f += $$2; n = $$0; sub(/^[0-9]+ [0-9]+ /, "", n); print "  " n ": " $$1 " passed, " $$2 " failed" } \
	     END { print p " passed, " f " failed"; exit f > 0 }' $(TEST_RESULTS)

# The minimal demo: a root task that greets and ends.
run-minimal: setup $(BUILD)/kernel-root-minimal.elf
	@echo "Booting the minimal root task (QEMU exits when it is done; Ctrl-a x quits)."
	$(QEMU) $(QEMU_MACHINE) $(QEMU_CONSOLE) -kernel $(BUILD)/kernel-root-minimal.elf

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

# Measurements
bench: setup $(BUILD)/kernel-bench-root.elf
	@echo "Microbenchmarks in guest instructions (QEMU -icount shift=0):"
	@tools/run-suite.sh --timeout 300 --name bench --bench -- \
		$(QEMU) $(QEMU_FLAGS) -icount shift=0 -kernel $(BUILD)/kernel-bench-root.elf
	@echo "Boot times (wall clock, without -icount):"
	@$(MAKE) --no-print-directory bench-boot
	@echo "Console throughput (wall clock, without -icount):"
	@$(MAKE) --no-print-directory bench-console
	@echo "Realm spec loading (instructions under -icount shift=0):"
	@$(MAKE) --no-print-directory bench-realm

# The TCB part by part (docs/tcb.md): the kernel with the ABI headers it is
# built from, the loader, the resource server, and the libraries they use,
# each counted once; then, apart, the components a realm does not trust.
tcb-size:
	@tools/tcb-size.sh kernel=kernel+include/icecap loader=components/loader \
		resource-server=components/resource-server \
		-- host-vmm=components/host-vmm serial-server=components/serial-server


