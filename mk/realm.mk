# Realms (docs/realm-spec.md): tools/realmspec/realmspec.c compiles a realm description
# into a realm spec, which lib/realmspec checks. Included before mk/tests.mk,
# whose unit test rules read UNIT_USES_realmspec.
#
# lib/realmspec's unit tests link lib/sha256 too.
UNIT_USES_realmspec := sha256

REALMSPEC := build/tools/realmspec
REALMSPEC_SRCS := tools/realmspec/realmspec.c tools/desc.c $(wildcard lib/realmspec/*.c) lib/sha256/sha256.c lib/vmm/linux.c
$(REALMSPEC): $(REALMSPEC_SRCS) $(wildcard lib/realmspec/include/*/*.h lib/sha256/include/*/*.h) \
		lib/vmm/include/vmm/linux.h tools/desc.h
	@mkdir -p $(dir $@)
	@$(HOSTCC) -std=gnu11 $(WARNINGS) -O2 -Iinclude -Ilib/realmspec/include -Ilib/sha256/include \
		-Ilib/vmm/include $(REALMSPEC_SRCS) -o $@

# The description compiler refuses every mistake in tests/realmspec, in
# words, and compiles a good description (with a small aarch64 ELF of this
# build as the realm VMM) into a spec that passes the checker.
.PHONY: test-realmspec
test-realmspec: $(REALMSPEC) $(BUILD)/components/serial-server.elf
	@tools/realmspec/test.sh $(REALMSPEC) $(BUILD)/components/serial-server.elf

# The checker under libFuzzer, starting from the specs the description
# tests compile: FUZZ_TIME seconds (make test runs it for FUZZ_TEST_TIME).
FUZZ_TIME ?= 60
REALMSPEC_FUZZ := build/host/realmspec/fuzz_realmspec
$(REALMSPEC_FUZZ): tests/unit/realmspec/fuzz_realmspec.c $(wildcard lib/realmspec/*.c lib/realmspec/include/*/*.h) \
		lib/sha256/sha256.c
	@mkdir -p $(dir $@)
	@clang -std=gnu11 $(WARNINGS) -O1 -g -fsanitize=fuzzer,address,undefined -Iinclude -Ilib/realmspec/include \
		-Ilib/sha256/include $< $(wildcard lib/realmspec/*.c) lib/sha256/sha256.c -o $@
.PHONY: fuzz-realmspec
fuzz-realmspec: $(REALMSPEC_FUZZ) $(REALMSPEC) $(BUILD)/components/serial-server.elf
	@mkdir -p build/host/realmspec/corpus
	@TEST_RESULTS= REALMSPEC_KEEP=build/host/realmspec/corpus tools/realmspec/test.sh $(REALMSPEC) \
		$(BUILD)/components/serial-server.elf >/dev/null
	@mkdir -p build/host/fuzz-findings
	@$(REALMSPEC_FUZZ) -max_total_time=$(FUZZ_TIME) -max_len=65536 -artifact_prefix=build/host/fuzz-findings/realmspec- \
		build/host/realmspec/corpus

# The virtio transport and queues (lib/vmm/virtio.c) under libFuzzer, the
# input a hostile driver (tests/fuzz/virtio_fuzz.c): FUZZ_TIME seconds from
# the corpus earlier runs left.
VIRTIO_FUZZ := build/host/vmm/fuzz_virtio
$(VIRTIO_FUZZ): tests/fuzz/virtio_fuzz.c lib/vmm/virtio.c lib/vmm/include/vmm/virtio.h
	@mkdir -p $(dir $@)
	@clang -std=gnu11 $(WARNINGS) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Ilib/vmm/include $< lib/vmm/virtio.c -o $@
.PHONY: fuzz-virtio
fuzz-virtio: $(VIRTIO_FUZZ)
	@mkdir -p build/host/vmm/virtio-corpus
	@mkdir -p build/host/fuzz-findings
	@$(VIRTIO_FUZZ) -max_total_time=$(FUZZ_TIME) -max_len=16384 -artifact_prefix=build/host/fuzz-findings/virtio- \
		build/host/vmm/virtio-corpus

# Both fuzz targets for a short time each, one line each (in make test).
FUZZ_TEST_TIME ?= 20
.PHONY: test-fuzz
test-fuzz: setup
	@echo "fuzz targets ($(FUZZ_TEST_TIME) s each):"
	@rm -f build/logs/fuzz-tests.state
	@tools/test-fuzz.sh realmspec_checker -- $(MAKE) --no-print-directory fuzz-realmspec FUZZ_TIME=$(FUZZ_TEST_TIME)
	@tools/test-fuzz.sh virtio_transport -- $(MAKE) --no-print-directory fuzz-virtio FUZZ_TIME=$(FUZZ_TEST_TIME)
	@tools/test-fuzz.sh --summary
