# The ABI: abi/invocations.tbl is the one definition of every invocation;
# abi/abigen.awk makes the user-side labels and stubs and the kernel's
# dispatch table from it. Each component protocol is defined once too, in
# abi/protocols/NAME.tbl; abi/protogen.awk makes icecap/protocols/NAME.h
# (labels, structures, packing and checking: pure) and NAME_stubs.h (the
# system calls) from it (docs/protocols.md). A generator that finds a
# mistake leaves no header behind.
ABI_GEN := $(GEN)/icecap/invocations.h $(GEN)/icecap/stubs.h $(GEN)/kernel/dispatch.h $(GEN)/kernel/handlers.h
$(GEN)/icecap/invocations.h: abi/invocations.tbl abi/abigen.awk
	@mkdir -p $(dir $@)
	awk -v out=labels -f abi/abigen.awk $< > $@.tmp && mv $@.tmp $@
$(GEN)/icecap/stubs.h: abi/invocations.tbl abi/abigen.awk
	@mkdir -p $(dir $@)
	awk -v out=stubs -f abi/abigen.awk $< > $@.tmp && mv $@.tmp $@
$(GEN)/kernel/dispatch.h: abi/invocations.tbl abi/abigen.awk
	@mkdir -p $(dir $@)
	awk -v out=dispatch -f abi/abigen.awk $< > $@.tmp && mv $@.tmp $@
$(GEN)/kernel/handlers.h: abi/invocations.tbl abi/abigen.awk
	@mkdir -p $(dir $@)
	awk -v out=handlers -f abi/abigen.awk $< > $@.tmp && mv $@.tmp $@

# Everything user code may include: every user object depends on it
# (mk/user.mk), so the headers exist before anything is compiled.
PROTOCOLS := $(basename $(notdir $(wildcard abi/protocols/*.tbl)))
PROTO_GEN := $(foreach p,$(PROTOCOLS),$(GEN)/icecap/protocols/$(p).h $(GEN)/icecap/protocols/$(p)_stubs.h)
USER_GEN := $(ABI_GEN) $(PROTO_GEN)
# protogen_rules GEN-FOLDER, TABLE-FOLDER: the two headers of each table
define protogen_rules
$(1)/icecap/protocols/%_stubs.h: $(2)/%.tbl abi/protogen.awk
	@mkdir -p $$(dir $$@)
	awk -v out=stubs -f abi/protogen.awk $$< > $$@.tmp && mv $$@.tmp $$@
$(1)/icecap/protocols/%.h: $(2)/%.tbl abi/protogen.awk
	@mkdir -p $$(dir $$@)
	awk -v out=types -f abi/protogen.awk $$< > $$@.tmp && mv $$@.tmp $$@
endef
$(eval $(call protogen_rules,$(GEN),abi/protocols))

# The generators refuse every mistake in tests/abigen, in words.
.PHONY: test-abigen
test-abigen:
	@tools/test-abigen.sh
