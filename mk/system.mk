# The system description (SYSTEM, docs/system.md): tools/syscomp checks it
# and compiles it into $(GEN)/system.h (the tables the loader and the
# components read), $(GEN)/system.mk (the components to build, included
# here) and $(GEN)/system_images.S (their ELF files in the loader's image).
$(BUILD)/tools/syscomp: tools/syscomp.c tools/desc.c tools/desc.h
	@mkdir -p $(dir $@)
	@$(HOSTCC) -std=gnu11 $(WARNINGS) -O2 tools/syscomp.c tools/desc.c -o $@

SYSTEM_GEN := $(GEN)/system.h $(GEN)/system.mk $(GEN)/system_images.S
$(SYSTEM_GEN) &: $(SYSTEM) $(BUILD)/tools/syscomp
	@mkdir -p $(GEN)
	@$(BUILD)/tools/syscomp $(SYSTEM) $(GEN) $(BUILD)/components

-include $(GEN)/system.mk

# The description compiler refuses every mistake in tests/syscomp, in words.
test-system: $(BUILD)/tools/syscomp
	@tools/test-syscomp.sh $(BUILD)/tools/syscomp
