/* wsf_token_env.h - the environment of check_wsf_token.c: the wsf
 * in-process, a mock WWS (TLS; /introspect with HTTP Basic, the JWK Set of
 * signers made here), a mock P-CSCF (raw UDP) and a lib/ws client, plus
 * the tokens, good and forged. Test code only. */
#ifndef IMSTB_WSF_TOKEN_ENV_H
#define IMSTB_WSF_TOKEN_ENV_H

#include <check.h>
#include <sys/types.h>

#include "../../wsf/wsf.h"
#include "sip/sip.h"
#include "ws/ws.h"

#define DOMAIN "ims.example.com"
#define ALICE "alice@" DOMAIN
#define BOB "bob@" DOMAIN
#define ORIGIN "https://127.0.0.1:8443"
#define BASIC "Basic d3NmOndzZi1zZWNyZXQ=" /* wsf:wsf-secret */
#define MAXQ 8

enum { F_CERT, F_KEY, F_WCERT, F_WKEY, F_SIGN, F_SIGN2, F_SIGN3, F_TRACE,
       F_N };

struct env {
	uv_loop_t loop;
	struct wsf_conf conf;
	struct wsf *w;
	struct trace trace;
	struct rng rng;
	struct tls_ctx *ctls, *stls;
	char dir[64], path[F_N][96], iss[96];
	/* the mock WWS */
	struct http_server *wws;
	struct token_signer *sg[3]; /* sg[0] signs, [1] rotation, [2] unknown */
	unsigned jwks_key;	    /* which signer's key the JWK Set shows */
	unsigned n_introspect, n_jwks, n_unauth;
	/* the mock P-CSCF */
	int mk;
	char mbuf[8192];
	struct sip_msg mm;
	/* the client */
	struct ws_conn *c;
	bool secure, closed;
	char *q[MAXQ];
	size_t qlen[MAXQ];
	unsigned nq, rd, branch;
	char buf[8192];
	struct sip_msg m;
};

enum kind {
	T_GOOD,	    /* alice, for us */
	T_OTHER,    /* bob's token, To alice */
	T_EXPIRED,  /* exp an hour ago */
	T_NBF,	    /* nbf in an hour */
	T_AUD,	    /* aud "other" */
	T_ISS,	    /* iss not trusted */
	T_BADSIG,   /* one signature byte changed */
	T_NONE,	    /* alg none, no signature */
	T_HSPUB,    /* HS256 keyed with the public key PEM */
	T_TRUNC,    /* the last 10 characters cut */
	T_REVOKED,  /* jti the WWS calls inactive */
	T_NOIMS,    /* mallory: no IMS identity anywhere */
	T_NOTE2,    /* sub bob, claims impu/impi alice */
	T_ROTATED,  /* signed by sg[1] */
	T_UNKNOWN,  /* signed by sg[2], never published */
};

#define WAIT(e, cond)                                                          \
	do {                                                                   \
		uint64_t end_ = ms_now() + 5000;                               \
		bool ok_;                                                      \
		while (!(ok_ = (cond)) && ms_now() < end_)                     \
			spin(e, 1);                                            \
		ck_assert_msg(ok_, "timed out waiting for " #cond);            \
	} while (0)

uint64_t ms_now(void);
/* Runs the loop for ms. */
void spin(struct env *e, unsigned ms);
/* The mock WWS (up, or its port closed), the mock P-CSCF, then the wsf
 * with these settings over the defaults of the test. */
struct env *env_new(const char *const *overrides, bool wws_up);
/* Closes everything; the loop must close clean. */
void env_free(struct env *e);

void cli_open(struct env *e, bool secure);
/* REGISTER for To <sip:to> with auth (a whole header line, or NULL). */
void cli_register(struct env *e, const char *to, unsigned cseq,
		  const char *auth, unsigned expires);
/* The next SIP message the client got (bounded wait), parsed into e->m
 * (text in e->buf). */
const struct sip_msg *cli_recv(struct env *e);

/* What the mock P-CSCF got within ms: bytes, or -1. */
ssize_t mock_poll(struct env *e, unsigned ms);
/* The next message (5 s at most), parsed into e->mm. */
const struct sip_msg *mock_recv(struct env *e);
/* Answers e->mm. */
void mock_reply(struct env *e, int status);
/* e->mm is the REGISTER rewritten for TNA for impi. */
void check_tna(struct env *e, const char *impi);

/* A token of that kind (heap); claims: with impu/impi (NOTE 2). */
char *token_make(struct env *e, enum kind k, bool claims);
/* "Authorization: Bearer <jwt>" or TS 24.371's access_token="<jwt>". */
char *bearer(const char *jwt, bool ts24371);
/* A socket that listens and never accepts; kv gets its trusted_wws=. */
int hole_open(char *kv, size_t n);

#endif
