# client-sim: the IMS UE / WebRTC client process (client.h) and its
# component tests (plain IMS UE; WebRTC mode against a scripted WWS + WSF).
PROGS             += client-sim
client-sim_SRCS   := client-sim/main.c client-sim/client.c client-sim/ua.c \
                     client-sim/linein.c client-sim/web.c client-sim/wsflow.c \
                     client-sim/load.c
client-sim_MODS   := base conf trace app sip sipt digest tls http ws

COMPONENT_TESTS   += client
ctest_client_SRCS := client-sim/client.c client-sim/ua.c client-sim/linein.c \
                     client-sim/web.c client-sim/wsflow.c
ctest_client_MODS := base conf trace app sip sipt digest tls http ws

COMPONENT_TESTS       += client_web
ctest_client_web_SRCS := $(ctest_client_SRCS)
ctest_client_web_MODS := $(ctest_client_MODS)
