PROGS              += scscf-sim
scscf-sim_SRCS     := scscf-sim/main.c scscf-sim/scscf.c scscf-sim/auth.c \
                      scscf-sim/reg.c scscf-sim/store.c
scscf-sim_MODS     := base conf trace app appdiam sip sipt appsip digest diam ims

COMPONENT_TESTS    += scscf
ctest_scscf_SRCS   := scscf-sim/scscf.c scscf-sim/auth.c scscf-sim/reg.c \
                      scscf-sim/store.c
ctest_scscf_MODS   := $(scscf-sim_MODS)
