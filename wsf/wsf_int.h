/*
 * wsf_int.h - what the files of wsf/ share (wsf.c: configuration, life
 * cycle, the HTTP side; flow.c: WebSocket connections as SIP flows and
 * their tokens; proxy.c: the SIP proxy and the challenge termination;
 * tokencheck.c: Bearer tokens checked with the WWS, and the TNA rewrite).
 * Included only inside wsf/.
 */
#ifndef IMSTB_WSF_INT_H
#define IMSTB_WSF_INT_H

#include "base/hmap.h"
#include "http/http.h"
#include "sipt/sipt.h"
#include "ws/ws.h"
#include "wsf.h"

#define WSF_ID_HEX    16 /* connection id: 8 bytes */
#define WSF_TOKEN_LEN 32 /* id hex + 8 bytes of HMAC in hex */
#define WSF_SECRET_MAX 64

struct wsf__fwd;
struct wsf__tokens;

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
	char *origins_buf;    /* owned: the split allowed_origins */
	const char **origins; /* owned array; NULL = any Origin */
	struct wsf__fwd *inflight; /* requests waiting for an answer */
	struct wsf__tokens *tok;   /* owned: tokencheck.c's state */
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
};

/* ---- flow.c ----------------------------------------------------------- */

/* Runs a WebSocket on an upgraded stream (the 101 is sent from hs) and
 * links it to sipt as a WS or WSS flow. Takes its own reference to s. */
int wsf__flow_accept(struct wsf *w, struct stream *s,
		     const struct ws_hs_result *hs, struct sv leftover);
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

/* ---- wsf.c ------------------------------------------------------------ */

/* http_trace_cb (arg = w): HTTP in and out, as proto "http". */
void wsf__http_trace(struct stream *s, bool sent, struct sv start_line,
		     const char *raw, size_t len, void *arg);

#endif
