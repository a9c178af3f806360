/* check_digest.c - unit tests for lib/digest. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest/digest.h"

#define S(x) sv_from_cstr(x)
/* an error row of a vector table */
#define BAD(s) { .in = s, .err = -EBADMSG }
#define SBAD(k, s) { .in = s, .scheme = DIGEST_SCHEME_##k, .err = -EBADMSG }

/* RFC 7616 §3.9.1 */
#define R7_REALM "http-auth@example.org"
#define R7_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define R7_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define R7_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define R7_MD5 "8ca523f5e9506fed4657c9700eebdbec"
#define R7_SHA \
	"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
/* RFC 2617 §3.5 and RFC 2069 §2.4 */
#define R2_REALM "testrealm@host.com"
#define R2_NONCE "dcd98b7102dd2f0e8b11d0f600bfb0c093"

/* ---- response computation: published vectors (-sess and auth-int ones
 * computed independently with Python's hashlib) ----------------------- */

static const struct {
	enum digest_alg alg;
	enum digest_qop qop;
	const char *user, *realm, *pw, *nonce, *cnonce, *nc, *method, *uri;
	const char *body, *expect;
} calc_vec[] = {
	{ DIGEST_ALG_MD5, DIGEST_QOP_AUTH, "Mufasa", R7_REALM, "Circle of Life",
	  R7_NONCE, R7_CNONCE, "00000001", "GET", "/dir/index.html", "",
	  R7_MD5 },
	{ DIGEST_ALG_SHA256, DIGEST_QOP_AUTH, "Mufasa", R7_REALM,
	  "Circle of Life", R7_NONCE, R7_CNONCE, "00000001", "GET",
	  "/dir/index.html", "", R7_SHA },
	{ DIGEST_ALG_MD5, DIGEST_QOP_AUTH, "Mufasa", R2_REALM, "Circle Of Life",
	  R2_NONCE, "0a4f113b", "00000001", "GET", "/dir/index.html", "",
	  "6629fae49393a05397450978507c4ef1" },
	{ DIGEST_ALG_MD5, DIGEST_QOP_NONE, "Mufasa", R2_REALM, "CircleOfLife",
	  R2_NONCE, "", "", "GET", "/dir/index.html", "",
	  "1949323746fe6a43ef61f9606e7febea" },
	{ DIGEST_ALG_MD5_SESS, DIGEST_QOP_AUTH, "Mufasa", R2_REALM,
	  "Circle Of Life", R2_NONCE, "0a4f113b", "00000001", "GET",
	  "/dir/index.html", "", "8e3825c57e897f5a0dec6c2d4e5059d0" },
	{ DIGEST_ALG_SHA256, DIGEST_QOP_AUTH_INT, "Mufasa", R7_REALM,
	  "Circle of Life", R7_NONCE, R7_CNONCE, "00000002", "POST",
	  "/dir/index.html", "hello",
	  "bf2d074d6818157edc0e9ca4265d33620182c935aac6b5ba352247279e4b1eb5" },
	{ DIGEST_ALG_SHA256_SESS, DIGEST_QOP_AUTH, "Mufasa", R7_REALM,
	  "Circle of Life", R7_NONCE, R7_CNONCE, "00000001", "GET",
	  "/dir/index.html", "",
	  "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7" },
};

START_TEST(test_resp_calc)
{
	char ha1[DIGEST_HEX_MAX], out[DIGEST_HEX_MAX];
	__typeof__(calc_vec[0]) *v = &calc_vec[_i];

	ck_assert_int_eq(digest_ha1_calc(ha1, v->alg, S(v->user), S(v->realm),
					 S(v->pw)),
			 0);
	ck_assert_int_eq(digest_resp_calc(out, &(struct digest_calc){
				     .alg = v->alg, .qop = v->qop,
				     .ha1 = S(ha1), .nonce = S(v->nonce),
				     .cnonce = S(v->cnonce), .nc = S(v->nc),
				     .method = S(v->method), .uri = S(v->uri),
				     .body = S(v->body) }),
			 0);
	ck_assert_str_eq(out, v->expect);
	/* An HA1 from the HSS may come in upper case. */
	for (char *p = ha1; *p; p++)
		if (*p >= 'a')
			*p = (char)(*p - 0x20);
	digest_resp_calc(out, &(struct digest_calc){
		.alg = v->alg, .qop = v->qop, .ha1 = S(ha1),
		.nonce = S(v->nonce), .cnonce = S(v->cnonce), .nc = S(v->nc),
		.method = S(v->method), .uri = S(v->uri), .body = S(v->body) });
	ck_assert_str_eq(out, v->expect);
}
END_TEST

START_TEST(test_calc_errors)
{
	char out[DIGEST_HEX_MAX];

	ck_assert_int_eq(digest_ha1_calc(out, DIGEST_ALG_UNKNOWN, S("a"),
					 S("b"), S("c")),
			 -ENOTSUP);
	ck_assert_int_eq(digest_resp_calc(out, &(struct digest_calc){
				     .alg = DIGEST_ALG_MD5, .ha1 = S("abc") }),
			 -EINVAL);
	ck_assert_int_eq(digest_resp_calc(out, &(struct digest_calc){
				     .alg = DIGEST_ALG_SHA256,
				     .ha1 = S(R7_MD5) }),
			 -EINVAL);
	ck_assert_int_eq(digest_resp_calc(out, &(struct digest_calc){
				     .alg = DIGEST_ALG_MD5,
				     .qop = DIGEST_QOP_UNKNOWN,
				     .ha1 = S(R7_MD5) }),
			 -ENOTSUP);
}
END_TEST

/* ---- credentials parsing ------------------------------------------------- */

#define R7_AUTH                                                          \
	"Digest username=\"Mufasa\",\r\n realm=\"" R7_REALM "\",\r\n"    \
	" uri=\"/dir/index.html\",\r\n algorithm=SHA-256,\r\n nonce=\"" \
	R7_NONCE "\",\r\n nc=00000001,\r\n cnonce=\"" R7_CNONCE "\",\r\n" \
	" qop=auth,\r\n response=\"" R7_SHA "\",\r\n opaque=\"" R7_OPAQUE "\""

static const struct {
	const char *in;
	int err;
	const char *user, *realm, *nonce, *resp, *ip;
	enum digest_alg alg;
	uint32_t nc;
} cred_vec[] = {
	{ R7_AUTH, 0, "Mufasa", R7_REALM, R7_NONCE, R7_SHA, "",
	  DIGEST_ALG_SHA256, 1 },
	/* IMS initial REGISTER, TS 24.229 §5.1.1.2.2 */
	{ "Digest username=\"user@ims.test\", realm=\"ims.test\", "
	  "uri=\"sip:ims.test\", nonce=\"\", response=\"\"",
	  0, "user@ims.test", "ims.test", "", "", "", DIGEST_ALG_MD5, 0 },
	/* escaped quote and backslash, quoted comma, case, LWS around '=' */
	{ "digest USERNAME = \"Mu\\\"fa\\\\sa\" , Realm=\"a,b\",nonce=\"n\","
	  "uri=\"sip:x\",response=\"r\",ALGORITHM=md5-SESS",
	  0, "Mu\"fa\\sa", "a,b", "n", "r", "", DIGEST_ALG_MD5_SESS, 0 },
	/* unknown params ignored, empty list elements, integrity-protected,
	 * quoted qop, unknown algorithm */
	{ "Digest foo=\"x,y\", username=u,, realm=r, nonce=n, uri=\"u\", "
	  "bar=baz, response=\"\", integrity-protected=\"ip-assoc-pending\","
	  " qop=\"auth\", nc=0000000A, cnonce=\"c\", algorithm=AKAv1-MD5,",
	  0, "u", "r", "n", "", "ip-assoc-pending", DIGEST_ALG_UNKNOWN, 10 },
	BAD("Digest username=\"a\", username=\"b\", realm=\"r\", nonce=\"n\", "
	    "uri=\"u\", response=\"x\""),
	BAD("Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\""),
	BAD("Digest username=\"a\", realm=\"r\", nonce=\"n\", response=\"x\""),
	BAD("Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", "
	    "response=\"x\", qop=auth, cnonce=\"c\""),
	BAD("Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", "
	    "response=\"x\", qop=auth, nc=00000001"),
	BAD("Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", "
	    "response=\"x\", qop=auth, nc=1, cnonce=\"c\""),
	BAD("Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", "
	    "response=\"x\", qop=auth, nc=0000000g, cnonce=\"c\""),
	BAD("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
	BAD("Bearer abc.def"),
	BAD(""),
	BAD("Digest username=\"a, realm=\"r\""),
	BAD("Digest username=\"a\" realm=\"r\""),
	BAD("Digest username"),
	BAD("Digest username=, realm=\"r\""),
	BAD("Digest username=\"a\x01\", realm=\"r\""),
	BAD("Digest username=\"a\r\nb\", realm=\"r\""),
	BAD("Digest=x"),
};

START_TEST(test_cred_parse)
{
	struct digest_cred c;
	struct perr e = { 0 };
	__typeof__(cred_vec[0]) *v = &cred_vec[_i];
	struct sv in = S(v->in);
	int err = digest_cred_parse(&c, in, &e);

	ck_assert_int_eq(err, v->err);
	if (err) {
		ck_assert_ptr_nonnull(e.why);
		ck_assert_uint_le(e.offset, in.len);
		ck_assert_int_eq(e.status, 400);
		return;
	}
	ck_assert(sv_eq_cstr(c.username, v->user));
	ck_assert(sv_eq_cstr(c.realm, v->realm));
	ck_assert(sv_eq_cstr(c.nonce, v->nonce));
	ck_assert(sv_eq_cstr(c.response, v->resp));
	ck_assert(sv_eq_cstr(c.integrity_protected, v->ip));
	ck_assert_int_eq(c.alg, v->alg);
	ck_assert_uint_eq(c.nc_val, v->nc);
	ck_assert(c.present & DIGEST_P_NONCE);
	ck_assert_int_eq(digest_cred_is_initial(&c),
			 !*v->nonce && !*v->resp);
	/* Every strict prefix fails cleanly or parses (no overrun: ASan). */
	for (size_t n = 0; n < in.len; n++) {
		err = digest_cred_parse(&c, (struct sv){ in.p, n }, NULL);
		ck_assert(err == 0 || err == -EBADMSG);
	}
}
END_TEST

/* ---- challenge parsing --------------------------------------------------- */

static const struct {
	const char *in;
	int err;
	const char *realm, *nonce, *opaque;
	enum digest_alg alg;
	bool stale, auth, auth_int;
} chal_vec[] = {
	{ "Digest\r\n realm=\"" R7_REALM "\",\r\n qop=\"auth, auth-int\",\r\n"
	  " algorithm=SHA-256,\r\n nonce=\"" R7_NONCE "\",\r\n opaque=\""
	  R7_OPAQUE "\"",
	  0, R7_REALM, R7_NONCE, R7_OPAQUE, DIGEST_ALG_SHA256, false, true,
	  true },
	{ "Digest realm=\"r\", nonce=\"n\", stale=TRUE", 0, "r", "n", "",
	  DIGEST_ALG_MD5, true, false, false },
	{ "Digest realm=\"r\", nonce=\"n\", stale=\"false\", qop=\"auth-int\","
	  " algorithm=AKAv1-MD5, ck=\"00\"",
	  0, "r", "n", "", DIGEST_ALG_UNKNOWN, false, false, true },
	{ "Digest realm=\"r\", nonce=\"n\", stale=yes", 0, "r", "n", "",
	  DIGEST_ALG_MD5, false, false, false },
	BAD("Digest realm=\"r\""),
	BAD("Digest nonce=\"n\""),
	BAD("Digest realm=\"r\", nonce=\"n\", nonce=\"m\""),
	BAD("Digest realm=\"r\", nonce=\"n\", stale=true, stale=false"),
	BAD("Bearer realm=\"r\", nonce=\"n\""),
};

START_TEST(test_chal_parse)
{
	struct digest_chal ch;
	__typeof__(chal_vec[0]) *v = &chal_vec[_i];

	ck_assert_int_eq(digest_chal_parse(&ch, S(v->in), NULL), v->err);
	if (v->err)
		return;
	ck_assert(sv_eq_cstr(ch.realm, v->realm));
	ck_assert(sv_eq_cstr(ch.nonce, v->nonce));
	ck_assert(sv_eq_cstr(ch.opaque, v->opaque));
	ck_assert_int_eq(ch.alg, v->alg);
	ck_assert_int_eq(ch.stale, v->stale);
	ck_assert_int_eq(ch.qop_auth, v->auth);
	ck_assert_int_eq(ch.qop_auth_int, v->auth_int);
}
END_TEST

/* ---- schemes and Bearer -------------------------------------------------- */

static const struct {
	const char *in;
	enum digest_scheme scheme;
	int err;
	const char *token;
} scheme_vec[] = {
	{ "Bearer eyJhbGciOi.eyJzdWIi.c2ln-_", DIGEST_SCHEME_BEARER, 0,
	  "eyJhbGciOi.eyJzdWIi.c2ln-_" },
	{ " bearer  abc+/~==  ", DIGEST_SCHEME_BEARER, 0, "abc+/~==" },
	{ "Bearer access_token=\"eyJ.a-b_c.d\"", DIGEST_SCHEME_BEARER, 0,
	  "eyJ.a-b_c.d" },
	{ "Bearer realm=\"x\", access_token=tok", DIGEST_SCHEME_BEARER, 0,
	  "tok" },
	SBAD(BEARER, "Bearer"),
	SBAD(BEARER, "Bearer a b"),
	SBAD(BEARER, "Bearer a=b"),
	SBAD(BEARER, "Bearer access_token=\"a\\\"b\""),
	SBAD(BEARER, "Bearer access_token=\"a b\""),
	SBAD(BEARER, "Bearer access_token=\"\""),
	SBAD(BEARER, "Bearer access_token=a, access_token=b"),
	SBAD(DIGEST, "Digest username=\"a\""),
	SBAD(DIGEST, "DIGEST"),
	SBAD(OTHER, "Basic QWxh"),
	SBAD(OTHER, "Digestive x=y"),
	SBAD(NONE, "Bearer=x"),
	SBAD(NONE, ""),
	SBAD(NONE, "  "),
};

START_TEST(test_scheme_bearer)
{
	struct sv tok = SV_NULL;
	__typeof__(scheme_vec[0]) *v = &scheme_vec[_i];

	ck_assert_int_eq(digest_scheme_of(S(v->in)), v->scheme);
	ck_assert_int_eq(digest_bearer_parse(&tok, S(v->in), NULL), v->err);
	if (!v->err)
		ck_assert(sv_eq_cstr(tok, v->token));
}
END_TEST

/* ---- nonces and server verification -------------------------------------- */

#define T0 1700000000u
#define LIFE 30u

static const struct {
	enum digest_alg alg;
	const char *client_pw;
	uint64_t now;
	const char *bound; /* checked with */
	int tamper;        /* flip this nonce digit (+1), 0 = none */
	int err;
} verify_vec[] = {
	{ DIGEST_ALG_MD5, "secret", T0 + 5, "ims.test", 0, 0 },
	{ DIGEST_ALG_SHA256, "secret", T0 + LIFE - 1, "ims.test", 0, 0 },
	{ DIGEST_ALG_MD5, "wrong", T0 + 5, "ims.test", 0, -EACCES },
	{ DIGEST_ALG_SHA256, "secret", T0 + LIFE, "ims.test", 0, -ESTALE },
	{ DIGEST_ALG_MD5, "secret", T0 + 3600, "ims.test", 0, -ESTALE },
	/* stale only once the response is right (RFC 7616 §3.3) */
	{ DIGEST_ALG_MD5, "wrong", T0 + LIFE, "ims.test", 0, -EACCES },
	{ DIGEST_ALG_MD5, "secret", T0 + 5, "ims.test", 1, -EACCES },
	{ DIGEST_ALG_SHA256, "secret", T0 + 5, "ims.test", 17, -EACCES },
	{ DIGEST_ALG_MD5, "secret", T0 + 5, "ims.test", 64, -EACCES },
	{ DIGEST_ALG_MD5, "secret", T0 + 5, "other.test", 0, -EACCES },
	{ DIGEST_ALG_MD5, "secret", T0 - 1, "ims.test", 0, -EACCES },
};

/* Server challenge -> client answer -> server verify, as on the wire. */
START_TEST(test_verify)
{
	__typeof__(verify_vec[0]) *v = &verify_vec[_i];
	struct digest_nonce_key key;
	struct digest_chal ch;
	struct digest_cred c;
	struct rng rng;
	struct buf chal, b;
	char nonce[DIGEST_NONCE_LEN + 1], ha1[DIGEST_HEX_MAX];
	int err;

	rng_init(&rng, 7);
	digest_nonce_key_init(&key, &rng, LIFE);
	digest_nonce_make(nonce, &key, &rng, T0, S("ims.test"));
	ck_assert_uint_eq(strlen(nonce), DIGEST_NONCE_LEN);
	ck_assert_int_eq(digest_nonce_check(&key, S(nonce), S("ims.test"), T0),
			 0);
	if (v->tamper) {
		char *d = &nonce[v->tamper - 1];

		*d = *d == '0' ? '1' : '0';
	}
	buf_init(&chal);
	buf_init(&b);
	ck_assert_int_eq(digest_chal_print(&chal, &(struct digest_offer){
			       .realm = S("ims.test"), .nonce = S(nonce) },
					   v->alg),
			 0);
	ck_assert_int_eq(digest_chal_parse(&ch, (struct sv){ chal.data,
							     chal.len },
					   NULL),
			 0);
	err = digest_auth_print(&b, &ch, &(struct digest_answer){
		.username = S("alice@ims.test"), .password = S(v->client_pw),
		.method = S("REGISTER"), .uri = S("sip:ims.test") }, &rng);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(digest_cred_parse(&c, (struct sv){ b.data, b.len },
					   NULL),
			 0);
	ck_assert_int_eq(c.alg, v->alg);
	/* The server knows only HA1, as sent by the HSS. */
	digest_ha1_calc(ha1, v->alg, S("alice@ims.test"), S("ims.test"),
			S("secret"));
	err = digest_resp_verify(&c, &(struct digest_verify){
		.method = S("REGISTER"), .ha1 = S(ha1), .key = &key,
		.bound = S(v->bound), .now = v->now });
	ck_assert_int_eq(err, v->err);
	buf_close(&chal);
	buf_close(&b);
}
END_TEST

START_TEST(test_verify_policy)
{
	struct digest_cred c;
	char ha1[DIGEST_HEX_MAX];
	struct digest_verify v = { .method = S("GET"),
				   .ha1 = { ha1, 32 } };

	digest_ha1_calc(ha1, DIGEST_ALG_MD5, S("Mufasa"), S(R2_REALM),
			S("CircleOfLife"));
	/* RFC 2069 form: refused unless allowed (RFC 8760 §2.6) */
	ck_assert_int_eq(digest_cred_parse(&c, S("Digest username=\"Mufasa\", "
		"realm=\"" R2_REALM "\", nonce=\"" R2_NONCE "\", "
		"uri=\"/dir/index.html\", "
		"response=\"1949323746fe6a43ef61f9606e7febea\""), NULL), 0);
	ck_assert_int_eq(digest_resp_verify(&c, &v), -EACCES);
	v.allow_no_qop = true;
	ck_assert_int_eq(digest_resp_verify(&c, &v), 0);
	/* the IMS initial form authenticates nothing */
	ck_assert_int_eq(digest_cred_parse(&c, S("Digest username=\"a\", "
		"realm=\"r\", uri=\"sip:r\", nonce=\"\", response=\"\""), NULL),
		0);
	ck_assert_int_eq(digest_resp_verify(&c, &v), -EACCES);
	/* unknown algorithm */
	ck_assert_int_eq(digest_cred_parse(&c, S("Digest username=\"a\", "
		"realm=\"r\", uri=\"sip:r\", nonce=\"n\", response=\"00\", "
		"algorithm=AKAv1-MD5"), NULL), 0);
	ck_assert_int_eq(digest_resp_verify(&c, &v), -ENOTSUP);
	/* response of the wrong length */
	ck_assert_int_eq(digest_cred_parse(&c, S("Digest username=\"Mufasa\", "
		"realm=\"" R2_REALM "\", nonce=\"" R2_NONCE "\", "
		"uri=\"/dir/index.html\", "
		"response=\"1949323746fe6a43ef61f9606e7febe\""), NULL), 0);
	ck_assert_int_eq(digest_resp_verify(&c, &v), -EACCES);
	/* malformed HA1 from the store is a programmer error */
	ck_assert_int_eq(digest_cred_parse(&c, S(R7_AUTH), NULL), 0);
	v.ha1 = S("xyz");
	ck_assert_int_eq(digest_resp_verify(&c, &v), -EINVAL);
	/* auth-int: the body counts */
	ck_assert_int_eq(digest_cred_parse(&c, S("Digest username=\"Mufasa\", "
		"realm=\"" R7_REALM "\", nonce=\"" R7_NONCE "\", "
		"uri=\"/dir/index.html\", algorithm=SHA-256, qop=auth-int, "
		"nc=00000002, cnonce=\"" R7_CNONCE "\", response=\""
		"bf2d074d6818157edc0e9ca4265d33620182c935aac6b5ba"
		"352247279e4b1eb5"
		"\""), NULL), 0);
	digest_ha1_calc(ha1, DIGEST_ALG_SHA256, S("Mufasa"), S(R7_REALM),
			S("Circle of Life"));
	v = (struct digest_verify){ .method = S("POST"), .ha1 = S(ha1),
				    .body = S("hello") };
	ck_assert_int_eq(digest_resp_verify(&c, &v), 0);
	v.body = S("hellO");
	ck_assert_int_eq(digest_resp_verify(&c, &v), -EACCES);
}
END_TEST

/* ---- building challenges and credentials --------------------------------- */

START_TEST(test_chal_print)
{
	static const enum digest_alg prefs[] = { DIGEST_ALG_SHA256,
						 DIGEST_ALG_MD5 };
	struct digest_offer o = { .realm = S("ims.test"), .nonce = S("abc") };
	struct buf b;

	buf_init(&b);
	ck_assert_int_eq(digest_chal_print_list(&b, "WWW-Authenticate", &o,
						prefs, ARRAY_SIZE(prefs)),
			 0);
	ck_assert_str_eq(b.data,
			 "WWW-Authenticate: Digest realm=\"ims.test\", "
			 "nonce=\"abc\", algorithm=SHA-256, qop=\"auth\"\r\n"
			 "WWW-Authenticate: Digest realm=\"ims.test\", "
			 "nonce=\"abc\", algorithm=MD5, qop=\"auth\"\r\n");
	buf_reset(&b);
	o.stale = true;
	o.opaque = S("o\"q");
	ck_assert_int_eq(digest_chal_print(&b, &o, DIGEST_ALG_MD5_SESS), 0);
	ck_assert_str_eq(b.data, "Digest realm=\"ims.test\", nonce=\"abc\", "
				 "algorithm=MD5-sess, qop=\"auth\", "
				 "stale=true, opaque=\"o\\\"q\"");
	buf_reset(&b);
	ck_assert_int_eq(digest_chal_print(&b, &o, DIGEST_ALG_UNKNOWN),
			 -ENOTSUP);
	o.nonce = S("");
	ck_assert_int_eq(digest_chal_print_list(&b, "X", &o, prefs, 2),
			 -EINVAL);
	ck_assert_uint_eq(b.len, 0);
	buf_close(&b);
}
END_TEST

static const struct sv select_vals[] = {
	SV("Bearer realm=\"ims.test\", authz_server=\"https://wws\""),
	SV("Digest realm=\"r\", nonce=\"n1\", algorithm=AKAv1-MD5, "
	   "qop=\"auth\""),
	SV("Digest realm=\"r\", nonce=\"n2\", algorithm=SHA-256, "
	   "qop=\"auth-int\""),
	SV("Digest realm=\"r\" nonce=\"n3\", algorithm=SHA-256"),
	SV("Digest realm=\"r\", nonce=\"n4\", algorithm=SHA-256, "
	   "qop=\"auth,auth-int\""),
	SV("Digest realm=\"r\", nonce=\"n5\", qop=\"auth\""),
	SV("Digest realm=\"r\", nonce=\"n6\", algorithm=SHA-256-sess"),
};

static const struct {
	size_t n;
	unsigned mask;
	int err;
	size_t index;
	const char *nonce;
} select_vec[] = {
	{ 7, 0, 0, 4, "n4" },
	{ 7, DIGEST_ALG_BIT(DIGEST_ALG_MD5), 0, 5, "n5" },
	{ 7, DIGEST_ALG_BIT(DIGEST_ALG_SHA256_SESS), 0, 6, "n6" },
	{ .n = 4, .err = -ENOENT },
	{ .n = 7, .mask = DIGEST_ALG_BIT(DIGEST_ALG_MD5_SESS),
	  .err = -ENOENT },
	{ .n = 0, .err = -ENOENT },
};

START_TEST(test_chal_select)
{
	__typeof__(select_vec[0]) *v = &select_vec[_i];
	struct digest_chal ch;
	size_t idx = 99;

	ck_assert_int_eq(digest_chal_select(&ch, &idx, select_vals, v->n,
					    v->mask),
			 v->err);
	if (v->err)
		return;
	ck_assert_uint_eq(idx, v->index);
	ck_assert(sv_eq_cstr(ch.nonce, v->nonce));
}
END_TEST

/* The client reproduces RFC 7616 §3.9.1 byte for byte, for both the
 * SHA-256 and the MD5 challenge. */
static const struct {
	const char *alg, *resp;
} r7_vec[] = { { "SHA-256", R7_SHA }, { "MD5", R7_MD5 } };

START_TEST(test_auth_print_rfc7616)
{
	struct digest_chal ch;
	struct buf chal, b, want;

	buf_init(&chal);
	buf_init(&b);
	buf_init(&want);
	buf_printf(&chal, "Digest realm=\"%s\", qop=\"auth, auth-int\", "
			  "algorithm=%s, nonce=\"%s\", opaque=\"%s\"",
		   R7_REALM, r7_vec[_i].alg, R7_NONCE, R7_OPAQUE);
	ck_assert_int_eq(digest_chal_parse(&ch, (struct sv){ chal.data,
							     chal.len },
					   NULL),
			 0);
	ck_assert_int_eq(digest_auth_print(&b, &ch, &(struct digest_answer){
			       .username = S("Mufasa"),
			       .password = S("Circle of Life"),
			       .method = S("GET"), .uri = S("/dir/index.html"),
			       .cnonce = S(R7_CNONCE), .nc = 1 }, NULL),
			 0);
	buf_printf(&want, "Digest username=\"Mufasa\", realm=\"%s\", "
			  "nonce=\"%s\", uri=\"/dir/index.html\", "
			  "response=\"%s\", algorithm=%s, cnonce=\"%s\", "
			  "qop=auth, nc=00000001, opaque=\"%s\"",
		   R7_REALM, R7_NONCE, r7_vec[_i].resp, r7_vec[_i].alg,
		   R7_CNONCE, R7_OPAQUE);
	ck_assert_str_eq(b.data, want.data);
	buf_close(&chal);
	buf_close(&b);
	buf_close(&want);
}
END_TEST

START_TEST(test_auth_print_misc)
{
	struct digest_chal ch;
	struct digest_cred c;
	struct buf b;

	buf_init(&b);
	/* RFC 2069 challenge: no cnonce/qop/nc, given HA1, nc 0 -> 1 */
	ck_assert_int_eq(digest_chal_parse(&ch, S("Digest realm=\"" R2_REALM
		"\", nonce=\"" R2_NONCE "\""), NULL), 0);
	ck_assert_int_eq(digest_auth_print(&b, &ch, &(struct digest_answer){
		.username = S("Mufasa"),
		.ha1 = S("4945ECF42B1BB868634058A845BEDDE8"),
		.method = S("GET"), .uri = S("/dir/index.html") }, NULL), 0);
	ck_assert_str_eq(b.data, "Digest username=\"Mufasa\", realm=\""
		R2_REALM "\", nonce=\"" R2_NONCE "\", uri=\"/dir/index.html\", "
		"response=\"1949323746fe6a43ef61f9606e7febea\", algorithm=MD5");
	/* qop needs a cnonce: no rng, no cnonce */
	ck_assert_int_eq(digest_chal_parse(&ch, S("Digest realm=\"r\", "
		"nonce=\"n\", qop=\"auth\""), NULL), 0);
	ck_assert_int_eq(digest_auth_print(&b, &ch, &(struct digest_answer){
		.username = S("u") }, NULL), -EINVAL);
	ck_assert_int_eq(digest_chal_parse(&ch, S("Digest realm=\"r\", "
		"nonce=\"n\", qop=\"auth-int\""), NULL), 0);
	ck_assert_int_eq(digest_auth_print(&b, &ch, &(struct digest_answer){
		.username = S("u") }, NULL), -ENOTSUP);
	/* IMS initial form, TS 24.229 §5.1.1.2.2 */
	buf_reset(&b);
	digest_auth_print_initial(&b, S("alice@ims.test"), S("ims.test"));
	ck_assert_str_eq(b.data, "Digest username=\"alice@ims.test\", "
		"realm=\"ims.test\", uri=\"sip:ims.test\", nonce=\"\", "
		"response=\"\"");
	ck_assert_int_eq(digest_cred_parse(&c, (struct sv){ b.data, b.len },
					   NULL), 0);
	ck_assert(digest_cred_is_initial(&c));
	ck_assert(sv_eq_cstr(c.uri, "sip:ims.test"));
	buf_close(&b);
}
END_TEST

static const struct {
	const char *in, *name, *val; /* val NULL: drop only */
	int err;
	const char *out;
} replace_vec[] = {
	{ "Digest username=\"a\", integrity-protected=\"yes\", nonce=\"\"",
	  "integrity-protected", "ip-assoc-pending", 0,
	  "Digest username=\"a\", nonce=\"\", "
	  "integrity-protected=\"ip-assoc-pending\"" },
	{ "Digest realm=\"r\",nonce=\"n\", ck=00112233, ik=\"44\"", "ck", NULL,
	  0, "Digest realm=\"r\", nonce=\"n\", ik=\"44\"" },
	{ "Digest", "x", "1", 0, "Digest x=\"1\"" },
	{ "Digest a=\"", "x", "1", -EBADMSG, "" },
};

START_TEST(test_param_replace)
{
	__typeof__(replace_vec[0]) *v = &replace_vec[_i];
	struct sv val = v->val ? S(v->val) : SV_NULL;
	struct buf b;

	buf_init(&b);
	ck_assert_int_eq(digest_param_replace(&b, S(v->in), v->name, val),
			 v->err);
	ck_assert_str_eq(b.len ? b.data : "", v->out);
	buf_close(&b);
}
END_TEST

START_TEST(test_alg_names)
{
	enum digest_alg a;

	ck_assert_int_eq(digest_alg_parse(&a, S("sha-256-SESS")), 0);
	ck_assert_int_eq(a, DIGEST_ALG_SHA256_SESS);
	ck_assert_int_eq(digest_alg_parse(&a, S("")), 0);
	ck_assert_int_eq(a, DIGEST_ALG_MD5);
	ck_assert_int_eq(digest_alg_parse(&a, S("SHA-512-256")), -ENOTSUP);
	ck_assert_int_eq(a, DIGEST_ALG_UNKNOWN);
	ck_assert_str_eq(digest_alg_name(DIGEST_ALG_SHA256), "SHA-256");
	ck_assert_str_eq(digest_alg_name(DIGEST_ALG_UNKNOWN), "unknown");
	ck_assert_uint_eq(digest_alg_hexlen(DIGEST_ALG_MD5_SESS), 32);
	ck_assert_uint_eq(digest_alg_hexlen(DIGEST_ALG_SHA256), 64);
	ck_assert_str_eq(digest_qop_name(DIGEST_QOP_AUTH_INT), "auth-int");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("digest");
	SRunner *sr;
	int failed;

#define LOOP(t, v) tcase_add_loop_test(tc, t, 0, (int)ARRAY_SIZE(v))
	LOOP(test_resp_calc, calc_vec);
	tcase_add_test(tc, test_calc_errors);
	LOOP(test_cred_parse, cred_vec);
	LOOP(test_chal_parse, chal_vec);
	LOOP(test_scheme_bearer, scheme_vec);
	LOOP(test_verify, verify_vec);
	tcase_add_test(tc, test_verify_policy);
	tcase_add_test(tc, test_chal_print);
	LOOP(test_chal_select, select_vec);
	LOOP(test_auth_print_rfc7616, r7_vec);
	tcase_add_test(tc, test_auth_print_misc);
	LOOP(test_param_replace, replace_vec);
	tcase_add_test(tc, test_alg_names);
#undef LOOP
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
