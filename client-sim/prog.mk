# client-sim: the IMS UE process (client.h) and its component test.
PROGS             += client-sim
client-sim_SRCS   := client-sim/main.c client-sim/client.c client-sim/ua.c \
                     client-sim/linein.c
client-sim_MODS   := base conf trace app sip sipt digest

COMPONENT_TESTS   += client
ctest_client_SRCS := client-sim/client.c client-sim/ua.c client-sim/linein.c
ctest_client_MODS := base conf trace app sip sipt digest
