PROGS              += scscf-sim
scscf-sim_SRCS     := scscf-sim/main.c scscf-sim/scscf.c scscf-sim/auth.c \
                      scscf-sim/reg.c scscf-sim/store.c
scscf-sim_MODS     := base conf trace app appdiam appdb sip sipt appsip digest diam ims

COMPONENT_TESTS    += scscf
ctest_scscf_SRCS   := scscf-sim/scscf.c scscf-sim/auth.c scscf-sim/reg.c \
                      scscf-sim/store.c
ctest_scscf_MODS   := $(scscf-sim_MODS)

# [range]: the GIN registration of a block against the real HSS.
COMPONENT_TESTS      += scscf_gin
ctest_scscf_gin_SRCS := $(ctest_scscf_SRCS) hss-sim/hss.c hss-sim/prov.c \
                        hss-sim/store.c hss-sim/store_prov.c
ctest_scscf_gin_MODS := $(scscf-sim_MODS)
