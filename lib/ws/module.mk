MODULES    += ws
ws_SRCS    := lib/ws/handshake.c lib/ws/frame.c lib/ws/conn.c
ws_MODS    := base tls ws
UNIT_TESTS += ws

# The connection over loopback, in its own binary (800-line rule).
ws_conn_MODS := base tls ws
UNIT_TESTS   += ws_conn
