# tests/fuzz/fuzz.mk - libFuzzer targets (tests/fuzz/README.md).
#
# One binary per codec: build/fuzz/bin/fuzz_<name>, built only with
# FUZZ=1 (clang, -fsanitize=fuzzer-no-link,address,undefined for the
# library, -fsanitize=fuzzer at link), objects in build/fuzz/ only.
# `make fuzz` builds them and runs each for FUZZ_SECONDS from its corpus.
#
# fuzz_<name>_MODS: the library modules it links; fuzz_<name>_SRCS: other
# sources (the runner's parser for scn).

FUZZ_TARGETS := sip diam http ws auth conf scn
FUZZ_SECONDS ?= 60

fuzz_sip_MODS  := base sip
fuzz_diam_MODS := base diam
fuzz_http_MODS := base tls http ws
fuzz_ws_MODS   := base tls sip ws
fuzz_auth_MODS := base digest token
fuzz_conf_MODS := base conf
fuzz_scn_SRCS   = $(ctest_scn_SRCS)
fuzz_scn_MODS   = $(ctest_scn_MODS)

define fuzz_rule
$(B)/fuzz_$(1): $(O)/tests/fuzz/fuzz_$(1).o $$(fuzz_$(1)_SRCS:%.c=$(O)/%.o) \
		$$(call mod_objs,$$(fuzz_$(1)_MODS))
	@mkdir -p $(B)
	$$(call say,LD,$$@)$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $$@ $$^ \
		$$(PKG_LIBS)
endef

ifeq ($(FUZZ),1)
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))
fuzz-bins: $(FUZZ_TARGETS:%=$(B)/fuzz_%)
else
fuzz-bins:
	$(Q)$(MAKE) --no-print-directory FUZZ=1 fuzz-bins
endif

# FUZZ_TARGETS_RUN narrows the run: make fuzz FUZZ_TARGETS_RUN="sip diam"
FUZZ_TARGETS_RUN ?= $(FUZZ_TARGETS)
fuzz: fuzz-bins
	$(Q)bash tests/fuzz/run.sh build/fuzz/bin $(FUZZ_SECONDS) \
		$(FUZZ_TARGETS_RUN)

.PHONY: fuzz fuzz-bins
