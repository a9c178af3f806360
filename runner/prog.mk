# bin/imstb: the scenario runner (runner/). The writers' sources come from
# runner/writers.mk, read after this file: hence `=` (expanded at use).
PROGS       += imstb
imstb_SRCS   = runner/main.c runner/scn.c runner/scn_act.c \
               runner/scn_check.c runner/run.c runner/field.c \
               runner/match.c runner/launch.c runner/drive.c runner/up.c \
               runner/report.c runner/drive_client.c runner/jwt.c \
               runner/forge.c runner/hub.c runner/hub_feed.c \
               runner/drive_fault.c \
               $(writers_SRCS)
imstb_MODS  := base trace sip diam digest token tls http hubpage

# The live ladder's page (runner/hub.html), embedded in bin/imstb: the
# generated C file lives under $(O)/gen/, never in the tree.
$(O)/gen/runner/hub_page.c: runner/hub.html runner/hub_embed.sh
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)bash runner/hub_embed.sh $< >$@.tmp && mv $@.tmp $@

$(O)/gen/runner/hub_page.o: $(O)/gen/runner/hub_page.c
	$(call say,CC,$<)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# A pseudo-module: only its object, linked by naming it in *_MODS.
hubpage_OBJS := $(O)/gen/runner/hub_page.o

# The scenario parser and the matcher, in-process: no process, no loop.
COMPONENT_TESTS += scn
ctest_scn_SRCS  := runner/scn.c runner/scn_act.c runner/scn_check.c \
                   runner/run.c runner/field.c runner/match.c \
                   runner/jwt.c runner/forge.c
ctest_scn_MODS  := base trace sip diam digest token

# The token forger of `client USER token forge KIND` against lib/token's
# verifier: each kind breaks the rule it names.
COMPONENT_TESTS += forge
ctest_forge_SRCS := runner/forge.c
ctest_forge_MODS := base token

# The token side of the scenario language: `jwt claim|header NAME` and
# `client USER token forge KIND`.
COMPONENT_TESTS   += scn_jwt
ctest_scn_jwt_SRCS = $(ctest_scn_SRCS)
ctest_scn_jwt_MODS = $(ctest_scn_MODS)

# The live ladder of `imstb up` in-process: its routes, its server-sent
# events as a trace file grows, a selection (runner/hub.h).
COMPONENT_TESTS += hub
ctest_hub_SRCS   = runner/hub.c runner/hub_feed.c $(ctest_scn_SRCS) \
                   $(writers_SRCS)
ctest_hub_MODS  := base trace sip diam digest token tls http hubpage
