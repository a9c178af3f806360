# hss-sim: the HSS process (Cx over Diameter) and its subscriber store.
PROGS          += hss-sim
hss-sim_SRCS   := hss-sim/main.c hss-sim/hss.c hss-sim/prov.c \
                  hss-sim/store.c hss-sim/store_prov.c
hss-sim_MODS   := base conf trace app appdiam appdb diam ims

COMPONENT_TESTS += hss_store
ctest_hss_store_SRCS := hss-sim/store.c hss-sim/store_prov.c
ctest_hss_store_MODS := base appdb ims

COMPONENT_TESTS += hss
ctest_hss_SRCS := hss-sim/hss.c hss-sim/prov.c hss-sim/store.c \
                  hss-sim/store_prov.c
ctest_hss_MODS := base conf trace app appdiam appdb diam ims
