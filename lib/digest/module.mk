MODULES     += digest
digest_SRCS := lib/digest/parse.c lib/digest/calc.c lib/digest/nonce.c \
               lib/digest/print.c
digest_MODS := base digest
UNIT_TESTS  += digest
