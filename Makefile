# IceCap in C: the top-level build. The rules live in mk/, one file per part
# of the tree; this file sets what they share.
#
#   make run           boot the host VM (Debian's Linux) under IceCap
#   make run-minimal   boot the kernel with the greeting root task
#   make test          every test: unit tests on the build machine (kernel
#                      logic, libraries, components' pure cores, protocols),
#                      the system description and ABI generator checks, the
#                      kernel suite on QEMU with GICv3
#                      and with GICv2, the minimal demo, the guest Linux booted
#                      directly, and the host VM under IceCap
#   make bench         microbenchmarks under QEMU -icount shift=0, boot times,
#                      console throughput
#   make tcb-size      lines of C and assembly in the TCB, part by part
#
# Variables: PLAT (virt), GIC (3 or 2), CROSS (aarch64-linux-gnu-), SYSTEM
# (the system description, system/$(PLAT).system).
#
#   mk/abi.mk       the kernel's ABI, generated from abi/invocations.tbl, and
#                   the components' protocols, from abi/protocols/*.tbl
#   mk/kernel.mk    the kernel, and a kernel image with a root task inside
#   mk/system.mk    the system description: syscomp, and what it generates
#   mk/user.mk      libraries (lib/), components (components/), root tasks
#   mk/tests.mk     make test and its parts, make bench, make tcb-size
#   mk/guest.mk     the guest Linux's images (Debian's kernel, busybox)
#   mk/host-vm.mk   the host VM under IceCap: make run, its tests, boot times

PLAT ?= virt
GIC ?= 3
CROSS ?= aarch64-linux-gnu-
BUILD ?= build/$(PLAT)-gic$(GIC)
GEN := $(BUILD)/gen
SYSTEM ?= system/$(PLAT).system

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

# Freestanding code for the target, kernel and user alike. Beyond -Wall and
# -Wextra: every function used by another file has its prototype in a header,
# and no declaration repeats or hides another (the host tools and unit tests
# build with the same WARNINGS).
WARNINGS := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wshadow -Wredundant-decls
TARGET_CFLAGS := -std=gnu11 $(WARNINGS) -O2 -g -ffreestanding -nostdlib \
                 -fno-stack-protector -fno-pic -fno-pie -mgeneral-regs-only -mno-outline-atomics \
                 -fno-omit-frame-pointer -Iinclude -I$(GEN)
KERNEL_CFLAGS := $(TARGET_CFLAGS) -Ikernel/include -Ikernel/plat/$(PLAT) -DGIC_VERSION=$(GIC) $(KERNEL_DEFS)
USER_CFLAGS := $(TARGET_CFLAGS) $(patsubst %,-I%,$(wildcard lib/*/include))
USER_CFLAGS += $(STRESS_CFLAGS)
LDFLAGS_TARGET := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments

.PHONY: all setup clean
.SECONDARY:

all: $(BUILD)/kernel-root-minimal.elf $(BUILD)/kernel-test-root.elf $(BUILD)/kernel-bench-root.elf \
     $(BUILD)/kernel-system.elf

# Installs the cross compiler, QEMU and the test tools when they are missing.
setup:
	@scripts/setup.sh

include mk/abi.mk mk/kernel.mk mk/system.mk mk/user.mk mk/realm.mk mk/tests.mk mk/guest.mk mk/host-vm.mk mk/linux.mk

clean:
	rm -rf build

-include $(shell find $(BUILD) build/host -name '*.d' -type f 2>/dev/null)
