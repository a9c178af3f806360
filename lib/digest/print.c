/*
 * print.c - challenges (server side) and credentials (client side) as
 * header values, and the client's choice among several challenges
 * (RFC 7616 §3.3-§3.4, RFC 8760 §2.3-§2.4, TS 24.229 §5.1.1.2.2).
 */
#include "digest/digest_int.h"

#include <errno.h>
#include <stdio.h>

void digest__put_quoted(struct buf *b, struct sv v)
{
	buf_puts(b, "\"");
	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (c == '"' || c == '\\') {
			buf_append(b, "\\", 1);
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			/* CR and LF cannot be escaped (RFC 3261 §25.1
			 * quoted-pair): never let them split the header. */
			c = ' ';
		}
		buf_append(b, &c, 1);
	}
	buf_puts(b, "\"");
}

static void put_param(struct buf *b, const char *name, struct sv v)
{
	buf_puts(b, ", ");
	buf_puts(b, name);
	buf_puts(b, "=");
	digest__put_quoted(b, v);
}

static bool alg_is_sess(enum digest_alg a)
{
	return a == DIGEST_ALG_MD5_SESS || a == DIGEST_ALG_SHA256_SESS;
}

/* ---- server side --------------------------------------------------------- */

int digest_chal_print(struct buf *out, const struct digest_offer *o,
		      enum digest_alg alg)
{
	int err = 0;

	if (!digest_alg_hexlen(alg)) {
		err = -ENOTSUP;
		goto out;
	}
	if (!o->nonce.len) {
		err = -EINVAL;
		goto out;
	}
	buf_puts(out, "Digest realm=");
	digest__put_quoted(out, o->realm);
	put_param(out, "nonce", o->nonce);
	buf_printf(out, ", algorithm=%s", digest_alg_name(alg));
	/* RFC 8760 §2.6 item 8: a SIP UAS MUST send qop */
	if (!o->no_qop)
		buf_puts(out, ", qop=\"auth\"");
	if (o->stale)
		buf_puts(out, ", stale=true");
	if (o->opaque.len)
		put_param(out, "opaque", o->opaque);
out:
	return err;
}

int digest_chal_print_list(struct buf *out, const char *name,
			   const struct digest_offer *o,
			   const enum digest_alg *algs, size_t n)
{
	size_t mark = out->len;
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		buf_printf(out, "%s: ", name);
		err = digest_chal_print(out, o, algs[i]);
		buf_puts(out, "\r\n");
	}
	if (err && out->data) {
		out->len = mark;
		out->data[mark] = '\0';
	}
	return err;
}

/* ---- client side --------------------------------------------------------- */

int digest_chal_select(struct digest_chal *out, size_t *index,
		       const struct sv *values, size_t n, unsigned alg_mask)
{
	if (!alg_mask)
		alg_mask = DIGEST_ALG_BIT(DIGEST_ALG_MD5) |
			   DIGEST_ALG_BIT(DIGEST_ALG_MD5_SESS) |
			   DIGEST_ALG_BIT(DIGEST_ALG_SHA256) |
			   DIGEST_ALG_BIT(DIGEST_ALG_SHA256_SESS);
	/* RFC 8760 §2.4: the first challenge (in header order) whose
	 * algorithm the client supports. */
	for (size_t i = 0; i < n; i++) {
		if (digest_scheme_of(values[i]) != DIGEST_SCHEME_DIGEST ||
		    digest_chal_parse(out, values[i], NULL) != 0)
			continue;
		if (out->alg == DIGEST_ALG_UNKNOWN ||
		    !(alg_mask & DIGEST_ALG_BIT(out->alg)))
			continue;
		if ((out->present & DIGEST_P_QOP) && !out->qop_auth)
			continue; /* we answer qop=auth only */
		if (index)
			*index = i;
		return 0;
	}
	return -ENOENT;
}

int digest_auth_print(struct buf *out, const struct digest_chal *ch,
		      const struct digest_answer *a, struct rng *rng)
{
	char ha1[DIGEST_HEX_MAX], resp[DIGEST_HEX_MAX], cn[33], nc[9];
	enum digest_qop qop = DIGEST_QOP_NONE;
	size_t hexlen = digest_alg_hexlen(ch->alg);
	struct sv cnonce = a->cnonce, h1 = a->ha1;
	int err = 0;

	if (!hexlen) {
		err = -ENOTSUP;
		goto out;
	}
	if (ch->present & DIGEST_P_QOP) {
		if (!ch->qop_auth) {
			err = -ENOTSUP;
			goto out;
		}
		qop = DIGEST_QOP_AUTH;
	}
	if ((qop != DIGEST_QOP_NONE || alg_is_sess(ch->alg)) && !cnonce.len) {
		if (!rng) {
			err = -EINVAL;
			goto out;
		}
		rng_hex(rng, cn, 32);
		cnonce = (struct sv){ cn, 32 };
	}
	/* The realm is the challenge's: it names the password to use
	 * (RFC 7616 §3.3), and the server hashes the one it sent. */
	if (!h1.len) {
		digest_ha1_calc(ha1, ch->alg, a->username, ch->realm,
				a->password);
		h1 = (struct sv){ ha1, hexlen };
	}
	/* RFC 7616 §3.4: nc counts the requests sent with this nonce */
	snprintf(nc, sizeof(nc), "%08x", a->nc ? (unsigned)a->nc : 1u);
	err = digest_resp_calc(resp, &(struct digest_calc){
		.alg = ch->alg,
		.qop = qop,
		.ha1 = h1,
		.nonce = ch->nonce,
		.cnonce = cnonce,
		.nc = { nc, 8 },
		.method = a->method,
		.uri = a->uri,
	});
	if (err)
		goto out;
	buf_puts(out, "Digest username=");
	digest__put_quoted(out, a->username);
	put_param(out, "realm", ch->realm);
	put_param(out, "nonce", ch->nonce);
	put_param(out, "uri", a->uri);
	buf_printf(out, ", response=\"%s\", algorithm=%s", resp,
		   digest_alg_name(ch->alg));
	if (qop != DIGEST_QOP_NONE || alg_is_sess(ch->alg))
		put_param(out, "cnonce", cnonce);
	if (qop != DIGEST_QOP_NONE)
		buf_printf(out, ", qop=%s, nc=%s", digest_qop_name(qop), nc);
	if (ch->present & DIGEST_P_OPAQUE)
		put_param(out, "opaque", ch->opaque);
out:
	return err;
}

void digest_auth_print_initial(struct buf *out, struct sv impi,
			       struct sv realm)
{
	struct buf uri;

	/* TS 24.229 §5.1.1.2.2: uri is the SIP URI of the home domain */
	buf_init(&uri);
	buf_puts(&uri, "sip:");
	buf_putsv(&uri, realm);
	buf_puts(out, "Digest username=");
	digest__put_quoted(out, impi);
	put_param(out, "realm", realm);
	put_param(out, "uri", (struct sv){ uri.data, uri.len });
	buf_puts(out, ", nonce=\"\", response=\"\"");
	buf_close(&uri);
}
