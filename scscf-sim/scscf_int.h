/*
 * scscf_int.h - what the files of scscf-sim share (not a public contract):
 *   scscf.c  lifecycle, config, SIP entry point, responses
 *   auth.c   Digest credentials, auth vectors, MAR/MAA
 *   reg.c    registrations and bindings, SAR/SAA, expiry
 *   store.c  SQLite write-through and load
 */
#ifndef IMSTB_SCSCF_INT_H
#define IMSTB_SCSCF_INT_H

#include "base/hmap.h"
#include "diam/diam_peer.h"
#include "digest/digest.h"
#include "scscf.h"
#include "sipt/sipt.h"

#define SCSCF_MAX_ALGS 4

/* One Contact bound to a registration (RFC 3261 §10.3 step 7). */
struct scscf_binding {
	char *contact;  /* owned; the Contact URI, as received */
	char *instance; /* owned or NULL; +sip.instance, unquoted (RFC 5626) */
	char *reg_id;   /* owned or NULL */
	char *path;     /* owned; the REGISTER's Path values joined ", " */
	char *call_id;  /* owned */
	uint32_t cseq;
	int64_t expires_at; /* epoch seconds */
};

/* A member of an implicit registration set, indexed by IMPU. */
struct scscf_member {
	struct hmap_node node; /* key: reg->set[i] */
	struct scscf_reg *reg; /* borrowed */
};

/* One registration: the IMPU registered (To), the IMPI that did it, the
 * implicit set from the SAA User-Data and the bindings. */
struct scscf_reg {
	struct scscf_reg *prev, *next; /* in scscf.regs */
	char *impu;      /* owned; normalized */
	char *impi;      /* owned */
	char *user_data; /* owned or NULL: the last SAA User-Data */
	char **set;      /* owned; P-Associated-URI order; contains impu */
	size_t nset;
	struct scscf_member *members; /* owned; one per set entry */
	struct scscf_binding *b;      /* owned array */
	size_t nb;
};

/* Digest HA1s of one IMPI from an MAA, kept for reg_await_auth_s. */
struct scscf_av {
	struct hmap_node node; /* key: impi */
	char *impi;            /* owned */
	char ha1_md5[DIGEST_HEX_MAX];    /* "" if the HSS gave none */
	char ha1_sha256[DIGEST_HEX_MAX];
	int64_t expires_at;
};

enum scscf_pend_kind {
	SCSCF_PEND_CHALLENGE = 0, /* MAR, then 401 */
	SCSCF_PEND_FETCH,         /* MAR, then verify the credentials */
	SCSCF_PEND_SAR,           /* SAR for a REGISTER, then 200 */
	SCSCF_PEND_AUTH_FAIL,     /* SAR AUTHENTICATION_FAILURE, then 403 */
	SCSCF_PEND_TIMEOUT,       /* SAR TIMEOUT_DEREGISTRATION, no SIP */
};

/* A Cx request in flight. The peer calls back exactly once; after
 * scscf_close the callback only frees it (s is NULL then). */
struct scscf_pend {
	struct scscf_pend *prev, *next; /* in scscf.pends */
	struct scscf *s;                /* borrowed; NULL once detached */
	enum scscf_pend_kind kind;
	struct sipt_strans *st; /* one reference, or NULL */
	char *impi, *impu;      /* owned */
	bool stale;             /* CHALLENGE: the old nonce was only stale */
	uint32_t sat;           /* SAR: Server-Assignment-Type sent */
};

struct scscf_store;

struct scscf {
	const struct scscf_conf *conf; /* borrowed */
	uv_loop_t *loop;               /* borrowed */
	struct trace *trace;           /* borrowed */
	struct rng *rng;               /* borrowed */
	struct sipt *sipt;
	struct diam_peer *peer;        /* Cx client */
	struct scscf_store *store;     /* owned; NULL: memory only */
	uv_timer_t expiry;
	char service_route[300];
	enum digest_alg algs[SCSCF_MAX_ALGS];
	size_t nalgs;
	struct digest_nonce_key nkey;
	struct digest_nctrack *nct; /* owned */
	struct hmap members;        /* struct scscf_member by IMPU */
	struct hmap avs;            /* struct scscf_av by IMPI */
	struct scscf_reg *regs;     /* list */
	size_t nregs;
	struct scscf_pend *pends;   /* list */
	bool closing;
};

/* ---- scscf.c ------------------------------------------------------------ */

int64_t scscf__now(void); /* epoch seconds */
/* Sends a response to st: To tag, extra headers (may be NULL), no body. */
void scscf__reply(struct scscf *s, struct sipt_strans *st, int status,
		  const char *reason, const char *extra);
/* The 200 OK to a REGISTER: bindings of r (NULL: none), Path echoed,
 * Service-Route and P-Associated-URI when r has bindings. */
void scscf__reply_ok(struct scscf *s, struct sipt_strans *st,
		     const struct scscf_reg *r);
/* The whole REGISTER handling from the start (also re-entered after an
 * MAA that fetched a vector: fetched = true). */
void scscf__register(struct scscf *s, struct sipt_strans *st, bool fetched);
/* RFC 6140: the REGISTER has "gin" in Require (then its To is a
 * wildcarded IMPU, checked by scscf__register). */
bool scscf__is_gin(const struct sip_msg *req);
/* Tracks a Cx request (takes a reference on st when not NULL). */
struct scscf_pend *scscf__pend_new(struct scscf *s, enum scscf_pend_kind k,
				   struct sipt_strans *st, const char *impi,
				   const char *impu);
/* Unlinks (when attached) and frees. */
void scscf__pend_free(struct scscf_pend *p);
/* SIP status and reason for a failed Cx exchange (status from the peer,
 * or an answer whose result is not success). */
int scscf__cx_status(int status, const struct diam_cx *cx,
		     const char **reason);

/* ---- auth.c ------------------------------------------------------------- */

/* Sends MAR for (impi, impu); kind CHALLENGE or FETCH. On a send failure
 * answers st itself. */
void scscf__mar_send(struct scscf *s, struct sipt_strans *st,
		     enum scscf_pend_kind kind, const char *impi,
		     const char *impu, bool stale);
/* Checks the REGISTER's credentials and goes on: challenge, fetch, SAR
 * AUTHENTICATION_FAILURE, or scscf__reg_authorized. A GIN REGISTER
 * (scscf__is_gin) authenticates its block like any IMPU: MAR with
 * Public-Identity = the wildcard text. */
void scscf__auth_check(struct scscf *s, struct sipt_strans *st,
		       const struct sip_msg *req, const char *impu,
		       bool fetched);
struct scscf_av *scscf__av_find(struct scscf *s, struct sv impi);
void scscf__av_free(struct scscf *s, struct scscf_av *av);
void scscf__av_expire(struct scscf *s, int64_t now);

/* ---- reg.c -------------------------------------------------------------- */

/* The registration of impu (normalized) made by impi, or NULL. */
struct scscf_reg *scscf__reg_find(struct scscf *s, struct sv impu,
				  struct sv impi);
/* The REGISTER is authenticated: plan the bindings, SAR, then 200. */
void scscf__reg_authorized(struct scscf *s, struct sipt_strans *st,
			   const struct sip_msg *req, const char *impi,
			   const char *impu);
/* Sends SAR with the given type; kind SAR, AUTH_FAIL or TIMEOUT. range:
 * impu is a wildcarded IMPU registered as a block (GIN), also sent as
 * Wildcarded-Public-Identity (TS 29.229 §6.3.35). -errno (the pend is
 * freed) if it cannot be sent. */
int scscf__sar_send(struct scscf *s, struct sipt_strans *st,
		    enum scscf_pend_kind kind, const char *impi,
		    const char *impu, uint32_t sat, uint32_t udaa, bool range);
/* A registration of a block (RFC 6140 GIN): it has a bnc binding. */
bool scscf__reg_is_range(const struct scscf_reg *r);
/* A registration with no bindings (from the store or a new one). */
struct scscf_reg *scscf__reg_new(struct scscf *s, const char *impu,
				 const char *impi);
/* Replaces the implicit set (entries copied) and re-indexes it. */
void scscf__reg_set_replace(struct scscf *s, struct scscf_reg *r,
			    char *const *set, size_t n);
void scscf__reg_free(struct scscf *s, struct scscf_reg *r);
void scscf__binding_close(struct scscf_binding *b);
void scscf__expiry_cb(uv_timer_t *t);

/* ---- store.c ------------------------------------------------------------ */

/* Opens (creating) the database and loads every registration into s.
 * -EIO on any SQLite failure (logged). */
int scscf__store_open(struct scscf *s, const char *path,
		      struct scscf_store **out);
void scscf__store_close(struct scscf_store *st);
/* One transaction: the registration row and all its bindings. */
int scscf__store_save(struct scscf_store *st, const struct scscf_reg *r);
int scscf__store_delete(struct scscf_store *st, const struct scscf_reg *r);
/* While the turn's changes are not committed yet: takes the reply's bytes
 * and sends them once they are (true); else false, send it now. */
bool scscf__store_defer(struct scscf_store *st, struct sipt_strans *t,
			struct buf *reply);

#endif
