MODULES    += sipt
sipt_SRCS  := lib/sipt/core.c lib/sipt/timer.c lib/sipt/transp.c \
              lib/sipt/strans.c lib/sipt/ctrans.c lib/sipt/proxy.c \
              lib/sipt/rebase.c lib/sipt/hold.c
sipt_MODS  := base sip sipt
UNIT_TESTS += sipt
# The timer heap has a test of its own (it includes sipt_int.h).
UNIT_TESTS      += sipt_timer
sipt_timer_MODS := base sip sipt
# The parse carried over to a stamped copy, against a full parse.
UNIT_TESTS       += sipt_rebase
sipt_rebase_MODS := base sip sipt
