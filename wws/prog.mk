# wws: the WebRTC Web Server (HTTPS page, web login with JWT tokens, JWKS,
# RFC 7662 introspection, SQLite web users) and its component test.
# wws/www/* (the page and its script) are embedded in the binary: the
# generated C file lives under $(O)/gen/, never in the tree.
WWS_WWW := $(sort $(wildcard wws/www/*.html wws/www/*.js wws/www/*.css))

$(O)/gen/wws/www.c: $(WWS_WWW) wws/www/embed.sh
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)bash wws/www/embed.sh $(WWS_WWW) >$@.tmp && mv $@.tmp $@

$(O)/gen/wws/www.o: $(O)/gen/wws/www.c wws/wws_int.h
	$(call say,CC,$<)$(CC) $(CPPFLAGS) -Iwws $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

# A pseudo-module: only its object, linked by naming it in *_MODS.
wwswww_OBJS := $(O)/gen/wws/www.o

PROGS          += wws
wws_SRCS       := wws/main.c wws/wws.c wws/routes.c wws/token.c \
                  wws/users.c wws/prov.c wws/block.c wws/range.c
wws_MODS       := base conf trace app tls http token ims sip sipt digest \
                  ws wsflow wwswww

COMPONENT_TESTS += wws
ctest_wws_SRCS := wws/wws.c wws/routes.c wws/token.c wws/users.c \
                  wws/prov.c wws/block.c wws/range.c
ctest_wws_MODS := $(wws_MODS)

# [range]: the enterprise WWS (IMPUs of the block, the GIN registration
# against a mock WSS registrar).
COMPONENT_TESTS       += wws_range
ctest_wws_range_SRCS := $(ctest_wws_SRCS)
ctest_wws_range_MODS := $(wws_MODS)
