# Programs for the host VM's Linux (linux/): static aarch64 Linux
# executables, built with Debian's cross compiler and its arm64 C library
# (libc6-dev-arm64-cross, which scripts/setup.sh installs). The host VM's
# initramfs holds them (tools/guest/mkinitramfs.sh), so it is rebuilt when
# one changes.
#
#   build/linux/icecap-host   the realm tool (docs/icecap-host.md):
#                             /bin/icecap-host and /bin/create-realm there
#
# Included after mk/guest.mk, whose targets it adds prerequisites to, and
# after mk/tests.mk, whose unit test rules it uses: tests/unit/icecap-host
# tests linux/icecap-host's pure half (block.c) on the build machine.
LINUX_BUILD := build/linux
LINUX_CFLAGS := -static -std=gnu11 -O2 $(WARNINGS) -Iinclude -Ilib/realmspec/include -Ilib/sha256/include

ICECAP_HOST := $(LINUX_BUILD)/icecap-host
$(ICECAP_HOST): $(wildcard linux/icecap-host/*.c linux/icecap-host/*.h) lib/realmspec/include/realmspec/realmspec.h
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(LINUX_CFLAGS) $(filter %.c,$^) -o $@

# The initramfs contains it: `make guest` builds it first, and an
# initramfs older than it is made again.
guest test-guest-flavour: $(ICECAP_HOST)
$(HOST_INITRD): $(ICECAP_HOST)

# (with lib/realmspec, whose names of the spec errors it checks its own against)
$(eval $(call unit_tests,icecap-host,linux/icecap-host/block.c lib/realmspec/realmspec.c lib/sha256/sha256.c,\
	linux/icecap-host -Ilib/realmspec/include -Ilib/sha256/include))
test-host: $(filter $(UNIT_BUILD)/icecap-host/%,$(UNIT_TESTS))
