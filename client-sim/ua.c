/*
 * ua.c - one IMS UE's registration (TS 24.229 §5.1.1): REGISTER building,
 * the Digest answer, 200 OK processing and the refresh timer.
 */
#include "client_int.h"

#include "digest/digest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[] = { "none", "register", "refresh",
					"deregister" };

/* Algorithms we can answer (RFC 8760 §2.4: take the first one offered). */
#define UA_ALGS (DIGEST_ALG_BIT(DIGEST_ALG_MD5) | \
		 DIGEST_ALG_BIT(DIGEST_ALG_SHA256))
#define UA_MAX_CHAL 8

static void ua_free(struct client_ua *ua)
{
	free(ua->name);
	free(ua->impu);
	free(ua->impi);
	free(ua->password);
	free(ua->contact_uri);
	free(ua->chal);
	free(ua->route_set);
	free(ua->origin);
	free(ua->via_host);
	free(ua->token);
	json_decref(ua->service_route);
	json_decref(ua->assoc_uris);
	free(ua);
}

static void ua_closed_cb(uv_handle_t *h)
{
	struct client_ua *ua = h->data;
	struct client *c = ua->c;

	ua_free(ua);
	client__handle_closed(c);
}

static void uuid_print(struct rng *rng, char *out, size_t n)
{
	unsigned char u[16];

	rng_fill(rng, u, sizeof(u));
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, n,
		 "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* WebRTC mode (RFC 7118 §5.2, as JsSIP and SIP.js do): the WSF, the
 * Origin, a random .invalid host for Via and Contact, a token. */
static int ua_web_init(struct client_ua *ua, const struct client_reg_args *a)
{
	struct client *c = ua->c;
	struct client_url w;
	const char *why = "", *tok;
	char host[13], user[9];
	struct buf b;

	if (client__url_parse(&ua->wsf, a->url ? a->url : c->conf->wsf_url,
			      NULL, &why) ||
	    (strcmp(ua->wsf.scheme, "ws") && strcmp(ua->wsf.scheme, "wss")) ||
	    ua->wsf.tls != (ua->tr == CLIENT_TR_WSS))
		return -EINVAL;
	/* X-IMS-Credential carries a password: never in clear text. */
	if (a->terminate && ua->tr != CLIENT_TR_WSS)
		return -EINVAL;
	if (a->origin) {
		ua->origin = xstrdup(a->origin);
	} else if (client__url_parse(&w, c->conf->wws_url, NULL, &why) == 0) {
		buf_init(&b);
		buf_printf(&b, "%s://%s", w.scheme, w.authority);
		ua->origin = buf_steal(&b, NULL);
	} else {
		ua->origin = xstrdup("");
	}
	if (strpbrk(ua->origin, "\r\n"))
		return -EINVAL;
	ua->terminate = a->terminate;
	ua->bearer = a->bearer;
	if (a->bearer) {
		tok = a->token ? a->token : client__web_token(c, a->name);
		if (!tok || !*tok || strpbrk(tok, " \t\r\n"))
			return -ENOENT;
		ua->token = xstrdup(tok);
		ua->token_web = !a->token;
	}
	rng_hex(c->rng, host, 12);
	rng_hex(c->rng, user, 8);
	buf_init(&b);
	buf_printf(&b, "%s.invalid", host);
	ua->via_host = buf_steal(&b, NULL);
	buf_init(&b);
	buf_printf(&b, "sip:%s@%s;transport=ws", user, ua->via_host);
	ua->contact_uri = buf_steal(&b, NULL);
	return sipt_dest_set(&ua->dest,
			     ua->tr == CLIENT_TR_WS ? SIPT_WS : SIPT_WSS,
			     ua->wsf.host, ua->wsf.port);
}

struct client_ua *client__ua_new(struct client *c,
				 const struct client_reg_args *a, int *err)
{
	const struct client_conf *conf = c->conf;
	int tr = a->transport < 0 ? conf->transport : a->transport;
	enum sipt_proto proto = tr == CLIENT_TR_TCP ? SIPT_TCP : SIPT_UDP;
	bool v6 = strchr(conf->listen, ':') != NULL;
	struct client_ua *ua;
	struct sip_uri u;
	struct buf b;
	char hex[25];

	*err = -EINVAL;
	if (sip_uri_parse(&u, sv_from_cstr(a->impu), NULL) ||
	    strpbrk(a->impu, "<>\"") || !a->impi[0])
		return NULL;
	if ((a->terminate || a->bearer || a->url || a->origin) &&
	    tr < CLIENT_TR_WS)
		return NULL;
	ua = xcalloc(1, sizeof(*ua));
	ua->c = c;
	ua->tr = tr;
	ua->name = xstrdup(a->name);
	ua->impu = xstrdup(a->impu);
	ua->impi = xstrdup(a->impi);
	ua->password = xstrdup(a->password);
	ua->expires_req = a->expires > 0 ? a->expires : conf->expires;
	if (tr >= CLIENT_TR_WS) {
		*err = ua_web_init(ua, a);
		if (*err) {
			ua_free(ua);
			return NULL;
		}
	} else if (sipt_dest_set(&ua->dest, proto, conf->pcscf_host,
				 (uint16_t)conf->pcscf_port)) {
		ua_free(ua);
		return NULL;
	} else {
		/* The Contact names this UE's own address (RFC 3261
		 * §10.2.1) with the user part of its IMPU (a tel URI's
		 * number works as a user). */
		buf_init(&b);
		buf_puts(&b, "sip:");
		if (u.user.len)
			buf_printf(&b, "%.*s@", SV_ARG(u.user));
		buf_printf(&b, "%s%s%s:%u;transport=%s", v6 ? "[" : "",
			   conf->listen, v6 ? "]" : "",
			   sipt_port(c->sipt, proto),
			   proto == SIPT_TCP ? "tcp" : "udp");
		ua->contact_uri = buf_steal(&b, NULL);
	}
	rng_hex(c->rng, hex, 24);
	snprintf(ua->call_id, sizeof(ua->call_id), "%s@%s", hex,
		 ua->via_host ? ua->via_host : conf->listen);
	sipt_tag_new(c->sipt, ua->from_tag);
	uuid_print(c->rng, ua->instance, sizeof(ua->instance));
	ua->service_route = json_array();
	ua->assoc_uris = json_array();
	uv_timer_init(c->loop, &ua->timer);
	ua->timer.data = ua;
	c->nhandles++;
	hmap_insert(&c->uas, &ua->node, sv_from_cstr(ua->name));
	*err = 0;
	return ua;
}

void client__ua_drop(struct client_ua *ua)
{
	struct client *c = ua->c;

	if (ua->ct) {
		sipt_ctrans_abandon(ua->ct);
		ua->ct = NULL;
	}
	if (ua->op != UA_OP_NONE) {
		ua->op = UA_OP_NONE;
		c->busy--;
	}
	ua->wait_flow = false;
	client__wsflow_close(ua->flow);
	ua->flow = NULL;
	hmap_remove(&c->uas, &ua->node);
	uv_close((uv_handle_t *)&ua->timer, ua_closed_cb);
}

/* ---- building the REGISTER -------------------------------------------- */

/* Authorization: the answer to the kept challenge with the next nc (RFC
 * 7616 §3.4: a reused nonce needs a higher nonce-count), or the IMS
 * initial form when there is none yet (24.229 §5.1.1.2.2). */
static int auth_print(struct client_ua *ua, struct buf *b)
{
	struct client *c = ua->c;
	struct digest_chal ch;
	int rc;

	if (ua->bearer) {
		/* RFC 8898 / RFC 6750 §2.1 (issue [token]). A refresh or a
		 * de-registration after a new web login carries the fresh
		 * token (TR 23.701 6.X.2.1.2.1: the WSF checks each one). */
		const char *t = ua->token_web ? client__web_token(c, ua->name)
					      : NULL;

		buf_printf(b, "Bearer %s", t && *t ? t : ua->token);
		return 0;
	}
	if (!ua->chal) {
		digest_auth_print_initial(b, sv_from_cstr(ua->impi),
					  sv_from_cstr(c->conf->home_domain));
		return 0;
	}
	rc = digest_chal_parse(&ch, sv_from_cstr(ua->chal), NULL);
	if (rc)
		return rc;
	return digest_auth_print(b, &ch,
				 &(struct digest_answer){
					 .username = sv_from_cstr(ua->impi),
					 .password = sv_from_cstr(ua->password),
					 .method = SV("REGISTER"),
					 .uri = sv_from_cstr(c->ruri),
					 .nc = ++ua->nc,
				 },
				 c->rng);
}

static void ua_fail(struct client_ua *ua, int status, struct sv reason);
static void on_response(struct sipt *s, struct sipt_ctrans *ct,
			const struct sip_msg *resp, int err, void *arg);

/* X-IMS-Credential (issue [webrtc], NOTE 3): the IMS credential handed to
 * the WSF, which answers the 401 itself; values as quoted-strings. */
static void credential_print(struct buf *b, const struct client_ua *ua)
{
	const char *v[2] = { ua->impi, ua->password };

	buf_puts(b, "X-IMS-Credential: ");
	for (int i = 0; i < 2; i++) {
		buf_puts(b, i ? ", password=\"" : "impi=\"");
		for (const char *p = v[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_puts(b, "\\");
			buf_append(b, p, 1);
		}
		buf_puts(b, "\"");
	}
	buf_puts(b, "\r\n");
}

/* Is the UA's WebSocket ready? If not, opens it (the REGISTER goes once
 * it is, client__ua_flow_event). */
static int flow_ready(struct client_ua *ua, bool *ready)
{
	int rc = 0;

	*ready = client__wsflow_ready(ua->flow);
	if (*ready) {
		ua->dest.flow = client__wsflow_sipt(ua->flow);
		return 0;
	}
	if (!ua->flow)
		rc = client__wsflow_open(ua);
	ua->wait_flow = rc == 0;
	return rc;
}

/* Sends the next REGISTER of the current op (RFC 3261 §10.2: same
 * Call-ID, CSeq + 1, a new branch). A failure ends the op. */
static void ua_send(struct client_ua *ua)
{
	struct client *c = ua->c;
	bool dereg = ua->op == UA_OP_DEREGISTER, web = ua->tr >= CLIENT_TR_WS;
	bool ready = true;
	char branch[SIPT_BRANCH_MAX];
	struct buf b, auth;
	int rc;

	buf_init(&b);
	buf_init(&auth);
	rc = web ? flow_ready(ua, &ready) : 0;
	if (rc || !ready)
		goto out;
	rc = auth_print(ua, &auth);
	if (rc)
		goto out;
	sip_print_request_line(&b, "REGISTER", sv_from_cstr(c->ruri));
	sipt_branch_new(c->sipt, branch);
	if (web) /* RFC 7118 §5.2: the sent-by is never resolved */
		buf_printf(&b, "Via: SIP/2.0/%s %s;branch=%s;rport\r\n",
			   sipt_proto_name(ua->dest.proto), ua->via_host,
			   branch);
	else
		sipt_via_print(c->sipt, &b, ua->dest.proto, branch);
	sip_print_hdrf(&b, "Max-Forwards", "70");
	sip_print_hdrf(&b, "From", "<%s>;tag=%s", ua->impu, ua->from_tag);
	sip_print_hdrf(&b, "To", "<%s>", ua->impu);
	sip_print_hdrf(&b, "Call-ID", "%s", ua->call_id);
	sip_print_hdrf(&b, "CSeq", "%u REGISTER", ++ua->cseq);
	/* RFC 5626 §4.2: a WebRTC client registers a flow (reg-id). */
	sip_print_hdrf(&b, "Contact",
		       "<%s>;expires=%ld;+sip.instance=\"<%s>\"%s",
		       ua->contact_uri, dereg ? 0L : ua->expires_req,
		       ua->instance, web ? ";reg-id=1" : "");
	if (dereg)
		sip_print_hdrf(&b, "Expires", "0");
	sip_print_hdr(&b, "Authorization", (struct sv){ auth.data, auth.len });
	if (ua->terminate)
		credential_print(&b, ua);
	/* 24.229 §5.1.1.2.1 g): the UE says it supports Path (RFC 3327);
	 * over a WebSocket, outbound too (RFC 5626 §4.2.1). */
	sip_print_hdrf(&b, "Supported", web ? "path, outbound" : "path");
	if (c->conf->user_agent[0])
		sip_print_hdrf(&b, "User-Agent", "%s", c->conf->user_agent);
	sip_print_end(&b, NULL, NULL, 0);
	rc = sipt_ctrans_send(c->sipt, &ua->dest, b.data, b.len, on_response,
			      ua, &ua->ct);
out:
	buf_close(&b);
	buf_close(&auth);
	if (rc) {
		log_warn("%s: cannot send REGISTER: %s", ua->name,
			 strerror(-rc));
		ua->ct = NULL;
		ua_fail(ua, 0, sv_from_cstr(strerror(-rc)));
	}
}

void client__ua_flow_event(struct client_ua *ua, int err)
{
	struct client_wsflow *f = ua->flow;
	bool waiting = ua->wait_flow;
	char why[160];

	ua->wait_flow = false;
	if (!err) {
		if (waiting)
			ua_send(ua);
		return;
	}
	/* The flow is gone: a later op opens a new one (RFC 5626 §4.4). */
	ua->flow = NULL;
	ua->dest.flow = NULL;
	client__wsflow_close(f);
	snprintf(why, sizeof(why), "WebSocket to %s: %s", ua->wsf.authority,
		 err == -EPROTO ? "handshake refused or TLS failure"
				: strerror(-err));
	if (waiting)
		ua_fail(ua, 0, sv_from_cstr(why));
	else if (ua->registered)
		log_warn("%s: %s", ua->name, why);
}

void client__ua_start(struct client_ua *ua, enum ua_op op)
{
	ua->op = op;
	ua->answered = false;
	ua->stale_used = false;
	ua->min_exp_used = false;
	ua->c->busy++;
	if (op == UA_OP_REGISTER) {
		/* A new registration starts from the initial form. */
		free(ua->chal);
		ua->chal = NULL;
		ua->nc = 0;
	}
	log_debug("%s: %s", ua->name, op_names[op]);
	ua_send(ua);
}

/* ---- outcomes ----------------------------------------------------------- */

/* Ends the op: state first, then the event (whose callback may close the
 * client), then the drain check. */
static void ua_end(struct client_ua *ua, json_t *ev)
{
	struct client *c = ua->c;

	ua->op = UA_OP_NONE;
	ua->ct = NULL;
	c->busy--;
	client__emit(c, ev);
	client__op_done(c);
}

static void refresh_cb(uv_timer_t *t);

static void ua_fail(struct client_ua *ua, int status, struct sv reason)
{
	enum ua_op op = ua->op;

	if (op != UA_OP_DEREGISTER) {
		ua->registered = false;
		uv_timer_stop(&ua->timer);
	} else if (!uv_is_active((uv_handle_t *)&ua->timer)) {
		/* Still registered: a refresh that fell due meanwhile. */
		uv_timer_start(&ua->timer, refresh_cb, 0, 0);
	}
	log_info("%s: %s failed: %d %.*s", ua->name, op_names[op], status,
		 SV_ARG(reason));
	ua_end(ua, json_pack("{s:s,s:s,s:s,s:i,s:o}", "event", "failed",
			     "ua", ua->name, "op", op_names[op], "status",
			     status, "reason", client__jstr(reason)));
}

static void refresh_cb(uv_timer_t *t)
{
	struct client_ua *ua = t->data;
	struct client *c = ua->c;

	/* A busy UA reschedules when its op ends; a draining client
	 * starts nothing new. */
	if (c->closing || c->draining || ua->op != UA_OP_NONE ||
	    !ua->registered)
		return;
	client__ua_start(ua, UA_OP_REFRESH);
}

/* 24.229 §5.1.1.4.1: refresh 600 s before expiry when the registration
 * lasts more than 1200 s, else when half of it has passed. */
static uint64_t refresh_delay_ms(long expires)
{
	if (expires > 1200)
		return (uint64_t)(expires - 600) * 1000u;
	return (uint64_t)expires * 500u;
}

/* Appends every element's URI of a list header to arr; joined (full
 * values) into *joined when not NULL. */
static void uri_list(const struct sip_msg *m, enum sip_hdr_id id, json_t *arr,
		     char **joined)
{
	struct sip_list_iter it = { 0 };
	struct sv el;
	struct buf b;

	buf_init(&b);
	json_array_clear(arr);
	while (sip_list_iter_next(m, id, &it, &el)) {
		struct sip_addr a;

		if (sip_addr_parse(&a, el, NULL) || a.star)
			continue;
		json_array_append_new(arr, client__jstr(a.uri_str));
		buf_printf(&b, "%s%.*s", b.len ? ", " : "", SV_ARG(el));
	}
	if (joined) {
		free(*joined);
		*joined = b.len ? buf_steal(&b, NULL) : NULL;
	}
	buf_close(&b);
}

/* Our binding's expires in a 200 (RFC 3261 §10.2.4: the registrar lists
 * every binding; ours is the one with our Contact URI or instance), else
 * the Expires header, else what we asked. -ENOENT: our Contact is absent
 * (de-registered). *count gets the number of bindings. */
static int granted_expires(const struct client_ua *ua,
			   const struct sip_msg *m, long *out, size_t *count)
{
	const struct sip_hdr *h = sip_hdr_find(m, SIP_HDR_EXPIRES);
	struct sip_list_iter it = { 0 };
	struct sip_uri mine;
	struct sv el, v;
	uint64_t n;
	int rc = -ENOENT;

	*count = 0;
	*out = ua->expires_req;
	if (h && sv_to_u64(sv_trim(h->value), INT32_MAX, &n) == 0)
		*out = (long)n;
	if (sip_uri_parse(&mine, sv_from_cstr(ua->contact_uri), NULL))
		return -EINVAL;
	while (sip_list_iter_next(m, SIP_HDR_CONTACT, &it, &el)) {
		struct sip_addr a;
		bool ours;

		if (sip_addr_parse(&a, el, NULL) || a.star)
			continue;
		(*count)++;
		ours = sip_uri_eq(&a.uri, &mine);
		if (!ours &&
		    sip_param_get(a.params, "+sip.instance", &v) == 0) {
			v = sv_trim(v);
			if (v.len > 2 && v.p[0] == '<') {
				v.p++;
				v.len -= 2;
			}
			ours = sv_eq_cstr(v, ua->instance);
		}
		if (!ours || rc == 0)
			continue;
		rc = 0;
		if (sip_param_get(a.params, "expires", &v) == 0 &&
		    sv_to_u64(v, INT32_MAX, &n) == 0)
			*out = (long)n;
	}
	return rc;
}

static void ua_ok(struct client_ua *ua, const struct sip_msg *m)
{
	enum ua_op op = ua->op;
	size_t count;
	long exp;

	granted_expires(ua, m, &exp, &count);
	if (op == UA_OP_DEREGISTER) {
		ua->registered = false;
		uv_timer_stop(&ua->timer);
		log_info("%s: de-registered", ua->name);
		ua_end(ua, json_pack("{s:s,s:s,s:i,s:I}", "event",
				     "deregistered", "ua", ua->name, "status",
				     200, "contacts", (json_int_t)count));
		return;
	}
	if (exp <= 0) {
		ua_fail(ua, 200, SV("No binding granted"));
		return;
	}
	ua->registered = true;
	ua->expires = exp;
	uri_list(m, SIP_HDR_SERVICE_ROUTE, ua->service_route, &ua->route_set);
	uri_list(m, SIP_HDR_P_ASSOCIATED_URI, ua->assoc_uris, NULL);
	uv_timer_start(&ua->timer, refresh_cb, refresh_delay_ms(exp), 0);
	log_info("%s: %s for %ld s", ua->name,
		 op == UA_OP_REFRESH ? "refreshed" : "registered", exp);
	ua_end(ua, json_pack("{s:s,s:s,s:i,s:I,s:O,s:O,s:I}", "event",
			     op == UA_OP_REFRESH ? "refreshed" : "registered",
			     "ua", ua->name, "status", 200, "expires",
			     (json_int_t)exp, "service_route",
			     ua->service_route, "associated_uris",
			     ua->assoc_uris, "contacts", (json_int_t)count));
}

/* RFC 3261 §22.2 / 24.229 §5.1.1.2.2: answer a 401. */
static void ua_challenged(struct client_ua *ua, const struct sip_msg *m)
{
	struct sv vals[UA_MAX_CHAL];
	struct digest_chal ch;
	const struct sip_hdr *h;
	size_t n = 0, idx = 0;

	/* A token was refused (RFC 6750 §3.1): only a new web login helps,
	 * and a token client holds no IMS password to answer Digest. */
	if (ua->bearer) {
		ua_fail(ua, 401, m->reason);
		return;
	}
	for (h = sip_hdr_find(m, SIP_HDR_WWW_AUTHENTICATE);
	     h && n < UA_MAX_CHAL; h = sip_hdr_next(m, h))
		vals[n++] = h->value;
	if (digest_chal_select(&ch, &idx, vals, n, UA_ALGS)) {
		ua_fail(ua, 401, SV("No supported challenge"));
		return;
	}
	if (ua->answered) {
		/* Challenged right after answering: the password is wrong,
		 * unless the server only found our nonce stale (RFC 7616
		 * §3.3), which is answered once. */
		if (!ch.stale || ua->stale_used) {
			ua_fail(ua, 401, SV("Wrong credentials"));
			return;
		}
		ua->stale_used = true;
	}
	free(ua->chal);
	ua->chal = sv_dup(vals[idx]);
	ua->nc = 0;
	ua->answered = true;
	ua_send(ua);
}

/* RFC 3261 §10.2.8: 423 Interval Too Brief, retry once with Min-Expires. */
static void ua_too_brief(struct client_ua *ua, const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_hdr_find(m, SIP_HDR_MIN_EXPIRES);
	uint64_t n;

	if (ua->min_exp_used || ua->op == UA_OP_DEREGISTER || !h ||
	    sv_to_u64(sv_trim(h->value), INT32_MAX, &n) || n == 0) {
		ua_fail(ua, m->status, m->reason);
		return;
	}
	ua->min_exp_used = true;
	ua->expires_req = (long)n;
	ua_send(ua);
}

static void on_response(struct sipt *s, struct sipt_ctrans *ct,
			const struct sip_msg *resp, int err, void *arg)
{
	struct client_ua *ua = arg;

	UNUSED(s);
	UNUSED(ct);
	if (resp->status < 200)
		return;
	ua->ct = NULL;
	if (err == -ETIMEDOUT) {
		ua_fail(ua, 408, SV("Request Timeout"));
		return;
	}
	if (err) {
		ua_fail(ua, 0, sv_from_cstr(strerror(-err)));
		return;
	}
	switch (resp->status) {
	case 200:
		ua_ok(ua, resp);
		break;
	case 401:
		ua_challenged(ua, resp);
		break;
	case 423:
		ua_too_brief(ua, resp);
		break;
	default:
		ua_fail(ua, resp->status, resp->reason);
		break;
	}
}
