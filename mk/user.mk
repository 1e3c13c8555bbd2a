# Everything that runs at EL0 (or in a guest's EL1): the libraries in lib/,
# the components in components/, and the root tasks, each of which is
# linked into a bootable kernel image (mk/kernel.mk).
define user_objects
$(BUILD)/$(1)/%.o: $(1)/% $(USER_GEN) | $(GEN)/system.h
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$<"
	@$(CC) $(USER_CFLAGS) -MMD -MP -c $$< -o $$@
endef
$(foreach d,lib components tests demos,$(eval $(call user_objects,$(d))))

# lib/NAME/*.c and *.S make $(BUILD)/lib/libNAME.a.
LIBS := $(notdir $(wildcard lib/*))
define library
$(BUILD)/lib/lib$(1).a: $$(patsubst %,$(BUILD)/%.o,$$(wildcard lib/$(1)/*.c lib/$(1)/*.S))
	@rm -f $$@; $(CROSS)ar rcs $$@ $$^
endef
$(foreach l,$(LIBS),$(eval $(call library,$(l))))
# every program links every library; the linker takes what it uses
USER_LIBS := $(patsubst %,$(BUILD)/lib/lib%.a,$(filter-out icecap,$(LIBS))) $(BUILD)/lib/libicecap.a
USER_LD := lib/icecap/user.ld

# program NAME, folders: $(BUILD)/NAME.elf from the code in those folders
define program
$(1)_OBJS := $$(patsubst %,$(BUILD)/%.o,$$(wildcard $(addsuffix /*.c,$(2)) $(addsuffix /*.S,$(2)))) $(3)
$(BUILD)/$(1).elf: $$($(1)_OBJS) $(USER_LIBS) $(USER_LD)
	@mkdir -p $$(dir $$@)
	@echo "  LD      $$@"
	@$(CC) $(LDFLAGS_TARGET) -T $(USER_LD) $$($(1)_OBJS) -Wl,--start-group $(USER_LIBS) -Wl,--end-group -o $$@ -lgcc
endef

# A component is its folder: components/NAME/*.c and *.S, for each
# component the system description lists.
$(foreach c,$(SYSTEM_COMPONENTS),$(eval $(call program,components/$(c),components/$(c))))

# Root tasks: the minimal demo, the kernel suite, the benchmarks, and the
# loader, which starts the components from their ELF files in its image.
$(eval $(call program,roots/root-minimal,demos/minimal))
$(eval $(call program,roots/test-root,tests/kernel))
$(eval $(call program,roots/bench-root,tests/bench))
$(eval $(call program,roots/loader,components/loader,$(BUILD)/gen/system_images.o))

$(BUILD)/gen/system_images.o: $(GEN)/system_images.S $(patsubst %,$(BUILD)/components/%.elf,$(SYSTEM_COMPONENTS))
	@$(CC) -c $< -o $@

# The system image: the kernel with the loader as its root task.
$(BUILD)/kernel-system.elf: $(KERNEL_OBJS) $(BUILD)/rootimg-loader.o kernel/arch/aarch64/kernel.ld
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS_TARGET) -T kernel/arch/aarch64/kernel.ld $(KERNEL_OBJS) $(BUILD)/rootimg-loader.o -o $@ -lgcc
