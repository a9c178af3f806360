MODULES    += trace
trace_SRCS := lib/trace/trace.c lib/trace/redact.c
trace_MODS := base trace
UNIT_TESTS += trace
