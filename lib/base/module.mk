MODULES    += base
base_SRCS  := lib/base/sv.c lib/base/mem.c lib/base/misc.c lib/base/hmap.c \
              lib/base/ipcount.c
base_MODS  := base
UNIT_TESTS += base
