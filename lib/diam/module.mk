MODULES    += diam
diam_SRCS  := lib/diam/avp_table.c lib/diam/codec.c lib/diam/base_msg.c \
              lib/diam/cx.c lib/diam/peer.c lib/diam/peer_cx.c \
              lib/diam/server.c lib/diam/hold.c
diam_MODS  := base diam
UNIT_TESTS += diam
# The peer tests have their own binary (they run a loop; the codec ones don't).
UNIT_TESTS     += diam_peer
diam_peer_MODS := base diam
