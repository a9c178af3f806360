MODULES     += digest
digest_SRCS := lib/digest/parse.c lib/digest/calc.c lib/digest/nonce.c \
               lib/digest/print.c
digest_MODS := base digest
UNIT_TESTS  += digest
# The nonce and replay tests have their own binary (check_digest.c is full).
UNIT_TESTS  += digest_nonce
digest_nonce_MODS := base digest
