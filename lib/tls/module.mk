MODULES    += tls
tls_SRCS   := lib/tls/stream.c lib/tls/tls.c lib/tls/cert.c
tls_MODS   := base tls
UNIT_TESTS += tls
