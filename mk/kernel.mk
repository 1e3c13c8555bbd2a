# The kernel, and bootable images: the kernel with one root task inside.
KERNEL_SRCS := $(wildcard kernel/core/*.c) $(wildcard kernel/arch/aarch64/*.c) \
               $(wildcard kernel/arch/aarch64/*.S) \
               kernel/plat/$(PLAT)/uart_pl011.c kernel/plat/$(PLAT)/psci.c \
               kernel/plat/$(PLAT)/gic_v$(GIC).c
KERNEL_OBJS := $(patsubst %,$(BUILD)/%.o,$(KERNEL_SRCS))

$(BUILD)/kernel/%.o: kernel/% $(ABI_GEN)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

# $(BUILD)/kernel-NAME.elf boots root task $(BUILD)/roots/NAME.elf
# (mk/user.mk): the kernel suite, the benchmarks, the minimal demo, and the
# system image, whose root task is the loader.
$(BUILD)/rootimg-%.o: tools/rootimage.S $(BUILD)/roots/%.elf
	@$(CC) -c -DROOT_ELF='"$(BUILD)/roots/$*.elf"' $< -o $@

$(BUILD)/kernel-%.elf: $(KERNEL_OBJS) $(BUILD)/rootimg-%.o kernel/arch/aarch64/kernel.ld
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS_TARGET) -T kernel/arch/aarch64/kernel.ld $(KERNEL_OBJS) $(BUILD)/rootimg-$*.o -o $@ -lgcc
