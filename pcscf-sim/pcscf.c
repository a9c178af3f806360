/* pcscf.c - P-CSCF: REGISTER proxy per TS 24.229 §5.2.2. */
#include "pcscf.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hmap.h"
#include "digest/digest.h"
#include "sipt/sipt.h"

static const char *const transports[] = { "udp", "tcp", NULL };
static const char *const integrity_modes[] = { "auto", "none", "fixed", NULL };
static const char *const path_policies[] = { "add", "reject", NULL };

/* clang-format off */
#define K(name, type, field, def, help, lo, hi, choices) \
	{ name, type, offsetof(struct pcscf_conf, field), def, help, lo, hi, \
	  choices }
/* clang-format on */

const struct conf_key pcscf_conf_keys[] = {
	APP_COMMON_KEYS(struct pcscf_conf, "pcscf"),
	K("listen", CONF_STR, listen, "127.0.0.1",
	  "address for SIP over UDP and TCP", 0, 0, NULL),
	K("port", CONF_INT, port, "5060", "SIP port (UDP and TCP)", 0, 65535,
	  NULL),
	K("scscf_host", CONF_STR, scscf_host, "127.0.0.1",
	  "the S-CSCF REGISTER is sent to (numeric address)", 0, 0, NULL),
	K("scscf_port", CONF_INT, scscf_port, "6060", "its SIP port", 1, 65535,
	  NULL),
	K("scscf_transport", CONF_CHOICE, scscf_transport, "udp",
	  "udp or tcp towards the S-CSCF", 0, 0, transports),
	K("path_uri", CONF_STR, path_uri, "",
	  "URI put in Path (empty: sip:term@<listen>:<port>;lr)", 0, 0, NULL),
	K("visited_network_id", CONF_STR, visited_network_id,
	  "Visited Network Number 1",
	  "P-Visited-Network-ID value (empty: "
	  "not added)",
	  0, 0, NULL),
	K("integrity_protected", CONF_CHOICE, integrity, "auto",
	  "Authorization integrity-protected: auto (ip-assoc-pending / "
	  "ip-assoc-yes), none, fixed (integrity_value)",
	  0, 0, integrity_modes),
	K("integrity_value", CONF_STR, integrity_value, "ip-assoc-pending",
	  "value used when integrity_protected = fixed", 0, 0, NULL),
	K("path_policy", CONF_CHOICE, path_policy, "add",
	  "UE without Supported: path: add (Path + Require: path anyway) or "
	  "reject (421)",
	  0, 0, path_policies),
	K("trusted_edges", CONF_STR, trusted_edges, "127.0.0.1:5070",
	  "trusted edges (the WSF: ip or ip:port, comma list): their "
	  "integrity-protected=\"auth-done\" is passed on; from anyone "
	  "else it is removed",
	  0, 0, NULL),
	APP_SIP_KEYS(struct pcscf_conf),
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

/* One registration the P-CSCF keeps (24.229 §5.2.2.1: Service-Route and
 * P-Associated-URI of the 200 OK, and where the UE is). */
struct pcscf_reg {
	struct hmap_node node;
	char *impu; /* owned; the key */
	char *service_route;
	char *associated_uris;
	struct sockaddr_storage ue;
};

struct pcscf {
	const struct pcscf_conf *conf; /* borrowed */
	uv_loop_t *loop;
	struct sipt *sipt;
	struct trace *trace; /* borrowed */
	struct rng *rng;     /* borrowed */
	struct sipt_dest scscf;
	char path[256];
	char icid_host[64];
	struct hmap regs;
	struct fwd_ctx *inflight; /* freed at close if still waiting */
};

/* A REGISTER in flight: what the response handler needs. */
struct fwd_ctx {
	struct fwd_ctx *prev, *next; /* in pcscf.inflight */
	struct pcscf *p;
	struct sipt_strans *st; /* one reference held */
	char *impu;
	bool deregister;
	struct sockaddr_storage ue;
};

static struct pcscf_reg *reg_find(struct pcscf *p, struct sv impu)
{
	struct hmap_node *n = hmap_find(&p->regs, impu);

	return n ? hmap_entry(n, struct pcscf_reg, node) : NULL;
}

static void reg_free(struct pcscf *p, struct pcscf_reg *r)
{
	hmap_remove(&p->regs, &r->node);
	free(r->impu);
	free(r->service_route);
	free(r->associated_uris);
	free(r);
}

/* All values of a (possibly repeated) header, joined with ", ". */
static char *join_values(const struct sip_msg *m, enum sip_hdr_id id)
{
	struct buf b;
	const struct sip_hdr *h;

	buf_init(&b);
	for (h = sip_hdr_find(m, id); h; h = sip_hdr_next(m, h)) {
		if (b.len)
			buf_puts(&b, ", ");
		buf_putsv(&b, h->value);
	}
	return b.len ? buf_steal(&b, NULL) : xstrdup("");
}

/* Same IP address (the port of a UDP UE may change between requests). */
static bool same_host(const struct sockaddr_storage *a,
		      const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			      &((const struct sockaddr_in *)b)->sin_addr,
			      sizeof(struct in_addr)) == 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr,
		      sizeof(struct in6_addr)) == 0;
}

static void reg_update(struct pcscf *p, const struct fwd_ctx *c,
		       const struct sip_msg *ok)
{
	struct pcscf_reg *r = reg_find(p, sv_from_cstr(c->impu));

	if (c->deregister || !sip_hdr_find(ok, SIP_HDR_CONTACT)) {
		if (r) {
			log_info("%s de-registered", c->impu);
			reg_free(p, r);
		}
		return;
	}
	if (!r) {
		r = xcalloc(1, sizeof(*r));
		r->impu = xstrdup(c->impu);
		hmap_insert(&p->regs, &r->node, sv_from_cstr(r->impu));
	}
	free(r->service_route);
	free(r->associated_uris);
	r->service_route = join_values(ok, SIP_HDR_SERVICE_ROUTE);
	r->associated_uris = join_values(ok, SIP_HDR_P_ASSOCIATED_URI);
	r->ue = c->ue;
	log_info("%s registered; Service-Route: %s; P-Associated-URI: %s",
		 r->impu, r->service_route, r->associated_uris);
}

static bool request_deregisters(const struct sip_msg *req)
{
	const struct sip_hdr *h = sip_hdr_find(req, SIP_HDR_EXPIRES);
	struct sip_list_iter it = { 0 };
	struct sv el, v;
	bool any = false;

	/* Contact: * or every contact with expires=0 (or Expires: 0). */
	while (sip_list_iter_next(req, SIP_HDR_CONTACT, &it, &el)) {
		struct sip_addr a;

		if (sip_addr_parse(&a, el, NULL))
			return false;
		if (a.star)
			return true;
		any = true;
		if (sip_param_get(a.params, "expires", &v) == 0) {
			if (!sv_eq_cstr(v, "0"))
				return false;
		} else if (!h || !sv_eq_cstr(sv_trim(h->value), "0")) {
			return false;
		}
	}
	return any;
}

static void ctx_link(struct pcscf *p, struct fwd_ctx *c)
{
	c->next = p->inflight;
	if (c->next)
		c->next->prev = c;
	p->inflight = c;
}

static void ctx_free(struct fwd_ctx *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->p->inflight = c->next;
	if (c->next)
		c->next->prev = c->prev;
	obj_unref(c->st);
	free(c->impu);
	free(c);
}

static void on_response(struct sipt *s, struct sipt_ctrans *ct,
			const struct sip_msg *resp, int err, void *arg)
{
	struct fwd_ctx *c = arg;
	struct buf out;

	UNUSED(s);
	UNUSED(ct);
	UNUSED(err);
	/* §16.7 item 5: a 100 Trying is not forwarded. */
	if (resp->status == 100)
		return;
	buf_init(&out);
	if (sipt_proxy_resp_print(resp, NULL, 0, &out) == 0)
		sipt_strans_reply(c->st, out.data, out.len);
	else
		sipt_strans_reply_status(c->st, 500, "Bad response from S-CSCF",
					 NULL);
	buf_close(&out);
	if (resp->status < 200)
		return;
	if (resp->status == 200)
		reg_update(c->p, c, resp);
	ctx_free(c);
}

static bool auth_says_done(struct sv value)
{
	struct digest_cred *cred = xmalloc(sizeof(*cred));
	bool done = digest_cred_parse(cred, value, NULL) == 0 &&
		    sv_eq_cstr(cred->integrity_protected, "auth-done");

	free(cred);
	return done;
}

static const char *integrity_for(struct pcscf *p, const struct sip_msg *req,
				 const struct sockaddr *src)
{
	const struct sip_hdr *h = sip_hdr_find(req, SIP_HDR_AUTHORIZATION);
	struct digest_cred *cred;
	const char *ip = NULL;
	struct pcscf_reg *r;

	if (p->conf->integrity == PCSCF_IP_NONE)
		return NULL;
	/* A trusted edge (the WSF, TS 24.229 §5.4.1.2.2 TNA) that says it
	 * authenticated the user keeps its word; nobody else may say so. */
	if (h && app_addr_in_list(p->conf->trusted_edges, src) &&
	    auth_says_done(h->value))
		return "auth-done";
	if (p->conf->integrity == PCSCF_IP_FIXED)
		return p->conf->integrity_value;
	/* auto: SIP digest without TLS (24.229 §5.2.2.1): pending while the
	 * UE answers a challenge, yes once its address is registered. The
	 * initial (empty) form and other schemes get nothing. */
	if (!h)
		return NULL;
	cred = xmalloc(sizeof(*cred)); /* big (unescape store): not on stack */
	if (digest_cred_parse(cred, h->value, NULL) == 0 &&
	    !digest_cred_is_initial(cred)) {
		r = reg_find(p, req->to.uri_str);
		ip = r && src && same_host(&r->ue, src) ? "ip-assoc-yes"
							: "ip-assoc-pending";
	}
	free(cred);
	return ip;
}

static void forward_register(struct pcscf *p, struct sipt_strans *st,
			     const struct sip_msg *req)
{
	struct sipt_flow *flow = sipt_strans_flow(st);
	const struct sockaddr *src =
		flow ? (struct sockaddr *)&flow->peer : NULL;
	const struct sip_hdr *auth = sip_hdr_find(req, SIP_HDR_AUTHORIZATION);
	const char *ip = integrity_for(p, req, src);
	char icid[33], pcv[160], vnid[300], branch[SIPT_BRANCH_MAX];
	struct sipt_hdr_edit edits[6];
	struct buf authv, out;
	struct fwd_ctx *c;
	size_t n = 0;
	int rc;

	buf_init(&authv);
	buf_init(&out);
	rng_hex(p->rng, icid, 32);
	snprintf(pcv, sizeof(pcv), "icid-value=%s;icid-generated-at=%s", icid,
		 p->icid_host);
	edits[n++] = (struct sipt_hdr_edit){ SIPT_HDR_TOP, "Path",
					     sv_from_cstr(p->path) };
	edits[n++] =
		(struct sipt_hdr_edit){ SIPT_HDR_TOP, "Require", SV("path") };
	if (p->conf->visited_network_id[0]) {
		snprintf(vnid, sizeof(vnid), "\"%s\"",
			 p->conf->visited_network_id);
		edits[n++] = (struct sipt_hdr_edit){ SIPT_HDR_REPLACE,
						     "P-Visited-Network-ID",
						     sv_from_cstr(vnid) };
	} else {
		/* RFC 7315 §4.3: a UA never inserts one; drop a forged one. */
		edits[n++] = (struct sipt_hdr_edit){ SIPT_HDR_REMOVE,
						     "P-Visited-Network-ID",
						     SV_NULL };
	}
	edits[n++] =
		(struct sipt_hdr_edit){ SIPT_HDR_REPLACE, "P-Charging-Vector",
					sv_from_cstr(pcv) };
	/* Only the edge may assert integrity-protected: whatever the UE put
	 * there is dropped, ours (if any) is set (24.229 §5.2.2.1). */
	if (auth &&
	    digest_param_replace(&authv, auth->value, "integrity-protected",
				 ip ? sv_from_cstr(ip) : SV_NULL) == 0)
		edits[n++] = (struct sipt_hdr_edit){
			SIPT_HDR_REPLACE, "Authorization",
			(struct sv){ authv.data, authv.len }
		};
	rc = sipt_proxy_fwd_print(p->sipt, req,
				  &(struct sipt_fwd){ .proto = p->scscf.proto,
						      .edits = edits,
						      .nedits = n },
				  &out, branch);
	if (rc) {
		sipt_strans_reply_status(st, 483, NULL, NULL);
		goto out;
	}
	c = xcalloc(1, sizeof(*c));
	c->p = p;
	c->st = obj_ref(st);
	c->impu = sv_dup(req->to.uri_str);
	c->deregister = request_deregisters(req);
	if (src)
		memcpy(&c->ue, src, sizeof(c->ue));
	ctx_link(p, c);
	rc = sipt_ctrans_send(p->sipt, &p->scscf, out.data, out.len,
			      on_response, c, NULL);
	if (rc) {
		log_warn("cannot reach the S-CSCF: %s", strerror(-rc));
		sipt_strans_reply_status(st, 503, "S-CSCF unreachable", NULL);
		ctx_free(c);
	}
out:
	buf_close(&authv);
	buf_close(&out);
}

/* RFC 3261 §16.3 item 5: a proxy refuses a Proxy-Require option it does
 * not understand with 420 listing them in Unsupported. This one knows
 * "path" (RFC 3327) and "gin" (RFC 6140: it proxies the GIN REGISTER of
 * an enterprise IMPU range unchanged; the registrar does the rest). */
static bool proxy_require_ok(struct pcscf *p, struct sipt_strans *st,
			     const struct sip_msg *req)
{
	struct sip_list_iter it = { 0 };
	char tag[SIPT_TAG_MAX];
	struct buf unsup, b;
	struct sv el;
	bool ok;

	buf_init(&unsup);
	while (sip_list_iter_next(req, SIP_HDR_PROXY_REQUIRE, &it, &el)) {
		if (sv_casecmp_cstr(el, "gin") || sv_casecmp_cstr(el, "path"))
			continue;
		buf_printf(&unsup, "%s%.*s", unsup.len ? ", " : "",
			   SV_ARG(el));
	}
	ok = !unsup.len;
	if (!ok) {
		log_info("REGISTER with Proxy-Require %s: 420", unsup.data);
		buf_init(&b);
		sipt_tag_new(p->sipt, tag);
		sipt_print_response_start(&b, st, 420, NULL, tag);
		sip_print_hdr(&b, "Unsupported",
			      (struct sv){ unsup.data, unsup.len });
		sip_print_end(&b, NULL, NULL, 0);
		sipt_strans_reply(st, b.data, b.len);
		buf_close(&b);
	}
	buf_close(&unsup);
	return ok;
}

static void on_request(struct sipt *s, struct sipt_strans *st,
		       const struct sip_msg *req, void *arg)
{
	struct pcscf *p = arg;
	int status = 0;

	if (!st)
		return; /* a stray ACK: nothing to do for a registrar path */
	switch (req->method) {
	case SIP_METHOD_REGISTER:
		break;
	case SIP_METHOD_OPTIONS:
		sipt_strans_reply_status(st, 200, NULL, NULL);
		return;
	default:
		sipt_strans_reply_status(
			st, 501, "pcscf-sim proxies REGISTER only", NULL);
		return;
	}
	if (sipt_proxy_check(s, req, &status)) {
		sipt_strans_reply_status(st, status, NULL, NULL);
		return;
	}
	if (!proxy_require_ok(p, st, req))
		return;
	if (p->conf->path_policy == PCSCF_PATH_REJECT &&
	    !sip_msg_has_option(req, SIP_HDR_SUPPORTED, "path")) {
		struct buf b;

		/* RFC 3327 §5.2: the UA must support Path for us to use it. */
		buf_init(&b);
		sipt_print_response_start(&b, st, 421, NULL, NULL);
		sip_print_hdr(&b, "Require", SV("path"));
		sip_print_end(&b, NULL, NULL, 0);
		sipt_strans_reply(st, b.data, b.len);
		buf_close(&b);
		return;
	}
	forward_register(p, st, req);
}

static void on_trace(struct sipt *s, enum sipt_dir dir, const char *transport,
		     const struct sockaddr *local, const struct sockaddr *peer,
		     const char *bytes, size_t len, void *arg)
{
	struct pcscf *p = arg;

	UNUSED(s);
	app_trace_sip(p->trace, dir == SIPT_SEND, transport, local, peer, bytes,
		      len);
}

static bool is_numeric_ip(const char *s)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

int pcscf_conf_check(const struct pcscf_conf *c, char *err, size_t n)
{
	char list_err[128];

	/* imstb has no DNS: every address in its config is numeric. */
	if (!is_numeric_ip(c->listen)) {
		snprintf(err, n, "listen: '%s' is not a numeric address",
			 c->listen);
		return -EINVAL;
	}
	if (!is_numeric_ip(c->scscf_host)) {
		snprintf(err, n, "scscf_host: '%s' is not a numeric address",
			 c->scscf_host);
		return -EINVAL;
	}
	if (app_addr_list_check(c->trusted_edges, list_err, sizeof(list_err))) {
		snprintf(err, n, "trusted_edges: %s", list_err);
		return -EINVAL;
	}
	return 0;
}

int pcscf_new(struct pcscf **out, uv_loop_t *loop,
	      const struct pcscf_conf *conf, struct trace *trace,
	      struct rng *rng)
{
	struct pcscf *p = xcalloc(1, sizeof(*p));
	struct sipt_conf sc = { 0 };
	int rc;

	p->conf = conf;
	p->loop = loop;
	p->trace = trace;
	p->rng = rng;
	hmap_init(&p->regs);
	rc = sipt_dest_set(&p->scscf,
			   conf->scscf_transport ? SIPT_TCP : SIPT_UDP,
			   conf->scscf_host, (uint16_t)conf->scscf_port);
	if (rc) {
		log_error("scscf_host: '%s' is not a numeric address",
			  conf->scscf_host);
		goto fail;
	}
	sc.udp_addr = sc.tcp_addr = conf->listen;
	sc.udp_port = sc.tcp_port = (uint16_t)conf->port;
	app_sipt_conf(&conf->sip, &sc);
	sc.rng = rng;
	sc.request_cb = on_request;
	sc.trace_cb = on_trace;
	sc.arg = p;
	app_sipt_fault(&sc, trace);
	rc = sipt_new(&p->sipt, loop, &sc);
	if (rc) {
		log_error("cannot listen on %s:%ld: %s", conf->listen,
			  conf->port, uv_strerror(rc));
		goto fail;
	}
	if (conf->path_uri[0])
		snprintf(p->path, sizeof(p->path), "<%s>", conf->path_uri);
	else
		snprintf(p->path, sizeof(p->path), "<sip:term@%s:%u;lr>",
			 conf->listen, sipt_port(p->sipt, SIPT_UDP));
	snprintf(p->icid_host, sizeof(p->icid_host), "%s", conf->listen);
	*out = p;
	return 0;
fail:
	hmap_close(&p->regs);
	free(p);
	return rc;
}

void pcscf_close(struct pcscf *p)
{
	struct hmap_iter it = { 0 };
	struct hmap_node *n;

	sipt_close(p->sipt, NULL, NULL);
	/* sipt_close drops the client transactions: no callback will come. */
	while (p->inflight)
		ctx_free(p->inflight);
	while ((n = hmap_iter_next(&p->regs, &it)))
		reg_free(p, hmap_entry(n, struct pcscf_reg, node));
	hmap_close(&p->regs);
	free(p);
}

uint16_t pcscf_port(const struct pcscf *p)
{
	return sipt_port(p->sipt, SIPT_UDP);
}

size_t pcscf_reg_count(const struct pcscf *p)
{
	return p->regs.count;
}
