# The ABI: abi/invocations.tbl is the one definition of every invocation;
# abi/abigen.awk makes the user-side labels and stubs and the kernel's
# dispatch table from it.
ABI_GEN := $(GEN)/icecap/invocations.h $(GEN)/icecap/stubs.h $(GEN)/kernel/dispatch.h
$(GEN)/icecap/invocations.h: abi/invocations.tbl abi/abigen.awk
	@mkdir -p $(dir $@)
	awk -v out=labels -f abi/abigen.awk $< > $@
$(GEN)/icecap/stubs.h: abi/invocations.tbl abi/abigen.awk
	@mkdir -p $(dir $@)
	awk -v out=stubs -f abi/abigen.awk $< > $@
$(GEN)/kernel/dispatch.h: abi/invocations.tbl abi/abigen.awk
	@mkdir -p $(dir $@)
	awk -v out=dispatch -f abi/abigen.awk $< > $@
