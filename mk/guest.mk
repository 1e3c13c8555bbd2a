# The guest Linux: the host VM's kernel and initramfs.
# Debian's own arm64 kernel and busybox-static, fetched and unpacked by
# scripts/fetch-guest.sh; tools/guest/mkinitramfs.sh builds the initramfs
# (busybox, the virtio modules, tools/guest/init, and icecap-host, whose
# mk/linux.mk makes `guest` and the initramfs depend on it). Both are quiet
# when done.
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

