PROGS            += pcscf-sim
pcscf-sim_SRCS   := pcscf-sim/main.c pcscf-sim/pcscf.c
pcscf-sim_MODS   := base conf trace app sip sipt digest
