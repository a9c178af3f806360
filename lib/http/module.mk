MODULES    += http
http_SRCS  := lib/http/parse.c lib/http/util.c lib/http/server.c \
              lib/http/client.c
http_OBJS  := $(O)/llhttp/api.o $(O)/llhttp/http.o $(O)/llhttp/llhttp.o
http_MODS  := base tls http
UNIT_TESTS += http
# The loopback server/client tests have their own binary (they run a loop;
# the parser ones don't).
UNIT_TESTS     += http_io
http_io_MODS   := base tls http
