# bin/imstb: the scenario runner (runner/). The writers' sources come from
# runner/writers.mk, read after this file: hence `=` (expanded at use).
PROGS       += imstb
imstb_SRCS   = runner/main.c runner/scn.c runner/scn_act.c \
               runner/scn_check.c runner/run.c runner/field.c \
               runner/match.c runner/launch.c runner/drive.c runner/up.c \
               runner/report.c runner/drive_client.c $(writers_SRCS)
imstb_MODS  := base trace sip diam

# The scenario parser and the matcher, in-process: no process, no loop.
COMPONENT_TESTS += scn
ctest_scn_SRCS  := runner/scn.c runner/scn_act.c runner/scn_check.c \
                   runner/run.c runner/field.c runner/match.c
ctest_scn_MODS  := base trace sip diam
