MODULES    += trace
trace_SRCS := lib/trace/trace.c lib/trace/fault.c lib/trace/redact.c
trace_MODS := base trace
UNIT_TESTS += trace
# The fault rules (fault.c) have a test of their own.
UNIT_TESTS       += trace_fault
trace_fault_MODS := base trace
