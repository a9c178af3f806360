MODULES    += conf
conf_SRCS  := lib/conf/conf.c
conf_MODS  := base conf
UNIT_TESTS += conf
