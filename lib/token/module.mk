MODULES    += token
token_SRCS := lib/token/token.c lib/token/jwk.c lib/token/sig.c
token_MODS := base token
UNIT_TESTS += token
