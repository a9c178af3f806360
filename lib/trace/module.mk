MODULES    += trace
trace_SRCS := lib/trace/trace.c lib/trace/fault.c
trace_MODS := base trace
UNIT_TESTS += trace
