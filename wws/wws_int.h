/* wws_int.h - what the parts of wws share (not for other programs). */
#ifndef IMSTB_WWS_INT_H
#define IMSTB_WWS_INT_H

#include "http/http.h"
#include "token/token.h"
#include "wws.h"

#define WWS_ID_MAX	 256 /* web id, IMPU, IMPI, with the NUL */
#define WWS_PASSWORD_MAX 1024
#define WWS_SALT_LEN	 16
#define WWS_HASH_LEN	 32 /* PBKDF2-HMAC-SHA256 output */
#define WWS_BUSY_MS	 500

/* ---- static files (generated from wws/www/ by wws/www/embed.sh) ------- */

struct wws_asset {
	const char *path; /* "/", "/app.js" */
	const char *ctype;
	const unsigned char *data;
	size_t len;
};

extern const struct wws_asset wws_assets[];
extern const size_t wws_nassets;

/* ---- users and issued tokens (users.c, SQLite) --------------------------- */

struct wws_users;

struct wws_user {
	char webid[WWS_ID_MAX];
	char impu[WWS_ID_MAX];
	char impi[WWS_ID_MAX];
	unsigned char salt[WWS_SALT_LEN];
	unsigned char hash[WWS_HASH_LEN];
	long iterations; /* those of its hash: the config may change later */
};

/* Opens or creates the database (WAL, busy timeout WWS_BUSY_MS). *created
 * says whether the file is new. -EIO with err filled. */
int wws_users_open(struct wws_users **out, const char *path, bool *created,
		   char *err, size_t errlen);
void wws_users_close(struct wws_users *u); /* NULL is accepted */
/* Hashes password with a fresh random salt. -EEXIST, -EINVAL (malformed
 * web id, IMPU, IMPI or password: see wws_user_check), -EIO. */
int wws_users_add(struct wws_users *u, const char *webid, const char *password,
		  const char *impu, const char *impi, long iterations);
/* Load-test users first..first+count-1 (`wws user bulk`): web id
 * <prefix>NNNNN@<domain>, password pass-NNNNN, IMPU
 * sip:<prefix>NNNNN@<ims_domain>, IMPI <prefix>NNNNN@<ims_domain> (the
 * identities of `hss-sim bulk`), in one transaction: all or none.
 * -EEXIST, -EINVAL, -EIO as wws_users_add. */
struct wws_bulk {
	unsigned first, count;
	const char *prefix, *domain, *ims_domain;
	long iterations;
};
int wws_users_bulk(struct wws_users *u, const struct wws_bulk *b);
/* Indexed lookup (web ids compare case-insensitively). -ENOENT, -EIO. */
int wws_users_get(struct wws_users *u, const char *webid, struct wws_user *out);
int wws_users_remove(struct wws_users *u, const char *webid);
typedef int(wws_user_cb)(const struct wws_user *usr, void *arg);
int wws_users_list(struct wws_users *u, wws_user_cb *cb, void *arg);
/* Remembers an issued token (and forgets those long expired). */
int wws_users_token_add(struct wws_users *u, const char *jti, const char *webid,
			int64_t iat, int64_t exp);
/* The web id a jti was issued to: -ENOENT unknown or revoked. */
int wws_users_token_find(struct wws_users *u, const char *jti,
			 char webid[WWS_ID_MAX]);
int wws_users_token_revoke(struct wws_users *u, const char *jti);

/* [range] The IMPU of the block a web user holds (block: the wildcard
 * text it was taken from; idx: its index there, -1 if not enumerable).
 * -ENOENT none, -EIO. */
int wws_users_impu_get(struct wws_users *u, const char *webid,
		       char impu[WWS_ID_MAX], char block[WWS_ID_MAX],
		       int64_t *idx);
/* The lowest index of block no web user holds (may be past its end). */
int wws_users_impu_free(struct wws_users *u, const char *block, int64_t *idx);
/* -EEXIST: impu already held, or webid already holds one. */
int wws_users_impu_add(struct wws_users *u, const char *impu,
		       const char *webid, const char *block, int64_t idx,
		       int64_t now);
int wws_users_impu_del(struct wws_users *u, const char *webid);
typedef int(wws_impu_cb)(const char *impu, const char *webid, void *arg);
int wws_users_impu_list(struct wws_users *u, wws_impu_cb *cb, void *arg);

/* Why a (webid, password, impu, impi) cannot be provisioned; NULL if it
 * can. ims_domain: a web id there would read as an IMS identity. */
const char *wws_user_check(const char *webid, const char *password,
			   const char *impu, const char *impi,
			   const char *ims_domain);
/* PBKDF2-HMAC-SHA256 (RFC 8018 §5.2). Slow on purpose: call it off the
 * loop (uv_queue_work). */
void wws_pw_hash(const char *password, size_t len, const unsigned char *salt,
		 long iterations, unsigned char out[WWS_HASH_LEN]);

/* ---- identities (routes.c) ------------------------------------------------
 */

enum wws_id_kind {
	WWS_ID_WEB = 0, /* one of ours, maybe */
	WWS_ID_IMPU,	/* sip:, sips:, tel: URI */
	WWS_ID_IMPI,	/* user@<ims_domain> */
};

/* Sorts a login id. For IMS identities impu/impi get what can be derived
 * (impu: the normalized URI or sip:<IMPI>; impi: <user>@<host> of a SIP
 * URI of ims_domain, or the IMPI itself), else stay empty. -EBADMSG for a
 * malformed IMS identity. */
int wws_id_classify(const char *id, const char *ims_domain,
		    enum wws_id_kind *kind, struct buf *impu, struct buf *impi);

/* ---- the server ------------------------------------------------------------
 */

struct wws_client {   /* an introspection client (RFC 7662 §2.1) */
	char *id;     /* owned */
	char *secret; /* owned */
};

struct wws_login; /* a login waiting for its PBKDF2 (routes.c) */
struct wws_range; /* the block's registration (range.c) */
struct ims_wildcard;

struct wws {
	const struct wws_conf *conf; /* borrowed */
	uv_loop_t *loop;	     /* borrowed */
	struct trace *trace;	     /* borrowed */
	struct rng *rng;	     /* borrowed */
	struct tls_ctx *tls;
	struct http_server *srv;
	struct wws_users *users;
	struct token_signer *signer;
	struct token_verifier *verifier; /* the signer's own key */
	struct buf jwks;		 /* the JWK Set text */
	struct buf config;		 /* /config.json */
	struct wws_client *clients;
	size_t nclients;
	struct wws_login *logins; /* in flight */
	struct ims_wildcard *block; /* owned; enterprise mode only */
	struct wws_range *range;    /* owned; register_range only; stays
				       until its de-registration is done */
	int64_t skew_s;		  /* added to the clock (tests) */
	bool closing;
};

/* Wall-clock seconds (+ skew_s) for iat, exp and their checks. */
int64_t wws__now(const struct wws *w);

/* Opens the configured database; a new one gets the demo user when
 * provision_demo is set (wws.c; the server and the commands share it). */
int wws__users_setup(const struct wws_conf *c, struct wws_users **out,
		     char *err, size_t errlen);

/* The request handler (routes.c). */
void wws__handle(struct http_conn *c, const struct http_req *req, void *arg);
/* Cancels the logins in flight; true when none is left (wws.c frees w
 * then, else the last one does through wws__maybe_free). */
bool wws__logins_cancel(struct wws *w);
void wws__maybe_free(struct wws *w);

/* token.c: the token half of a login, and introspection. */
void wws__login_ok(struct wws *w, struct http_conn *c,
		   const struct wws_user *usr);
void wws__introspect(struct wws *w, struct http_conn *c,
		     const struct http_req *req);
/* POST /logout with the token as Bearer: its jti is revoked. */
void wws__logout(struct wws *w, struct http_conn *c,
		 const struct http_req *req);

/* ---- [range] ------------------------------------------------------------
 * block.c: the block's IMPUs for web users, /range.json. */

/* Enterprise mode: compiles impu_range into w->block and, with
 * register_range, starts the registration. Else nothing. */
int wws__block_setup(struct wws *w, char *err, size_t errlen);
/* Gives usr the IMPU of the block it holds, or assigns one (see wws.h),
 * and impi = range_impi. -ENOSPC the block is full, -ENOTSUP it cannot be
 * enumerated (and usr is not provisioned with a member of it), -EIO. */
int wws__block_assign(struct wws *w, struct wws_user *usr);
/* Only looks it up (introspection): -ENOENT when usr holds none. */
int wws__block_lookup(struct wws *w, struct wws_user *usr);
/* GET /range.json */
void wws__block_json(struct wws *w, struct http_conn *c);

/* range.c: the GIN registration client. */
int wws__range_start(struct wws *w, char *err, size_t errlen);
/* De-registers (bounded wait), then frees itself: w->range becomes NULL
 * and wws__maybe_free(w) runs. */
void wws__range_stop(struct wws *w);
/* "registered", "failed" or "pending"; the last SIP status (0: none);
 * the granted expires (0 unless registered). */
const char *wws__range_state(const struct wws *w, int *status,
			     long *expires);

/* A JSON error answer with extra headers (NULL: none). */
void wws__error(struct http_conn *c, int status, const char *error,
		const char *desc, const char *extra);

#endif
