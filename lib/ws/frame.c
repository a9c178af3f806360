/*
 * frame.c - checks on received frame headers and on UTF-8, without I/O.
 * wslay does the framing; this catches what it answers wrongly (see
 * ws_int.h) so every fault gets its RFC 6455 §7.4.1 close code.
 */
#include <errno.h>
#include <string.h>

#include "ws/ws_int.h"

/* RFC 6455 §5.2: the opcodes defined so far. 0x3-0x7 and 0xB-0xF are
 * reserved: "If an unknown opcode is received, the receiving endpoint
 * MUST _Fail the WebSocket Connection_". */
static bool opcode_known(unsigned op)
{
	return op <= WS_OP_BINARY || (op >= WS_OP_CLOSE && op <= WS_OP_PONG);
}

/* Checks one complete header at h; 0 if good, else the close code.
 * *len gets the payload length (h holds 10 bytes when the length is
 * extended). */
static uint16_t header_check(const struct ws__scan *s, const uint8_t *h,
			     uint64_t *len)
{
	unsigned fin = h[0] >> 7, rsv = (h[0] >> 4) & 7, op = h[0] & 0xf;
	unsigned mask = h[1] >> 7, len7 = h[1] & 0x7f;
	uint64_t l = len7;

	/* §5.2: RSV1-3 MUST be 0 unless an extension was negotiated (we
	 * negotiate none). */
	if (rsv || !opcode_known(op))
		return WS_CLOSE_PROTOCOL;
	/* §5.1: a server MUST close on an unmasked client frame; a client
	 * MUST close on a masked server frame. */
	if (mask != (s->server ? 1u : 0u))
		return WS_CLOSE_PROTOCOL;
	/* §5.5: control frames carry at most 125 bytes and MUST NOT be
	 * fragmented. */
	if ((op & 0x8) && (!fin || len7 > 125))
		return WS_CLOSE_PROTOCOL;
	if (len7 == 126) {
		l = (uint64_t)h[2] << 8 | h[3];
		/* §5.2: "the minimal number of bytes MUST be used" */
		if (l < 126)
			return WS_CLOSE_PROTOCOL;
	} else if (len7 == 127) {
		l = 0;
		for (int i = 2; i < 10; i++)
			l = l << 8 | h[i];
		/* §5.2: the most significant bit MUST be 0 */
		if (l < 0x10000 || (l >> 63))
			return WS_CLOSE_PROTOCOL;
	}
	if (!(op & 0x8) && l > s->max)
		return WS_CLOSE_TOO_BIG; /* §7.4.1: 1009 */
	*len = l;
	return 0;
}

/* §5.2: 2 bytes, then 2 or 8 of extended length, then 4 of mask key. */
static size_t header_len(uint8_t b1)
{
	size_t n = 2;

	if ((b1 & 0x7f) == 126)
		n += 2;
	else if ((b1 & 0x7f) == 127)
		n += 8;
	if (b1 & 0x80)
		n += 4;
	return n;
}

size_t ws__scan(struct ws__scan *s, const uint8_t *p, size_t n, uint16_t *code)
{
	size_t off = 0;

	while (off < n) {
		size_t avail = n - off, hlen;
		uint64_t len = 0;
		uint16_t bad;

		if (s->skip) {
			size_t k = avail < s->skip ? avail : (size_t)s->skip;

			off += k;
			s->skip -= k;
			continue;
		}
		if (avail < 2)
			break;
		hlen = header_len(p[off + 1]);
		if (avail < hlen) {
			/* The first two bytes already tell most faults: say
			 * so at once rather than wait for the rest. */
			uint8_t h[14] = { 0 };

			memcpy(h, p + off, avail);
			if ((h[1] & 0x7f) < 126 &&
			    (bad = header_check(s, h, &len)))
				*code = bad;
			break;
		}
		bad = header_check(s, p + off, &len);
		if (bad) {
			*code = bad;
			break;
		}
		off += hlen;
		s->skip = len;
	}
	return off;
}

/* RFC 3629 §4 syntax, byte by byte. */
bool ws__utf8_valid(const void *buf, size_t n)
{
	const uint8_t *p = buf, *end;

	if (!n)
		return true; /* buf may be NULL (no reason): NULL + 0 is UB */
	end = p + n;
	while (p < end) {
		uint8_t c = *p++;
		size_t more;
		uint8_t lo = 0x80, hi = 0xbf;

		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			if (c == 0xe0)
				lo = 0xa0; /* overlong */
			else if (c == 0xed)
				hi = 0x9f; /* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			if (c == 0xf0)
				lo = 0x90; /* overlong */
			else if (c == 0xf4)
				hi = 0x8f; /* above U+10FFFF */
		} else {
			return false;
		}
		if ((size_t)(end - p) < more)
			return false;
		if (*p < lo || *p > hi)
			return false;
		p++;
		while (--more) {
			if ((*p & 0xc0) != 0x80)
				return false;
			p++;
		}
	}
	return true;
}
