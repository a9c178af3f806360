MODULES    += sip
sip_SRCS   := lib/sip/hdr_table.c lib/sip/hdr.c lib/sip/uri.c \
              lib/sip/addr.c lib/sip/msg.c lib/sip/print.c
sip_MODS   := base sip
UNIT_TESTS += sip
# sip_msg_peek_request has its own binary (check_sip.c is full).
UNIT_TESTS += sip_peek
sip_peek_MODS := base sip
