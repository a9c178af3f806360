/* check_wsf_token.c - the wsf's token checks (TR 23.701 Figure
 * 6.X.2.1.2.1-1 steps 5-9) in-process on 127.0.0.1, OS-chosen ports. A
 * mock WWS (lib/http over TLS, self-signed) serves RFC 7662 /introspect
 * (HTTP Basic required) and the JWK Set of a lib/token signer made here; a
 * raw UDP socket is the mock P-CSCF; the client is a lib/ws WebSocket.
 * Every refusal is checked with nothing reaching the P-CSCF. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/http.h"
#include "wsf_token_env.h"

enum mode { INTRO, LOCAL, NOTE2 };
static const char *const modes[][3] = {
	{ "token_check=introspect", NULL },
	{ "token_check=local", NULL },
	{ "token_check=introspect", "ims_from_claims=true", NULL },
};

#define INVALID "error=\"invalid_token\""
static const struct {
	enum mode mode;
	enum kind kind;
	bool claims;   /* the token carries impu/impi */
	int status;    /* 200: forwarded as TNA, P-CSCF answers 200 */
	const char *expect; /* in the answer: reason or header text */
	unsigned introspections;
} vec[] = {
	{ INTRO, T_GOOD, false, 200, "OK", 1 },
	{ LOCAL, T_GOOD, true, 200, "OK", 0 },
	{ NOTE2, T_GOOD, true, 200, "OK", 1 },
	{ NOTE2, T_NOTE2, true, 200, "OK", 1 },	/* claims, not lookup */
	{ INTRO, T_NOTE2, true, 403, "token not valid for this IMPU", 1 },
	{ INTRO, T_OTHER, false, 403, "token not valid for this IMPU", 1 },
	{ LOCAL, T_OTHER, true, 403, "token not valid for this IMPU", 0 },
	{ INTRO, T_EXPIRED, false, 401, "token not active", 1 },
	{ LOCAL, T_EXPIRED, true, 401, "\"expired\"", 0 },
	{ INTRO, T_NBF, false, 401, INVALID, 1 },
	{ LOCAL, T_NBF, true, 401, "not yet valid", 0 },
	{ INTRO, T_AUD, false, 401, "wrong audience", 1 },
	{ LOCAL, T_AUD, true, 401, "wrong audience", 0 },
	{ INTRO, T_ISS, false, 403, "Unknown token issuer", 0 },
	{ LOCAL, T_ISS, true, 403, "Unknown token issuer", 0 },
	{ INTRO, T_BADSIG, false, 401, INVALID, 1 },
	{ LOCAL, T_BADSIG, true, 401, "bad signature", 0 },
	{ INTRO, T_NONE, false, 401, INVALID, 1 },
	{ LOCAL, T_NONE, true, 401, "alg none refused", 0 },
	{ INTRO, T_HSPUB, false, 401, INVALID, 1 },
	{ LOCAL, T_HSPUB, true, 401, INVALID, 0 },
	{ INTRO, T_TRUNC, false, 401, INVALID, 1 },
	{ LOCAL, T_TRUNC, true, 401, INVALID, 0 },
	{ INTRO, T_REVOKED, false, 401, "token not active", 1 },
	{ INTRO, T_NOIMS, false, 403, "token carries no IMS identity", 1 },
	{ LOCAL, T_GOOD, false, 403, "token carries no IMS identity", 0 },
	{ NOTE2, T_GOOD, false, 403, "token carries no IMS identity", 1 },
};

START_TEST(test_token)
{
	struct env *e = env_new(modes[vec[_i].mode], true);
	char *jwt = token_make(e, vec[_i].kind, vec[_i].claims);
	char *auth = bearer(jwt, _i % 2);
	const struct sip_msg *m;

	cli_open(e, _i % 3 != 2);
	if (vec[_i].mode == LOCAL)
		WAIT(e, e->n_jwks == 1);
	cli_register(e, ALICE, 1, auth, 600);
	if (vec[_i].status == 200) {
		mock_recv(e);
		check_tna(e, ALICE);
		mock_reply(e, 200);
	}
	m = cli_recv(e);
	ck_assert_int_eq(m->status, vec[_i].status);
	ck_assert_msg(strstr(e->buf, vec[_i].expect), "got: %s", e->buf);
	if (vec[_i].status == 401) /* RFC 6750 §3, RFC 8898 */
		ck_assert_ptr_nonnull(strstr(e->buf, "\r\nWWW-Authenticate: "
					     "Bearer realm=\"" DOMAIN "\", "
					     INVALID));
	if (vec[_i].status != 200) { /* to-tag of the wsf's own answer */
		ck_assert_uint_gt(m->to_tag.len, 0);
		ck_assert_int_lt(mock_poll(e, 150), 0); /* nothing to IMS */
	}
	ck_assert_uint_eq(e->n_introspect, vec[_i].introspections);
	ck_assert_uint_eq(e->n_unauth, 0);
	/* local: the JWK Set, fetched once at start, served from cache */
	ck_assert_uint_eq(e->n_jwks, vec[_i].mode == LOCAL);
	free(auth);
	free(jwt);
	env_free(e);
}
END_TEST

/* Steps 6-7 and 8-9 in the trace; re-REGISTER with a fresh token and
 * de-registration checked again each time. */
START_TEST(test_refresh)
{
	struct env *e = env_new(modes[INTRO], true);
	char *auth;
	char *jwt;
	FILE *f;
	char line[16384];
	bool intro = false, tna = false;

	cli_open(e, true);
	for (unsigned i = 0; i < 3; i++) {
		jwt = token_make(e, i == 2 ? T_EXPIRED : T_GOOD, false);
		auth = bearer(jwt, false);
		cli_register(e, ALICE, i + 1, auth, i == 1 ? 0 : 600);
		if (i < 2) {
			mock_recv(e);
			check_tna(e, ALICE);
			ck_assert(i == 0 || strstr(e->mbuf, ";expires=0\r\n"));
			mock_reply(e, 200);
		}
		ck_assert_int_eq(cli_recv(e)->status, i < 2 ? 200 : 401);
		ck_assert_uint_eq(e->n_introspect, i + 1);
		free(auth);
		free(jwt);
	}
	ck_assert_int_lt(mock_poll(e, 100), 0);
	f = fopen(e->path[F_TRACE], "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		intro |= strstr(line, "\"send\",\"proto\":\"http\"") &&
			 strstr(line, "POST /introspect HTTP/1.1");
		tna |= strstr(line, "\"sip\",\"transport\":\"udp\"") &&
		       strstr(line, "REGISTER sip:");
	}
	fclose(f);
	ck_assert(intro && tna);
	env_free(e);
}
END_TEST

/* The WWS cannot answer: down (connection refused), a black hole (never
 * answers: introspect_timeout_ms), or it refuses our client credentials:
 * 503 with Retry-After, nothing to IMS. local with no JWK Set: the same. */
static const struct {
	const char *conf[4];
	bool up, hole;
} down_vec[] = {
	{ { "token_check=introspect", NULL }, false, false },
	{ { "token_check=introspect", "introspect_timeout_ms=300", NULL },
	  false, true },
	{ { "introspect_client=wsf:wrong", NULL }, true, false },
	{ { "token_check=local", NULL }, false, false },
};

START_TEST(test_wws_down)
{
	struct env *e;
	const char *cf[6] = { NULL };
	char tw[96], *jwt, *auth;
	uint64_t t0;
	int hole = -1;

	memcpy(cf, down_vec[_i].conf, sizeof(down_vec[_i].conf));
	if (down_vec[_i].hole) {
		hole = hole_open(tw, sizeof(tw));
		cf[2] = tw;
	}
	e = env_new(cf, down_vec[_i].up);
	if (down_vec[_i].hole) /* the token names the black hole */
		snprintf(e->iss, sizeof(e->iss), "%s", tw + 12);
	jwt = token_make(e, T_GOOD, true);
	auth = bearer(jwt, false);
	cli_open(e, true);
	t0 = ms_now();
	cli_register(e, ALICE, 1, auth, 600);
	ck_assert_int_eq(cli_recv(e)->status, 503);
	ck_assert_ptr_nonnull(strstr(e->buf, "\r\nRetry-After: 5\r\n"));
	if (down_vec[_i].hole)
		ck_assert_uint_ge(ms_now() - t0, 250);
	ck_assert_int_lt(mock_poll(e, 100), 0);
	ck_assert_uint_eq(e->n_unauth, down_vec[_i].up);
	free(auth);
	free(jwt);
	env_free(e);
	if (hole >= 0)
		close(hole);
}
END_TEST

/* local: an unknown kid fetches the JWK Set again (key rotation), but
 * not again right after a fetch (forged kids). */
START_TEST(test_rotation)
{
	struct env *e = env_new(modes[LOCAL], true);
	char *jwt, *auth;

	cli_open(e, true);
	WAIT(e, e->n_jwks == 1);
	spin(e, 1100);
	e->jwks_key = 1; /* the WWS rolls its key */
	jwt = token_make(e, T_ROTATED, true);
	auth = bearer(jwt, false);
	cli_register(e, ALICE, 1, auth, 600);
	mock_recv(e);
	check_tna(e, ALICE);
	mock_reply(e, 200);
	ck_assert_int_eq(cli_recv(e)->status, 200);
	ck_assert_uint_eq(e->n_jwks, 2);
	free(auth);
	free(jwt);
	jwt = token_make(e, T_UNKNOWN, true);
	auth = bearer(jwt, false);
	cli_register(e, ALICE, 2, auth, 600);
	ck_assert_int_eq(cli_recv(e)->status, 401);
	ck_assert_ptr_nonnull(strstr(e->buf, "unknown kid"));
	ck_assert_uint_eq(e->n_jwks, 2);
	free(auth);
	free(jwt);
	env_free(e);
}
END_TEST

/* token_check=off: the Bearer REGISTER goes to IMS untouched; a Digest
 * REGISTER is never a token check; "Bearer" alone: 400. */
START_TEST(test_other_flows)
{
	static const char *const off[] = { "token_check=off", NULL };
	struct env *e = env_new(_i == 0 ? off : NULL, true);
	char *jwt = token_make(e, T_GOOD, true);
	char *auth = bearer(jwt, false);

	cli_open(e, true);
	if (_i == 2) {
		cli_register(e, ALICE, 1, "Authorization: Bearer\r\n", 600);
		ck_assert_int_eq(cli_recv(e)->status, 400);
		ck_assert_int_lt(mock_poll(e, 100), 0);
		goto out;
	}
	cli_register(e, ALICE, 1,
		     _i == 0 ? auth
			     : "Authorization: Digest username=\"" ALICE
			       "\", realm=\"" DOMAIN "\", uri=\"sip:" DOMAIN
			       "\", nonce=\"\", response=\"\"\r\n",
		     600);
	mock_recv(e);
	ck_assert_ptr_nonnull(strstr(e->mbuf, _i == 0 ? auth : "nonce=\"\""));
	ck_assert_ptr_null(strstr(e->mbuf, "auth-done"));
out:
	ck_assert_uint_eq(e->n_introspect, 0);
	free(auth);
	free(jwt);
	env_free(e);
}
END_TEST

/* wsf_close with an introspection in flight: the loop closes clean. */
START_TEST(test_close_pending)
{
	static char tw[96];
	const char *cf[] = { "token_check=introspect", tw, NULL };
	int hole = hole_open(tw, sizeof(tw));
	struct env *e = env_new(cf, true);
	char *jwt, *auth;

	snprintf(e->iss, sizeof(e->iss), "%s", tw + 12);
	jwt = token_make(e, T_GOOD, false);
	auth = bearer(jwt, false);
	cli_open(e, true);
	cli_register(e, ALICE, 1, auth, 600);
	spin(e, 50);
	ck_assert_uint_eq(e->nq, 0);
	wsf_close(e->w);
	e->w = NULL;
	free(auth);
	free(jwt);
	env_free(e);
	close(hole);
}
END_TEST

/* Config: trusted_wws URLs (numeric hosts only), introspect_client. */
static const struct {
	const char *kv;
	bool ok;
} conf_vec[] = {
	{ "trusted_wws=https://127.0.0.1:8443/,http://[::1]:80/wws/", true },
	{ "trusted_wws=https://127.0.0.1", true },
	{ "trusted_wws=https://wws.example.com:8443", false },
	{ "trusted_wws=ftp://127.0.0.1", false },
	{ "trusted_wws=https://[::1:8443", false },
	{ "trusted_wws=https://127.0.0.1:0", false },
	{ "trusted_wws=https://127.0.0.1:84x3", false },
	{ "introspect_client=nocolon", false },
	{ "token_audience=", false },
};

START_TEST(test_conf)
{
	struct wsf_conf c = { 0 };
	char err[CONF_ERR_LEN];

	conf_defaults(wsf_conf_keys, &c);
	ck_assert_int_eq(conf_set(wsf_conf_keys, &c, conf_vec[_i].kv, err), 0);
	ck_assert_int_eq(wsf_conf_check(&c, err, sizeof(err)) == 0,
			 conf_vec[_i].ok);
	if (!conf_vec[_i].ok)
		ck_assert_msg(!strncmp(err, conf_vec[_i].kv,
				       strcspn(conf_vec[_i].kv, "=")),
			      "%s", err);
	conf_free(wsf_conf_keys, &c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wsf_token");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_token, 0, (int)ARRAY_SIZE(vec));
	tcase_add_test(tc, test_refresh);
	tcase_add_loop_test(tc, test_wws_down, 0, (int)ARRAY_SIZE(down_vec));
	tcase_add_test(tc, test_rotation);
	tcase_add_loop_test(tc, test_other_flows, 0, 3);
	tcase_add_test(tc, test_close_pending);
	tcase_add_loop_test(tc, test_conf, 0, (int)ARRAY_SIZE(conf_vec));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
