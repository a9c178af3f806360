/*
 * ws_int.h - lib/ws private declarations (STYLE: `__` for a module's
 * non-static helpers). Included only by lib/ws and its unit test.
 */
#ifndef IMSTB_WS_INT_H
#define IMSTB_WS_INT_H

#include "ws/ws.h"

/* A frame-header scanner run over the received bytes before wslay sees
 * them. wslay answers a few faults with an empty close frame (a control
 * frame over 125 bytes or fragmented, a non-minimal length); RFC 6455
 * §7.4.1 wants 1002 there, so every header is checked here first, and a
 * single data frame over the message limit gets 1009 before its payload
 * is read. */
struct ws__scan {
	uint64_t skip; /* payload bytes of the current frame still to pass */
	uint64_t max;  /* a data frame's payload limit (1009 above) */
	bool server;   /* we are the server: frames must be masked */
};

/* Scans n bytes that follow what was scanned before. Returns how many may
 * be handed on: every complete good header and the payload behind it;
 * it stops before an incomplete header (scan again with more bytes) and
 * before a bad one, setting *code (1002, 1009; else it stays 0). */
size_t ws__scan(struct ws__scan *s, const uint8_t *p, size_t n, uint16_t *code);

/* true if p[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
bool ws__utf8_valid(const void *p, size_t n);

#endif
