/* hss.c - the HSS Cx server (TS 29.228 §6.1-§6.3, TS 29.229). */
#include "hss.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/hmap.h"
#include "diam/diam_peer.h"

#define K(name, type, field, def, help, lo, hi) \
	{ name, type, offsetof(struct hss_conf, field), def, help, lo, hi, \
	  NULL }

const struct conf_key hss_conf_keys[] = {
	APP_COMMON_KEYS(struct hss_conf, "hss"),
	K("listen", CONF_STR, listen, "127.0.0.1",
	  "address the Cx (Diameter over TCP) server listens on", 0, 0),
	K("port", CONF_INT, port, "3868",
	  "Diameter port (RFC 6733 §2.1; 0 = chosen by the OS)", 0, 65535),
	K("origin_host", CONF_STR, origin_host, "hss.ims.example.com",
	  "our Origin-Host (DiameterIdentity)", 0, 0),
	K("origin_realm", CONF_STR, origin_realm, "ims.example.com",
	  "our Origin-Realm: requests for another Destination-Realm get "
	  "3003; also the realm of `bulk` users", 0, 0),
	K("db", CONF_STR, db, "var/hss/hss.db",
	  "SQLite subscriber database (created with its folder if missing)",
	  0, 0),
	K("provision_demo", CONF_BOOL, provision_demo, "true",
	  "create the demo subscribers (alice, bob, enterprise @"
	  "ims.example.com) when the database is new", 0, 0),
	K("watchdog_ms", CONF_INT, watchdog_ms, "30000",
	  "DWR after this much silence on a connection (RFC 3539 Tw)", 100,
	  3600000),
	K("request_timeout_ms", CONF_INT, request_timeout_ms, "5000",
	  "how long to wait for a DWA/DPA", 10, 600000),
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

/* The S-CSCF name of a MAR, kept until the SAR that settles it (29.228
 * §6.3: the HSS stores it as pending while authentication runs). */
struct pending {
	struct hmap_node node;
	char *impi;  /* owned; the key */
	char *scscf; /* owned */
};

struct hss {
	const struct hss_conf *conf; /* borrowed */
	uv_loop_t *loop;             /* borrowed */
	struct trace *trace;         /* borrowed */
	struct rng *rng;             /* borrowed */
	struct hss_store *store;     /* owned; NULL once closed */
	struct diam_server *srv;     /* owned; NULL once closed */
	struct hmap pending;         /* struct pending by IMPI */
};

/* One request being answered: what the handlers look up, owned here so
 * the answer's views stay valid until it is sent. */
struct cxr {
	struct hss *h;
	const struct diam_cx *q; /* the request (borrowed) */
	struct diam_cx ans;
	char *impi;            /* owned: User-Name, or the IMPU's owner */
	struct hss_impu owner; /* owned: the Public-Identity as stored */
	struct hss_sub sub;    /* owned: impi's subscription */
	char *scscf;           /* owned: stored S-CSCF name, or NULL */
	struct hss_auth auth;
	struct buf data;       /* User-Data */
};

/* ---- pending S-CSCF names ------------------------------------------------ */

static struct pending *pending_find(struct hss *h, const char *impi)
{
	struct hmap_node *n = hmap_find(&h->pending, sv_from_cstr(impi));

	return n ? hmap_entry(n, struct pending, node) : NULL;
}

static void pending_drop(struct hss *h, const char *impi)
{
	struct pending *p = pending_find(h, impi);

	if (!p)
		return;
	hmap_remove(&h->pending, &p->node);
	free(p->impi);
	free(p->scscf);
	free(p);
}

static void pending_set(struct hss *h, const char *impi, struct sv name)
{
	struct pending *p = pending_find(h, impi);

	if (!p) {
		p = xcalloc(1, sizeof(*p));
		p->impi = xstrdup(impi);
		hmap_insert(&h->pending, &p->node, sv_from_cstr(p->impi));
	}
	free(p->scscf);
	p->scscf = sv_dup(name);
}

/* ---- results ------------------------------------------------------------- */

static void set_result(struct cxr *r, uint32_t code)
{
	r->ans.result = code;
	r->ans.experimental = false;
}

static void set_exp(struct cxr *r, uint32_t code)
{
	r->ans.result = code;
	r->ans.experimental = true;
}

/* A store error: not found (or not even a valid identity) is an unknown
 * user (29.228 §6.3 "DIAMETER_ERROR_USER_UNKNOWN"); anything else means
 * we could not look (RFC 6733 §7.1.5 DIAMETER_UNABLE_TO_COMPLY). */
static void set_store_err(struct cxr *r, int err)
{
	if (err == -ENOENT || err == -EINVAL)
		set_exp(r, DIAM_CX_ERROR_USER_UNKNOWN);
	else
		set_result(r, DIAM_UNABLE_TO_COMPLY);
}

/* The first public identity of impi (its first set's default IMPU, or
 * range), for a SAR that names no Public-Identity (29.229 §6.1.3: it is
 * optional when User-Name is present). */
static int default_impu(struct cxr *r)
{
	struct hss_impu_list l;
	int err = hss_store_impu_list(r->h->store, r->impi, &l);

	if (!err && l.n == 0)
		err = -ENOENT;
	if (!err) {
		r->owner = l.v[0];
		memset(&l.v[0], 0, sizeof(l.v[0]));
	}
	hss_impu_list_close(&l);
	return err;
}

/*
 * Resolves User-Name and Public-Identity (or Wildcarded-Public-Identity)
 * and checks that they belong together, in the order of 29.228 §6.3 /
 * §6.1.3.1: both must exist (5001 USER_UNKNOWN), then the IMPU must be one
 * of the IMPI's, distinct or inside one of its ranges (5002
 * IDENTITIES_DONT_MATCH). false with the result set on failure.
 */
static bool ids_resolve(struct cxr *r)
{
	struct hss_store *st = r->h->store;
	struct sv pub = r->q->public_identity;
	char *impu = NULL;
	int err = 0;

	if (!pub.p)
		pub = r->q->wildcarded_public_identity;
	if (r->q->user_name.p) {
		r->impi = sv_dup(r->q->user_name);
		err = hss_store_sub_get(st, r->impi, &r->sub);
		if (err)
			goto fail;
	}
	if (pub.p) {
		impu = sv_dup(pub);
		err = hss_store_impu_owner(st, impu, &r->owner);
	} else if (r->impi) {
		err = default_impu(r);
	} else {
		err = -ENOENT;
	}
	if (err)
		goto fail;
	if (!r->impi) {
		r->impi = xstrdup(r->owner.impi);
		err = hss_store_sub_get(st, r->impi, &r->sub);
		if (err)
			goto fail;
	} else if (strcmp(r->impi, r->owner.impi) != 0) {
		set_exp(r, DIAM_CX_ERROR_IDENTITIES_DONT_MATCH);
		goto out;
	}
	free(impu);
	return true;
fail:
	set_store_err(r, err);
out:
	free(impu);
	return false;
}

/* The S-CSCF stored for r->impi into r->scscf; false (result set) on a
 * store failure. */
static bool scscf_load(struct cxr *r)
{
	int err = hss_store_scscf_get(r->h->store, r->impi, &r->scscf);

	if (err)
		set_store_err(r, err);
	return err == 0;
}

/* Wildcarded-Public-Identity (634) when the IMPU is (inside) a range,
 * 29.229 §6.3.35 / §6.1.4, §6.1.6. */
static void put_wildcard(struct cxr *r)
{
	if (r->owner.wildcard &&
	    (r->owner.type == IMS_ID_NON_DISTINCT_IMPU ||
	     r->owner.type == IMS_ID_WILDCARDED_IMPU))
		r->ans.wildcarded_public_identity =
			sv_from_cstr(r->owner.wildcard);
}

/* ---- MAR (29.228 §6.3, 29.229 §6.1.7) ------------------------------------ */

static void on_mar(struct cxr *r)
{
	struct diam_cx_auth *a = &r->ans.auth[0];
	struct sv scheme = r->q->n_auth ? r->q->auth[0].scheme : SV_NULL;
	unsigned schemes;
	int err;

	r->ans.user_name = r->q->user_name;
	r->ans.public_identity = r->q->public_identity;
	if (!ids_resolve(r))
		return;
	/* "Unknown": the HSS picks the scheme, which here is SIP Digest. */
	schemes = r->sub.schemes;
	if ((scheme.p && !sv_eq_cstr(scheme, DIAM_CX_SCHEME_DIGEST) &&
	     !sv_eq_cstr(scheme, DIAM_CX_SCHEME_UNKNOWN)) ||
	    !(schemes & HSS_AUTH_DIGEST)) {
		set_exp(r, DIAM_CX_ERROR_AUTH_SCHEME_NOT_SUPPORTED);
		return;
	}
	err = hss_store_auth_get(r->h->store, r->impi, NULL, &r->auth);
	if (err) {
		set_store_err(r, err);
		return;
	}
	/* 29.229 §6.3.36: HA1 only, never the password; MD5 is the
	 * Digest-Algorithm, SHA-256 rides in the Alternate pair (§6.3.72). */
	r->ans.has_num_auth_items = true;
	r->ans.num_auth_items = 1;
	r->ans.n_auth = 1;
	a->scheme = SV(DIAM_CX_SCHEME_DIGEST);
	a->realm = sv_from_cstr(r->sub.realm);
	a->qop = SV("auth");
	if (schemes & HSS_AUTH_DIGEST_MD5) {
		a->algorithm = SV("MD5");
		a->ha1 = sv_from_cstr(r->auth.ha1_md5);
		if (schemes & HSS_AUTH_DIGEST_SHA256) {
			a->alt_algorithm = SV("SHA-256");
			a->alt_ha1 = sv_from_cstr(r->auth.ha1_sha256);
		}
	} else {
		a->algorithm = SV("SHA-256");
		a->ha1 = sv_from_cstr(r->auth.ha1_sha256);
	}
	pending_set(r->h, r->impi, r->q->server_name);
	set_result(r, DIAM_SUCCESS);
}

/* ---- SAR (29.228 §6.1.2, 29.229 §6.1.3) ---------------------------------- */

/*
 * User-Data (29.228 Annex E) of the implicit set of the IMPU: its
 * distinct IMPUs, default first, barred ones flagged, then its ranges. An
 * IMPU inside a range is listed as itself (NON_DISTINCT_IMPU) just before
 * the range (WILDCARDED_IMPU) it belongs to (29.228 §6.1.2, 23.003
 * §13.4A: one service profile for the whole range).
 */
static int user_data_build(struct cxr *r)
{
	const struct hss_impu *o = &r->owner;
	struct hss_impu_list l;
	struct ims_sub s;
	int err;

	ims_sub_init(&s, r->impi);
	err = hss_store_implicit_set(r->h->store, o->impu, &l);
	for (size_t i = 0; !err && i < l.n; i++) {
		const struct hss_impu *v = &l.v[i];

		if (o->type == IMS_ID_NON_DISTINCT_IMPU &&
		    v->type == IMS_ID_WILDCARDED_IMPU &&
		    strcmp(v->impu, o->wildcard) == 0)
			err = ims_sub_add(&s, o->impu, IMS_ID_NON_DISTINCT_IMPU,
					  v->barred, v->impu, 0);
		if (!err)
			err = ims_sub_add(&s, v->impu, v->type, v->barred,
					  v->wildcard, 0);
	}
	if (!err)
		err = ims_sub_print(&s, &r->data);
	hss_impu_list_close(&l);
	ims_sub_close(&s);
	return err;
}

/* Clears the S-CSCF name unless another set of the IMPI is still
 * registered or kept (29.228 §6.1.2: the name goes with the last). */
static int scscf_release(struct cxr *r)
{
	struct hss_store *st = r->h->store;
	struct hss_impu_list l;
	enum hss_reg_state s;
	bool keep = false;
	int err;

	err = hss_store_impu_list(st, r->impi, &l);
	for (size_t i = 0; !err && !keep && i < l.n; i++) {
		err = hss_store_reg_state_get(st, l.v[i].impu, &s);
		keep = !err && s != HSS_REG_NOT_REGISTERED;
	}
	if (!err && !keep)
		err = hss_store_scscf_set(st, r->impi, NULL);
	hss_impu_list_close(&l);
	return err;
}

/* Stores the new state (and name) and, for the assignment types, puts
 * the profile in the answer. */
static int sar_apply(struct cxr *r, enum hss_reg_state state, bool name,
		     bool data)
{
	struct hss_store *st = r->h->store;
	char *sname = NULL;
	int err;

	err = hss_store_reg_state_set(st, r->owner.impu, state);
	if (!err && name) {
		sname = sv_dup(r->q->server_name);
		err = hss_store_scscf_set(st, r->impi, sname);
		pending_drop(r->h, r->impi);
	}
	if (!err && state == HSS_REG_NOT_REGISTERED)
		err = scscf_release(r);
	if (!err && data) {
		err = user_data_build(r);
		r->ans.user_data = (struct sv){ r->data.data, r->data.len };
		put_wildcard(r);
	}
	free(sname);
	return err;
}

static void on_sar(struct cxr *r)
{
	int err = 0;

	if (!ids_resolve(r))
		return;
	r->ans.user_name = sv_from_cstr(r->impi);
	switch (r->q->sat) {
	case DIAM_CX_SAT_REGISTRATION:
	case DIAM_CX_SAT_RE_REGISTRATION:
		err = sar_apply(r, HSS_REG_REGISTERED, true, true);
		break;
	case DIAM_CX_SAT_UNREGISTERED_USER:
		err = sar_apply(r, HSS_REG_UNREGISTERED, true, true);
		break;
	case DIAM_CX_SAT_NO_ASSIGNMENT:
		/* Only the assigned S-CSCF may fetch the profile. */
		if (!scscf_load(r))
			return;
		if (!r->scscf || !sv_eq_cstr(r->q->server_name, r->scscf)) {
			set_result(r, DIAM_UNABLE_TO_COMPLY);
			return;
		}
		err = user_data_build(r);
		r->ans.user_data = (struct sv){ r->data.data, r->data.len };
		put_wildcard(r);
		break;
	case DIAM_CX_SAT_TIMEOUT_DEREGISTRATION:
	case DIAM_CX_SAT_USER_DEREGISTRATION:
	case DIAM_CX_SAT_ADMINISTRATIVE_DEREGISTRATION:
	case DIAM_CX_SAT_DEREGISTRATION_TOO_MUCH_DATA:
		err = sar_apply(r, HSS_REG_NOT_REGISTERED, false, false);
		break;
	case DIAM_CX_SAT_TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME:
	case DIAM_CX_SAT_USER_DEREGISTRATION_STORE_SERVER_NAME:
		err = sar_apply(r, HSS_REG_UNREGISTERED, false, false);
		break;
	case DIAM_CX_SAT_AUTHENTICATION_FAILURE:
	case DIAM_CX_SAT_AUTHENTICATION_TIMEOUT:
		/* 29.228 §6.1.2: state unchanged, pending name dropped. */
		pending_drop(r->h, r->impi);
		break;
	default:
		set_exp(r, DIAM_CX_ERROR_IN_ASSIGNMENT_TYPE);
		return;
	}
	if (err)
		set_store_err(r, err);
	else
		set_result(r, DIAM_SUCCESS);
}

/* ---- UAR (29.228 §6.1.1, 29.229 §6.1.1) ---------------------------------- */

static void on_uar(struct cxr *r)
{
	uint32_t uat = r->q->has_auth_type ? r->q->auth_type
					   : DIAM_CX_UAT_REGISTRATION;

	if (!ids_resolve(r) || !scscf_load(r))
		return;
	if (uat == DIAM_CX_UAT_DE_REGISTRATION) {
		if (!r->scscf) {
			set_exp(r, DIAM_CX_ERROR_IDENTITY_NOT_REGISTERED);
			return;
		}
		r->ans.server_name = sv_from_cstr(r->scscf);
		set_result(r, DIAM_SUCCESS);
		return;
	}
	if (r->owner.barred) {
		set_result(r, DIAM_AUTHORIZATION_REJECTED);
		return;
	}
	if (uat == DIAM_CX_UAT_REGISTRATION && r->scscf) {
		r->ans.server_name = sv_from_cstr(r->scscf);
		set_exp(r, DIAM_CX_SUBSEQUENT_REGISTRATION);
		return;
	}
	/* No S-CSCF yet (or capabilities asked): let the I-CSCF choose one
	 * from the capabilities; imstb has no requirements, so none. */
	r->ans.has_caps = true;
	if (uat == DIAM_CX_UAT_REGISTRATION_AND_CAPABILITIES)
		set_result(r, DIAM_SUCCESS);
	else
		set_exp(r, DIAM_CX_FIRST_REGISTRATION);
}

/* ---- LIR (29.228 §6.1.4, 29.229 §6.1.5) ---------------------------------- */

static void on_lir(struct cxr *r)
{
	enum hss_reg_state s = HSS_REG_NOT_REGISTERED;
	int err;

	if (!ids_resolve(r) || !scscf_load(r))
		return;
	err = hss_store_reg_state_get(r->h->store, r->owner.impu, &s);
	if (err) {
		set_store_err(r, err);
		return;
	}
	put_wildcard(r);
	if (r->scscf && s == HSS_REG_REGISTERED) {
		r->ans.server_name = sv_from_cstr(r->scscf);
		set_result(r, DIAM_SUCCESS);
	} else if (r->scscf && s == HSS_REG_UNREGISTERED) {
		r->ans.server_name = sv_from_cstr(r->scscf);
		set_exp(r, DIAM_CX_UNREGISTERED_SERVICE);
	} else {
		set_exp(r, DIAM_CX_ERROR_IDENTITY_NOT_REGISTERED);
	}
}

/* ---- dispatch ------------------------------------------------------------ */

static const char *const sat_names[] = {
	"NO_ASSIGNMENT", "REGISTRATION", "RE_REGISTRATION",
	"UNREGISTERED_USER", "TIMEOUT_DEREGISTRATION", "USER_DEREGISTRATION",
	"TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME",
	"USER_DEREGISTRATION_STORE_SERVER_NAME",
	"ADMINISTRATIVE_DEREGISTRATION", "AUTHENTICATION_FAILURE",
	"AUTHENTICATION_TIMEOUT", "DEREGISTRATION_TOO_MUCH_DATA",
};

static void log_outcome(const struct diam_cx *q, uint32_t result, bool exp)
{
	struct sv user = q->user_name.p ? q->user_name : SV("-");
	struct sv pub = q->public_identity.p ? q->public_identity
					     : q->wildcarded_public_identity;
	const char *sat = "";

	if (!pub.p)
		pub = SV("-");
	if (q->cmd == DIAM_CMD_SA)
		sat = q->sat < ARRAY_SIZE(sat_names) ? sat_names[q->sat]
						     : "(unknown type)";
	log_info("%s %.*s %.*s%s%s -> %s%u", diam_cmd_name(q->cmd, true),
		 SV_ARG(user), SV_ARG(pub), *sat ? " " : "", sat,
		 exp ? "exp " : "", result);
}

/* RFC 6733 §6.1.4/§7.1.3: a request for a realm we do not serve gets the
 * protocol error 3003 (E bit, answer-message format). */
static void answer_realm_not_served(struct diam_peer *p,
				    const struct diam_msg *req)
{
	struct diam_err e = { 0 };
	struct buf b;

	e.pe.status = DIAM_REALM_NOT_SERVED;
	e.pe.why = "Destination-Realm not served by this HSS";
	buf_init(&b);
	if (diam_error_build(&b, req->raw, req->len, diam_peer_local(p), &e) ==
	    0)
		diam_peer_send_answer(p, b.data, b.len);
	buf_close(&b);
}

static void on_request(struct diam_peer *p, const struct diam_msg *req,
		       const struct diam_cx *cx, void *arg)
{
	struct hss *h = arg;
	struct cxr r = { .h = h, .q = cx };
	bool batch;
	int err;

	if (!sv_casecmp_cstr(cx->dest_realm, h->conf->origin_realm)) {
		answer_realm_not_served(p, req);
		log_outcome(cx, DIAM_REALM_NOT_SERVED, false);
		return;
	}
	buf_init(&r.data);
	diam_cx_answer_init(&r.ans, cx);
	/* One transaction per request (store.h), committed before the
	 * answer leaves: what the answer says is on disk. */
	batch = hss_store_batch_begin(h->store);
	switch (cx->cmd) {
	case DIAM_CMD_MA:
		on_mar(&r);
		break;
	case DIAM_CMD_SA:
		on_sar(&r);
		break;
	case DIAM_CMD_UA:
		on_uar(&r);
		break;
	case DIAM_CMD_LI:
		on_lir(&r);
		break;
	default: /* diam_cx_parse lets only these four through */
		set_result(&r, DIAM_COMMAND_UNSUPPORTED);
		break;
	}
	if (batch && (err = hss_store_batch_end(h->store, 0)))
		log_error("db: commit failed: %s", strerror(-err));
	err = diam_peer_send_answer_cx(p, &r.ans);
	if (err)
		log_warn("%s: answer not sent: %s",
			 diam_cmd_name(cx->cmd, false), strerror(-err));
	log_outcome(cx, r.ans.result, r.ans.experimental);
	free(r.impi);
	free(r.scscf);
	hss_impu_close(&r.owner);
	hss_sub_close(&r.sub);
	buf_close(&r.data);
}

/* The arg is h: hss_free must wait until the loop is over (hss.h). */
static void on_trace(void *arg, enum diam_dir dir,
		     const struct sockaddr *local,
		     const struct sockaddr *remote, const void *raw,
		     size_t len)
{
	struct hss *h = arg;

	app_trace_diam(h->trace, dir == DIAM_SEND, local, remote, raw, len);
}

/* ---- life cycle ---------------------------------------------------------- */

int hss_db_open(const struct hss_conf *conf, struct hss_store **out)
{
	bool mem = strcmp(conf->db, ":memory:") == 0, fresh;
	int err;

	*out = NULL;
	if (!conf->db[0]) {
		log_error("db: empty path");
		return -EINVAL;
	}
	fresh = mem || access(conf->db, F_OK) != 0;
	if (!mem && (err = app_mkdir_parent(conf->db))) {
		log_error("db: cannot create the folder of %s: %s", conf->db,
			  strerror(-err));
		return err;
	}
	err = hss_store_open(conf->db, out);
	if (!err && fresh && conf->provision_demo) {
		err = hss_store_provision_demo(*out);
		if (err) {
			hss_store_close(*out);
			*out = NULL;
		} else {
			log_info("new database %s: demo subscribers created",
				 conf->db);
		}
	}
	return err;
}

/* listen:port as a sockaddr; -EINVAL if listen is not numeric. */
static int bind_addr(const struct hss_conf *c, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (uv_ip4_addr(c->listen, (int)c->port, (struct sockaddr_in *)ss) &&
	    uv_ip6_addr(c->listen, (int)c->port, (struct sockaddr_in6 *)ss))
		return -EINVAL;
	return 0;
}

int hss_conf_check(const struct hss_conf *c, char *err, size_t n)
{
	struct sockaddr_storage ss;

	if (bind_addr(c, &ss))
		snprintf(err, n, "listen: '%s' is not a numeric address",
			 c->listen);
	else if (!c->origin_host[0] || !c->origin_realm[0] || !c->db[0])
		snprintf(err, n, "origin_host, origin_realm and db must not "
				 "be empty");
	else
		return 0;
	return -EINVAL;
}

int hss_new(struct hss **out, uv_loop_t *loop, const struct hss_conf *conf,
	    struct trace *trace, struct rng *rng)
{
	struct hss *h = xcalloc(1, sizeof(*h));
	struct diam_handlers hd = { 0 };
	struct sockaddr_storage ss;
	struct diam_conf dc;
	char why[128];
	int err;

	h->conf = conf;
	h->loop = loop;
	h->trace = trace;
	h->rng = rng;
	hmap_init(&h->pending);
	err = hss_conf_check(conf, why, sizeof(why));
	if (err) {
		log_error("%s", why);
		goto fail;
	}
	bind_addr(conf, &ss);
	err = hss_db_open(conf, &h->store);
	if (err)
		goto fail;
	hss_store_offload_checkpoints(h->store, loop, conf->db);
	memset(&dc, 0, sizeof(dc));
	dc.local.host = conf->origin_host;
	dc.local.realm = conf->origin_realm;
	dc.local.product = "imstb hss-sim";
	/* RFC 6733 §8.16: a new value on every start. */
	dc.local.origin_state_id = (uint32_t)time(NULL);
	if (ss.ss_family == AF_INET &&
	    ((struct sockaddr_in *)&ss)->sin_addr.s_addr != 0)
		dc.local.ip = ss; /* else Host-IP-Address 127.0.0.1 */
	dc.watchdog_ms = (uint64_t)conf->watchdog_ms;
	dc.request_timeout_ms = (uint64_t)conf->request_timeout_ms;
	hd.request = on_request;
	hd.trace = on_trace;
	hd.arg = h;
	app_diam_fault(&hd, trace);
	err = diam_server_new(&h->srv, loop, &dc, &hd,
			      (const struct sockaddr *)&ss);
	if (err) {
		log_error("cannot listen on %s:%ld: %s", conf->listen,
			  conf->port, uv_strerror(err));
		goto fail;
	}
	*out = h;
	return 0;
fail:
	hss_store_close(h->store);
	hmap_close(&h->pending);
	free(h);
	return err;
}

void hss_close(struct hss *h)
{
	struct hmap_iter it = { 0 };
	struct hmap_node *n;

	diam_server_free(h->srv);
	h->srv = NULL;
	hss_store_close(h->store);
	h->store = NULL;
	while ((n = hmap_iter_next(&h->pending, &it)))
		pending_drop(h, hmap_entry(n, struct pending, node)->impi);
	hmap_close(&h->pending);
	hmap_init(&h->pending);
}

void hss_free(struct hss *h)
{
	if (!h)
		return;
	if (h->srv || h->store)
		hss_close(h);
	hmap_close(&h->pending);
	free(h);
}

uint16_t hss_port(const struct hss *h)
{
	struct sockaddr_storage ss;

	if (!h->srv || diam_server_addr(h->srv, &ss))
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

struct hss_store *hss_db(struct hss *h)
{
	return h->store;
}
