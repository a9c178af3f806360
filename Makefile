# imstb - one non-recursive Makefile (STYLE rule 15).
#
#   make            build every program into bin/
#   make demo       install missing Debian packages, build, run the demo
#   make check      install missing Debian packages, build with ASan+UBSan,
#                   run every test (unit, process, SIPp, tshark)
#   make style      house-style checker
#   make bench      install the benchmark's Debian packages, build (not
#                   SAN), run bench/run.sh: our core vs Kamailio (< 10 min)
#   make bench-quick  the same at small scale (< 60 s)
#   make soak       10,000 users over 10 min under ASan+UBSan: no leak, flat
#                   RSS, no descriptor growth (tests/soak/README.md);
#                   make soak-quick: 1,000 users, 60 s
#   make fuzz       libFuzzer targets, FUZZ_SECONDS (60) each (tests/fuzz/)
#   make clean
#
# SAN=1 builds the sanitizer variant into build/san/ (programs in
# build/san/bin/) so it never mixes with the normal build.

CC       ?= cc
SAN      ?= 0
FUZZ     ?= 0
V        ?= 0

ifeq ($(FUZZ),1)
# The libFuzzer build (tests/fuzz/fuzz.mk): clang, objects in build/fuzz/
# only, the library instrumented for coverage; `make fuzz` sets FUZZ=1.
CC       := clang
O        := build/fuzz
B        := build/fuzz/bin
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined \
            -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT      := -O1 -g
else ifeq ($(SAN),1)
O        := build/san
B        := build/san/bin
# float-cast-overflow is not in gcc's "undefined" set; the fuzzers (clang)
# found a double-to-long conversion it would have caught.
SANFLAGS := -fsanitize=address,undefined,float-cast-overflow \
            -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT      := -O1 -g
else
O        := build/obj
B        := bin
SANFLAGS :=
OPT      := -O2 -g
endif

PKGS     := libuv openssl sqlite3 jansson libxml-2.0 libjwt
# Deferred (=) so `make deps` works before pkg-config knows the packages.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Debian's libwslay-dev has no .pc file.
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lwslay
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

WARN     := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Werror
# llhttp: Debian's node-llhttp ships its C sources; we compile them (never
# copy them into the tree), with their own flags, not our -Werror set.
LLHTTP_SRC := /usr/share/llhttp
LLHTTP_INC := /usr/share/include/llhttp
CPPFLAGS += -D_GNU_SOURCE -Ilib -I$(LLHTTP_INC) -MD -MP
CFLAGS   += $(OPT) $(WARN) $(SANFLAGS)
LDFLAGS  += $(SANFLAGS)

ifeq ($(V),0)
Q = @
say = @printf '  %-6s %s\n' $(1) $(2);
else
Q =
say =
endif

# Each lib/<m>/module.mk sets  <m>_SRCS := ...  and  <m>_MODS := <the
# modules it needs, itself last>, and adds <m> to MODULES and UNIT_TESTS.
# Each <prog>/prog.mk sets  <prog>_SRCS  and  <prog>_MODS  and adds <prog>
# to PROGS. A binary links the objects of exactly the modules it names, so a
# module under construction never breaks the build of one that doesn't use it.
.DEFAULT_GOAL := all
MODULES    :=
UNIT_TESTS :=
COMPONENT_TESTS :=
PROGS      :=

include $(wildcard lib/*/module.mk)
include $(wildcard */*.mk)

mod_objs = $(foreach m,$(1),$($(m)_SRCS:%.c=$(O)/%.o) $($(m)_OBJS))

all: $(foreach p,$(PROGS),$(B)/$(p)) unit-tests

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(O)/llhttp/%.o: $(LLHTTP_SRC)/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) -I$(LLHTTP_INC) $(OPT) $(SANFLAGS) -c -o $@ $<

define prog_rule
$(B)/$(1): $$($(1)_SRCS:%.c=$(O)/%.o) $$(call mod_objs,$$($(1)_MODS))
	@mkdir -p $(B)
	$$(call say,LD,$$@)$(CC) $(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

# One Check binary per library module: tests/unit/check_<m>.c
define unit_rule
$(B)/tests/check_$(1): $(O)/tests/unit/check_$(1).o $$(call mod_objs,$$($(1)_MODS))
	@mkdir -p $(B)/tests
	$$(call say,LD,$$@)$(CC) $(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS) $$(CHECK_LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))
UNIT_BINS := $(UNIT_TESTS:%=$(B)/tests/check_%)

# Component tests: tests/component/check_<c>.c builds one role in-process.
# A prog.mk adds <c> to COMPONENT_TESTS and sets ctest_<c>_SRCS (the role's
# sources, without main.c) and ctest_<c>_MODS.
define ctest_rule
$(B)/tests/check_$(1): $(O)/tests/component/check_$(1).o \
		$$(ctest_$(1)_SRCS:%.c=$(O)/%.o) $$(call mod_objs,$$(ctest_$(1)_MODS))
	@mkdir -p $(B)/tests
	$$(call say,LD,$$@)$(CC) $(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS) $$(CHECK_LIBS)
endef
$(foreach t,$(COMPONENT_TESTS),$(eval $(call ctest_rule,$(t))))
UNIT_BINS += $(COMPONENT_TESTS:%=$(B)/tests/check_%)

unit-tests: $(UNIT_BINS)

# libFuzzer targets (FUZZ=1 build) and `make fuzz`.
include tests/fuzz/fuzz.mk

deps:
	@bash mk/deps.sh

# The README's two commands.
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash mk/demo.sh bin

# make check also checks the benchmark's Kamailio configs (kamailio -c),
# so it installs the bench list too.
check: bench-deps
	$(Q)$(MAKE) --no-print-directory SAN=1 all
	$(Q)bash tests/run.sh build/san/bin

style:
	$(Q)bash tests/tools/style.sh

# Benchmarks never run in `make check`; they use the optimised build.
bench-deps:
	@bash mk/deps.sh mk/deps.txt mk/bench-deps.txt

bench: bench-deps
	$(Q)$(MAKE) --no-print-directory SAN=0 all
	$(Q)bash bench/run.sh

bench-quick: bench-deps
	$(Q)$(MAKE) --no-print-directory SAN=0 all
	$(Q)bash bench/run.sh --quick

# Never part of check (too long). Bounded: the run's length + 4 minutes.
SOAK_SECONDS ?= 600
soak: deps
	$(Q)$(MAKE) --no-print-directory SAN=1 all
	$(Q)SOAK_SECONDS=$(SOAK_SECONDS) timeout -k 10 $$(($(SOAK_SECONDS) + 240)) \
		nice -n 10 bash tests/soak/soak.sh build/san/bin

soak-quick: deps
	$(Q)$(MAKE) --no-print-directory SAN=1 all
	$(Q)SOAK_SECONDS=60 SOAK_USERS=1000 SOAK_EXPIRES=10 SOAK_SAMPLE_S=2 \
		timeout -k 10 300 nice -n 10 bash tests/soak/soak.sh build/san/bin

clean:
	rm -rf build bin

.PHONY: all unit-tests deps demo check style clean bench-deps bench \
	bench-quick soak soak-quick
.SECONDARY:

-include $(shell find $(O) -name '*.d' 2>/dev/null)
