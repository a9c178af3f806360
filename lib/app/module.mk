MODULES   += app
app_SRCS  := lib/app/app.c
app_MODS  := base conf trace app

MODULES      += appdiam
appdiam_SRCS := lib/app/app_diam.c
appdiam_MODS := base trace appdiam

MODULES      += appsip
appsip_SRCS  := lib/app/app_sip.c
appsip_MODS  := base sip sipt trace appsip
UNIT_TESTS   += appsip

MODULES     += appdb
appdb_SRCS  := lib/app/app_db.c
appdb_MODS  := base appdb
UNIT_TESTS  += appdb
