MODULES   += app
app_SRCS  := lib/app/app.c
app_MODS  := base app
