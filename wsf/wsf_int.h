/*
 * wsf_int.h - what the files of wsf/ share (wsf.c: configuration, life
 * cycle, the HTTP side; flow.c: WebSocket connections as SIP flows and
 * their tokens; proxy.c: the SIP proxy and the challenge termination;
 * tokencheck.c: Bearer tokens checked with the WWS, and the TNA rewrite;
 * range.c: enterprise WWSs, their IMPU blocks and their web users).
 * Included only inside wsf/.
 */
#ifndef IMSTB_WSF_INT_H
#define IMSTB_WSF_INT_H

#include "base/hmap.h"
#include "base/ipcount.h"
#include "digest/digest.h"
#include "http/http.h"
#include "sipt/sipt.h"
#include "ws/ws.h"
#include "wsf.h"

#define WSF_ID_HEX    16 /* connection id: 8 bytes */
#define WSF_TOKEN_LEN 32 /* id hex + 8 bytes of HMAC in hex */
#define WSF_SECRET_MAX 64

struct wsf__fwd;
struct wsf__tokens;
struct wsf__range;

struct wsf {
	const struct wsf_conf *conf; /* borrowed */
	uv_loop_t *loop;	     /* borrowed */
	struct trace *trace;	     /* borrowed */
	struct rng *rng;	     /* borrowed */
	struct sipt *sipt;
	struct tls_ctx *tls;
	struct http_server *wss, *ws;
	struct sipt_dest pcscf;
	const char *pcscf_tp; /* "udp" or "tcp": Path ;transport= */
	char host[64];        /* listen, bracketed if IPv6 */
	uint16_t sip_port;
	unsigned char secret[WSF_SECRET_MAX];
	size_t secret_len;
	uint64_t next_id;
	struct hmap flows; /* struct wsf_flow by id (hex); borrowed */
	struct ipcount ws_ips; /* WebSockets per source IP */
	char *origins_buf;    /* owned: the split allowed_origins */
	const char **origins; /* owned array; NULL = any Origin */
	struct wsf__fwd *inflight; /* requests waiting for an answer */
	struct wsf__tokens *tok;   /* owned: tokencheck.c's state */
	struct wsf__range *range;  /* owned: range.c's state */
};

/* One Call-ID whose CSeqs the wsf shifts (challenge = terminate). */
struct wsf__cseq {
	struct wsf__cseq *next;
	char *call_id; /* owned */
	uint32_t off;
};

/* A WebSocket connection as a SIP flow (an obj). References: one from
 * creation until the WebSocket's close callback, one held by sipt while
 * linked, and any transaction's. */
struct wsf_flow {
	struct sipt_flow sf; /* first: sipt_flow_add requires it */
	struct hmap_node node;
	struct wsf *w;	     /* borrowed; NULL once detached */
	struct ws_conn *wc;  /* owned reference */
	bool secure;	     /* WSS */
	char id[WSF_ID_HEX + 1];
	char token[WSF_TOKEN_LEN + 1];
	char *impi, *password; /* owned; X-IMS-Credential (terminate) */
	bool cred_warned;      /* the security warning was logged */
	struct wsf__cseq *cseqs; /* owned list */
	unsigned ncseqs;
	char *origin;	     /* owned: Origin of the upgrade; NULL: none */
	unsigned range_regs; /* web users' registrations from a block */
	bool range_ended;    /* they were ended with their block */
	bool ip_counted;     /* holds a count in w->ws_ips */
};

/* ---- flow.c ----------------------------------------------------------- */

/* Runs a WebSocket on an upgraded stream (the 101 is sent from hs) and
 * links it to sipt as a WS or WSS flow. Takes its own reference to s. */
int wsf__flow_accept(struct wsf *w, struct stream *s,
		     const struct ws_hs_result *hs, struct sv leftover,
		     struct sv origin);
/* Detaches every flow from w (wsf_close): their close callbacks still run
 * on the loop but no longer touch w. */
void wsf__flows_detach(struct wsf *w);
/* The wsf flow behind a sipt flow, or NULL if f is UDP/TCP. */
struct wsf_flow *wsf__flow_of(struct sipt_flow *f);
/* Finds the flow a token names: 0 and *out; -EACCES if the token is not
 * one we issued (bad form or HMAC: 403); -ENOENT if its connection is
 * gone (430, RFC 5626 §5.3). */
int wsf__flow_by_token(struct wsf *w, struct sv token,
		       struct wsf_flow **out);
/* Keeps the client's credential on the flow (copied; replaces any). */
void wsf__flow_cred_set(struct wsf_flow *f, struct sv impi,
			struct sv password);
/* CSeq offset of a Call-ID on the flow (0 if none); set replaces it. */
uint32_t wsf__flow_cseq_off(const struct wsf_flow *f, struct sv call_id);
void wsf__flow_cseq_set(struct wsf_flow *f, struct sv call_id, uint32_t off);

/* ---- proxy.c ---------------------------------------------------------- */

/* sipt request_cb (arg = w). */
void wsf__on_request(struct sipt *s, struct sipt_strans *st,
		     const struct sip_msg *req, void *arg);
/* Drops the requests still waiting (after sipt_close: no callback comes). */
void wsf__proxy_close(struct wsf *w);
/* Forwards the client's request held by st to the P-CSCF (Path, CSeq
 * mapping); auth, if not empty, replaces its Authorization. Answers st
 * with 503 itself if the P-CSCF cannot be reached. */
void wsf__client_forward(struct wsf *w, struct sipt_strans *st,
			 struct wsf_flow *f, struct sv auth);

/* ---- tokencheck.c ----------------------------------------------------- */

/* The checks of the token keys (trusted_wws URLs, introspect_client):
 * 0 or -EINVAL with a reason naming the key. */
int wsf__token_conf_check(const struct wsf_conf *c, char *err, size_t n);
/* Parses trusted_wws, makes the TLS client context, and (token_check =
 * local) starts fetching each WWS's JWK Set. -ENOENT/-EINVAL (wws_ca_file),
 * err says why. */
int wsf__token_setup(struct wsf *w, char *err, size_t errlen);
/* Cancels the checks and fetches in flight (after sipt_close); frees. */
void wsf__token_close(struct wsf *w);
/* true if req is a REGISTER of the token flow (Bearer Authorization) and
 * token_check is not off. */
bool wsf__token_wanted(const struct wsf *w, const struct sip_msg *req);
/* Checks the token of the REGISTER held by st from flow f, then forwards
 * it rewritten (wsf__client_forward) or answers st (see wsf.h). Takes its
 * own references to st and f while it waits. */
void wsf__token_check(struct wsf *w, struct sipt_strans *st,
		      struct wsf_flow *f);

/* Checks a WWS URL as trusted_wws takes it: 0 or -EINVAL. */
int wsf__token_url_check(struct sv url);

/* ---- range.c ---------------------------------------------------------- */

/* enterprise_wws and static_ranges: 0 or -EINVAL naming the key. */
int wsf__range_conf_check(const struct wsf_conf *c, char *err, size_t n);
/* Parses them into w->range (before the origins and the token setup). */
int wsf__range_setup(struct wsf *w, char *err, size_t errlen);
void wsf__range_close(struct wsf *w);
/* The enterprise_wws entries (added to allowed_origins, trusted_wws). */
size_t wsf__range_ent_count(const struct wsf *w);
const char *wsf__range_ent_origin(const struct wsf *w, size_t i);
const char *wsf__range_ent_iss(const struct wsf *w, size_t i);
/* A REGISTER with Require: gin (RFC 6140). */
bool wsf__range_is_gin(const struct sip_msg *req);
/* Figure 6.X.2.1.3.2-1 step 1 from flow f: static mode answers st here;
 * registration mode forwards it (wsf__client_forward). */
void wsf__range_register(struct wsf *w, struct sipt_strans *st,
			 struct wsf_flow *f);
/* Registration mode: IMS's final answer resp to the GIN REGISTER req of
 * flow f, before it is relayed; a 200 records (or ends) the block. */
void wsf__range_forwarded(struct wsf *w, struct wsf_flow *f,
			  const struct sip_msg *req,
			  const struct sip_msg *resp);
/* Is iss (a token's issuer) an enterprise WWS? */
bool wsf__range_iss_is_ent(const struct wsf *w, const char *iss);
/* The issuer of the registered block impu is inside, or NULL. */
const char *wsf__range_owner(struct wsf *w, const char *impu);
/* Figure 6.X.2.1.3.3-1 after the token check: impu (the token's, equal
 * to the To) against the blocks registered by iss; answers st. */
void wsf__range_client(struct wsf *w, struct sipt_strans *st,
		       struct wsf_flow *f, const char *impu, const char *iss);
/* token_origin: may flow f present a token of issuer iss? (range.c) */
bool wsf__origin_bound(const struct wsf *w, const struct wsf_flow *f,
		       const char *iss);
/* Flow f is closing: its web users' registrations end. */
void wsf__range_flow_gone(struct wsf *w, struct wsf_flow *f);

/* What range.c keeps and gin.c (the GIN REGISTER) uses. */
struct ims_wildcard;
#define WSF_DEFAULT_EXPIRES 3600 /* RFC 3261 §10.2.1.1 leaves it to us */

/* One enterprise_wws entry. */
struct wsf__ent {
	char *origin; /* owned; no trailing '/' */
	char *iss;    /* owned; no trailing '/' */
};

/* One static_ranges entry (range_mode = static). */
struct wsf__stat {
	struct ims_wildcard *wc; /* owned */
	char *impi, *password;	 /* owned */
	char *origin;		 /* owned */
	size_t ent;		 /* its enterprise_wws entry (static mode) */
};

/* A block registered now. */
struct wsf__block {
	struct wsf__block *next;
	struct ims_wildcard *wc; /* owned */
	size_t ent;		 /* the enterprise WWS it belongs to */
	uint64_t until_ms;	 /* loop time it expires */
};

/* A web user's registration of one IMPU of a block. */
struct wsf__rcli {
	struct hmap_node node;
	char *impu;		 /* owned, canonical: the key */
	struct wsf__block *b;	 /* borrowed */
	char flow[WSF_ID_HEX + 1];
	uint64_t until_ms;
};

struct wsf__range {
	struct wsf__ent *ent; /* owned array */
	size_t nent;
	struct wsf__stat *st; /* owned array */
	size_t nst;
	struct wsf__block *blocks;
	struct hmap clients; /* struct wsf__rcli by canonical IMPU */
	struct digest_nonce_key nkey;
	struct digest_nctrack *nct;
};

/* The enterprise entry whose Origin is origin (case-insensitive), or -1. */
long wsf__ent_of_origin(const struct wsf__range *r, const char *origin);
/* Drops the blocks and registrations that have expired. */
void wsf__range_sweep(struct wsf *w);
/* The registered block with wc's text, or NULL. */
struct wsf__block *wsf__block_find(struct wsf__range *r,
				   const struct ims_wildcard *wc);
/* Records (or refreshes) the block for entry ent for expires seconds;
 * takes ownership of wc. */
void wsf__block_set(struct wsf *w, struct ims_wildcard *wc, size_t ent,
		    uint64_t expires);
/* Ends b and every web user's registration taken from it (logs why). */
void wsf__block_end(struct wsf *w, struct wsf__block *b, const char *why);
/* A final answer of the wsf itself, with a To tag; extra: whole header
 * lines or NULL. */
void wsf__reply(struct wsf *w, struct sipt_strans *st, int status,
		const char *reason, const char *extra);
/* RFC 3261 §10.2.1.1: the Contact a's expires (a may be NULL), else the
 * Expires header of m, else dflt; capped at one day. */
uint64_t wsf__expires_of(const struct sip_msg *m, const struct sip_addr *a,
			 uint64_t dflt);
/* "Contact: <uri>;params;expires=N\r\n" (its expires replaced). */
void wsf__contact_print(struct buf *b, const struct sip_addr *a,
			uint64_t expires);
/* The first Contact of req: 0 (*star for "*"), -ENOENT, -EBADMSG. */
int wsf__contact_first(const struct sip_msg *req, struct sip_addr *a,
		       bool *star);

/* ---- wsf.c ------------------------------------------------------------ */

/* http_trace_cb (arg = w): HTTP in and out, as proto "http". */
void wsf__http_trace(struct stream *s, bool sent, struct sv start_line,
		     const char *raw, size_t len, void *arg);

#endif
