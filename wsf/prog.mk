PROGS          += wsf
wsf_SRCS       := wsf/main.c wsf/wsf.c wsf/flow.c wsf/proxy.c wsf/tokencheck.c \
                  wsf/range.c wsf/gin.c
wsf_MODS       := base conf trace app sip sipt appsip digest tls http ws token ims

COMPONENT_TESTS += wsf
ctest_wsf_SRCS := wsf/wsf.c wsf/flow.c wsf/proxy.c wsf/tokencheck.c \
                  wsf/range.c wsf/gin.c
ctest_wsf_MODS := $(wsf_MODS)

# Figure 6.X.2.1.2.1-1: the token checks, with a mock WWS.
COMPONENT_TESTS      += wsf_token
ctest_wsf_token_SRCS := $(ctest_wsf_SRCS) tests/component/wsf_token_env.c
ctest_wsf_token_MODS := $(wsf_MODS)

# [range]: enterprise WWSs' IMPU blocks (static and registration mode) and
# their web users (Figures 6.X.2.1.3.2-1 and 6.X.2.1.3.3-1).
COMPONENT_TESTS      += wsf_range
ctest_wsf_range_SRCS := $(ctest_wsf_SRCS)
ctest_wsf_range_MODS := $(wsf_MODS)

# [robust] security: identities the token did not grant, client-made
# integrity-protected, the token's Origin binding, tokens out of traces.
COMPONENT_TESTS      += wsf_ident
ctest_wsf_ident_SRCS := $(ctest_wsf_SRCS) tests/component/wsf_token_env.c
ctest_wsf_ident_MODS := $(wsf_MODS)
