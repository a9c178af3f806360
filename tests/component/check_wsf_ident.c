/* check_wsf_ident.c - security checks at the wsf (issue 9): it never
 * registers an identity its token did not grant, a client cannot assert
 * integrity-protected itself, a token is bound to its issuer's Origin, and
 * a token copied out of a (redacted) trace does not work. The wsf runs
 * in-process with the mock WWS and mock P-CSCF of wsf_token_env.c; every
 * refusal is checked with nothing reaching the P-CSCF. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"
#include "wsf_token_env.h"

static const char *const intro[] = { "token_check=introspect", NULL };
static const char *const local[] = { "token_check=local", NULL };

/* A REGISTER with its own From and To (cli_register has From = To). */
static void reg_send(struct env *e, const char *from, const char *to,
		     unsigned cseq, const char *auth)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b,
		   "REGISTER sip:" DOMAIN " SIP/2.0\r\n"
		   "Via: SIP/2.0/%s x.invalid;branch=z9hG4bKi%u;rport\r\n"
		   "Max-Forwards: 70\r\nTo: <sip:%s>\r\n"
		   "From: <sip:%s>;tag=i1\r\nCall-ID: ident-1\r\n"
		   "CSeq: %u REGISTER\r\n"
		   "Contact: <sip:k3v9@x.invalid;transport=ws>;expires=600\r\n"
		   "%sContent-Length: 0\r\n\r\n",
		   e->secure ? "WSS" : "WS", ++e->branch, to, from, cseq,
		   auth ? auth : "");
	ck_assert_int_eq(ws_conn_send(e->c, WS_OP_TEXT, b.data, b.len), 0);
	buf_close(&b);
}

static void refused(struct env *e, int status, const char *why)
{
	const struct sip_msg *m = cli_recv(e);

	ck_assert_int_eq(m->status, status);
	ck_assert_msg(strstr(e->buf, why), "got: %s", e->buf);
	ck_assert_int_lt(mock_poll(e, 150), 0); /* nothing to IMS */
}

/* The token names alice: a REGISTER whose From or To is bob is refused,
 * for both check modes. */
START_TEST(test_from_to)
{
	struct env *e = env_new(_i & 1 ? local : intro, true);
	char *jwt = token_make(e, T_GOOD, true);
	char *auth = bearer(jwt, false);

	cli_open(e, true);
	if (_i & 1)
		WAIT(e, e->n_jwks == 1);
	if (_i < 2)
		reg_send(e, BOB, ALICE, 1, auth); /* From bob */
	else
		reg_send(e, ALICE, BOB, 1, auth); /* To bob */
	refused(e, 403, "token not valid for this IMPU");
	free(auth);
	free(jwt);
	env_free(e);
}
END_TEST

/* Over a WebSocket already registered with alice's token: a second
 * REGISTER for bob (with her token, or with a self-made auth-done Digest)
 * never registers bob without a challenge. */
START_TEST(test_second_impu)
{
	struct env *e = env_new(intro, true);
	char *jwt = token_make(e, T_GOOD, false);
	char *auth = bearer(jwt, false);

	cli_open(e, true);
	cli_register(e, ALICE, 1, auth, 600);
	mock_recv(e);
	check_tna(e, ALICE);
	mock_reply(e, 200);
	ck_assert_int_eq(cli_recv(e)->status, 200);
	reg_send(e, BOB, BOB, 2, auth);
	refused(e, 403, "token not valid for this IMPU");
	/* A Digest REGISTER is the IMS-credential flow: it goes on, but the
	 * client's integrity-protected does not (the P-CSCF trusts the wsf,
	 * so this would otherwise skip the S-CSCF's challenge). */
	reg_send(e, BOB, BOB, 3,
		 "Authorization: Digest username=\"" BOB "\", realm=\"" DOMAIN
		 "\", uri=\"sip:" DOMAIN "\", nonce=\"\", response=\"\", "
		 "integrity-protected=\"auth-done\"\r\n");
	mock_recv(e);
	ck_assert_ptr_null(strstr(e->mbuf, "auth-done"));
	ck_assert_ptr_null(strstr(e->mbuf, "integrity-protected"));
	ck_assert_ptr_nonnull(strstr(e->mbuf, "username=\"" BOB "\""));
	ck_assert_uint_eq(e->n_introspect, 2); /* each Bearer REGISTER */
	free(auth);
	free(jwt);
	env_free(e);
}
END_TEST

/* token_origin (default true): the token's issuer is the mock WWS, the
 * WebSocket's Origin another page: 403 before any introspection. */
START_TEST(test_origin_bound)
{
	static const char *const on[] = { "token_check=introspect",
					  "token_origin=true", NULL };
	struct env *e = env_new(on, true);
	char *jwt = token_make(e, T_GOOD, false);
	char *auth = bearer(jwt, false);

	cli_open(e, true);
	cli_register(e, ALICE, 1, auth, 600);
	refused(e, 403, "token presented from another Origin");
	ck_assert_uint_eq(e->n_introspect, 0);
	free(auth);
	free(jwt);
	env_free(e);
}
END_TEST

/* A token as a trace shows it (redacted signature): refused, both ways. */
START_TEST(test_token_from_trace)
{
	struct env *e = env_new(_i ? local : intro, true);
	char *jwt = token_make(e, T_GOOD, true);
	char *auth = bearer(jwt, false);

	trace_redact("sip", auth, strlen(auth));
	ck_assert_ptr_null(strstr(auth, jwt));
	cli_open(e, true);
	if (_i)
		WAIT(e, e->n_jwks == 1);
	cli_register(e, ALICE, 1, auth, 600);
	refused(e, 401, "error=\"invalid_token\"");
	free(auth);
	free(jwt);
	env_free(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wsf_ident");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_from_to, 0, 4);
	tcase_add_test(tc, test_second_impu);
	tcase_add_test(tc, test_origin_bound);
	tcase_add_loop_test(tc, test_token_from_trace, 0, 2);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
