MODULES    += ims
ims_SRCS   := lib/ims/ident.c lib/ims/wildcard.c lib/ims/subxml.c
ims_MODS   := base ims
UNIT_TESTS += ims
