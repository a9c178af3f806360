/*
 * calc.c - Digest hashing: HA1, request-digest, and server verification
 * from a stored HA1 (RFC 7616 §3.4.1-§3.4.3, RFC 2069 compatibility).
 */
/* MD5_* and SHA256_*: see digest__hash_parts. */
#define OPENSSL_API_COMPAT 0x10100000L
#include "digest/digest_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

struct alg_desc {
	const char *name;
	size_t hexlen;
	bool sess; /* RFC 7616 §3.4.2: HA1 = H(H(user:realm:pw):nonce:cnonce)*/
};

/* RFC 7616 §6.1 registry names; the names are case-insensitive on input. */
static const struct alg_desc algs[] = {
	[DIGEST_ALG_MD5] = { "MD5", 32, false },
	[DIGEST_ALG_MD5_SESS] = { "MD5-sess", 32, true },
	[DIGEST_ALG_SHA256] = { "SHA-256", 64, false },
	[DIGEST_ALG_SHA256_SESS] = { "SHA-256-sess", 64, true },
};

static const struct alg_desc *alg_get(enum digest_alg a)
{
	if ((size_t)a >= ARRAY_SIZE(algs) || !algs[a].name)
		return NULL;
	return &algs[a];
}

const char *digest_alg_name(enum digest_alg a)
{
	const struct alg_desc *d = alg_get(a);

	return d ? d->name : "unknown";
}

int digest_alg_parse(enum digest_alg *out, struct sv name)
{
	*out = DIGEST_ALG_UNKNOWN;
	if (name.len == 0) {
		*out = DIGEST_ALG_MD5; /* RFC 7616 §3.3: absent means MD5 */
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(algs); i++) {
		if (algs[i].name && sv_casecmp_cstr(name, algs[i].name)) {
			*out = (enum digest_alg)i;
			return 0;
		}
	}
	return -ENOTSUP;
}

size_t digest_alg_hexlen(enum digest_alg a)
{
	const struct alg_desc *d = alg_get(a);

	return d ? d->hexlen : 0;
}

const char *digest_qop_name(enum digest_qop q)
{
	switch (q) {
	case DIGEST_QOP_AUTH:
		return "auth";
	case DIGEST_QOP_AUTH_INT:
		return "auth-int";
	default:
		return "";
	}
}

unsigned digest__hexval(char c)
{
	if (c <= '9')
		return (unsigned)(c - '0');
	return (unsigned)((c | 0x20) - 'a') + 10;
}

bool digest__is_hex(struct sv v, size_t n)
{
	if (v.len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' &&
						 (c | 0x20) <= 'f')))
			return false;
	}
	return true;
}

/* The low-level hashes: OpenSSL 3's EVP layer costs several thousand
 * instructions per init (provider context, name lookup) on hashes of a
 * block or two, and this runs on every REGISTER. MD5_* and SHA256_* are
 * deprecated in OpenSSL 3 but kept, and use the same assembly. */
void digest__hash_parts(unsigned char *md, bool sha256, const struct sv *parts,
			size_t n, bool colons)
{
	SHA256_CTX s;
	MD5_CTX m;

	if (sha256)
		SHA256_Init(&s);
	else
		MD5_Init(&m);
	for (size_t i = 0; i < n; i++) {
		if (i && colons) {
			if (sha256)
				SHA256_Update(&s, ":", 1);
			else
				MD5_Update(&m, ":", 1);
		}
		if (!parts[i].len)
			continue;
		if (sha256)
			SHA256_Update(&s, parts[i].p, parts[i].len);
		else
			MD5_Update(&m, parts[i].p, parts[i].len);
	}
	if (sha256)
		SHA256_Final(md, &s);
	else
		MD5_Final(md, &m);
}

void digest__hash_hex(char out[DIGEST_HEX_MAX], enum digest_alg alg,
		      const struct sv *parts, size_t n)
{
	bool sha256 = alg_get(alg)->hexlen == 64;
	unsigned char md[32];

	digest__hash_parts(md, sha256, parts, n, true);
	hex_encode(md, sha256 ? 32 : 16, out);
}

int digest_ha1_calc(char out[DIGEST_HEX_MAX], enum digest_alg alg,
		    struct sv username, struct sv realm, struct sv password)
{
	const struct sv parts[] = { username, realm, password };

	if (!alg_get(alg))
		return -ENOTSUP;
	digest__hash_hex(out, alg, parts, ARRAY_SIZE(parts));
	return 0;
}

/* v is known to be hex: only 'A'-'F' change. */
static void lower_copy(char *dst, struct sv v)
{
	for (size_t i = 0; i < v.len; i++)
		dst[i] = (char)(v.p[i] >= 'A' ? v.p[i] | 0x20 : v.p[i]);
	dst[v.len] = '\0';
}

int digest_resp_calc(char out[DIGEST_HEX_MAX], const struct digest_calc *in)
{
	const struct alg_desc *d = alg_get(in->alg);
	char ha1[DIGEST_HEX_MAX], ha2[DIGEST_HEX_MAX], hbody[DIGEST_HEX_MAX];
	struct sv h1, h2;
	int err = 0;

	if (!d || in->qop == DIGEST_QOP_UNKNOWN) {
		err = -ENOTSUP;
		goto out;
	}
	if (!digest__is_hex(in->ha1, d->hexlen)) {
		err = -EINVAL;
		goto out;
	}
	/* HA1 is hashed as text: "ABC" and "abc" would give different
	 * responses, and RFC 7616 §3.4.1 says lowercase hex. */
	lower_copy(ha1, in->ha1);
	if (d->sess) {
		char base[DIGEST_HEX_MAX];
		const struct sv p[] = { { base, d->hexlen }, in->nonce,
					in->cnonce };

		memcpy(base, ha1, sizeof(base));
		digest__hash_hex(ha1, in->alg, p, ARRAY_SIZE(p));
	}
	h1 = (struct sv){ ha1, d->hexlen };
	if (in->qop == DIGEST_QOP_AUTH_INT) {
		/* RFC 7616 §3.4.3: A2 = Method:uri:H(entity-body) */
		const struct sv p[] = { in->method, in->uri,
					{ hbody, d->hexlen } };

		digest__hash_hex(hbody, in->alg, &in->body, 1);
		digest__hash_hex(ha2, in->alg, p, ARRAY_SIZE(p));
	} else {
		const struct sv p[] = { in->method, in->uri };

		digest__hash_hex(ha2, in->alg, p, ARRAY_SIZE(p));
	}
	h2 = (struct sv){ ha2, d->hexlen };
	if (in->qop == DIGEST_QOP_NONE) {
		/* RFC 2069 §2.1.2: H(HA1:nonce:HA2) */
		const struct sv p[] = { h1, in->nonce, h2 };

		digest__hash_hex(out, in->alg, p, ARRAY_SIZE(p));
	} else {
		/* RFC 7616 §3.4.1 */
		const struct sv p[] = { h1, in->nonce, in->nc, in->cnonce,
					sv_from_cstr(digest_qop_name(in->qop)),
					h2 };

		digest__hash_hex(out, in->alg, p, ARRAY_SIZE(p));
	}
out:
	return err;
}

int digest_resp_verify(const struct digest_cred *c,
		       const struct digest_verify *v)
{
	char want[DIGEST_HEX_MAX], got[DIGEST_HEX_MAX];
	size_t hexlen = digest_alg_hexlen(c->alg);
	bool stale = false;
	int err;

	/* The IMS initial form carries no answer (TS 24.229 §5.1.1.2.2), and
	 * a SIP UAC MUST send qop (RFC 8760 §2.6 item 8). */
	if (c->response.len == 0 || c->nonce.len == 0 ||
	    (c->qop_val == DIGEST_QOP_NONE && !v->allow_no_qop)) {
		err = -EACCES;
		goto out;
	}
	if (!hexlen || c->qop_val == DIGEST_QOP_UNKNOWN) {
		err = -ENOTSUP;
		goto out;
	}
	if (v->key) {
		err = v->nonce_checked ? v->nonce_err
				       : digest_nonce_check(v->key, c->nonce,
							    v->bound, v->now);
		if (err && err != -ESTALE)
			goto out;
		stale = err == -ESTALE;
	}
	err = digest_resp_calc(want, &(struct digest_calc){
		.alg = c->alg,
		.qop = c->qop_val,
		.ha1 = v->ha1,
		.nonce = c->nonce,
		.cnonce = c->cnonce,
		.nc = c->nc,
		.method = v->method,
		.uri = c->uri,
		.body = v->body,
	});
	if (err)
		goto out;
	if (!digest__is_hex(c->response, hexlen)) {
		err = -EACCES;
		goto out;
	}
	/* Constant time, so response timing says nothing of the right
	 * answer. */
	lower_copy(got, c->response);
	if (CRYPTO_memcmp(want, got, hexlen) != 0) {
		err = -EACCES;
		goto out;
	}
	/* RFC 7616 §3.3: stale only once the digest itself is valid */
	if (stale) {
		err = -ESTALE;
		goto out;
	}
	/* RFC 7616 §5.3: without qop there is no nc to check */
	if (v->nct && c->qop_val != DIGEST_QOP_NONE)
		err = digest_nctrack_check(v->nct, c->nonce, c->nc_val, v->now);
out:
	return err;
}
