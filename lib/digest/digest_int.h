/*
 * digest_int.h - declarations shared by the lib/digest sources only.
 */
#ifndef IMSTB_DIGEST_INT_H
#define IMSTB_DIGEST_INT_H

#include "digest/digest.h"

/* One auth-param (RFC 7235 §2.1; RFC 3261 §25.1 allows LWS around "=" and
 * ","). Views into the input. */
struct digest__param {
	struct sv name;
	struct sv val; /* inside the quotes if quoted; quoted-pairs kept */
	struct sv raw; /* the whole `name = value` text */
	bool quoted;
	bool escaped; /* val holds at least one quoted-pair */
};

/* Reads the auth-scheme token of value into *scheme and sets *pos to the
 * first byte after it. -EBADMSG if value does not start with a token
 * followed by LWS or the end. */
int digest__scheme(struct sv value, struct sv *scheme, size_t *pos,
		   struct perr *e);

/* Next auth-param of in from *pos: 1 with *p filled, 0 at the end,
 * -EBADMSG (with e) on a syntax fault. Empty list elements are skipped
 * (RFC 7230 §7). */
int digest__param_next(struct sv in, size_t *pos, struct digest__param *p,
		       struct perr *e);

/* Appends v as a quoted-string, escaping '"' and '\' (RFC 3261 §25.1). */
void digest__put_quoted(struct buf *b, struct sv v);

/* out = lowercase hex of H(parts[0] ":" parts[1] ":" ...) with alg's hash.
 * alg must be known. */
void digest__hash_hex(char out[DIGEST_HEX_MAX], enum digest_alg alg,
		      const struct sv *parts, size_t n);

/* md = SHA-256 (32 bytes) or MD5 (16) of parts, joined by ':' if colons. */
void digest__hash_parts(unsigned char *md, bool sha256, const struct sv *parts,
			size_t n, bool colons);

/* True if v is exactly n hex digits (either case). */
bool digest__is_hex(struct sv v, size_t n);
/* Value of one hex digit already known to be valid. */
unsigned digest__hexval(char c);

#endif
