MODULES      += wsflow
wsflow_SRCS  := lib/wsflow/wsflow.c
wsflow_MODS  := base trace sip sipt tls ws wsflow
UNIT_TESTS   += wsflow
