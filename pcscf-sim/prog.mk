PROGS            += pcscf-sim
pcscf-sim_SRCS   := pcscf-sim/main.c pcscf-sim/pcscf.c
pcscf-sim_MODS   := base conf trace app sip sipt appsip digest

COMPONENT_TESTS  += pcscf
ctest_pcscf_SRCS := pcscf-sim/pcscf.c
ctest_pcscf_MODS := base conf trace app sip sipt appsip digest

# Proxy-Require (gin, path; 420 for the rest) for [range].
COMPONENT_TESTS      += pcscf_ext
ctest_pcscf_ext_SRCS := pcscf-sim/pcscf.c
ctest_pcscf_ext_MODS := base conf trace app sip sipt appsip digest
