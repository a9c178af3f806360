PROGS          += wsf
wsf_SRCS       := wsf/main.c wsf/wsf.c wsf/flow.c wsf/proxy.c
wsf_MODS       := base conf trace app sip sipt digest tls http ws

COMPONENT_TESTS += wsf
ctest_wsf_SRCS := wsf/wsf.c wsf/flow.c wsf/proxy.c
ctest_wsf_MODS := base conf trace app sip sipt digest tls http ws
