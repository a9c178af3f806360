/* client.c - client-sim role: config keys, the UA table, commands, events. */
#include "client_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const transports[] = { "udp", "tcp", "ws", "wss", NULL };

/* clang-format off */
#define K(name, type, field, def, help, lo, hi, ch) \
	{ name, type, offsetof(struct client_conf, field), def, help, lo, hi, \
	  ch }
/* clang-format on */

const struct conf_key client_conf_keys[] = {
	APP_COMMON_KEYS(struct client_conf, "client"),
	K("pcscf_host", CONF_STR, pcscf_host, "127.0.0.1",
	  "the P-CSCF every request goes to (numeric address)", 0, 0, NULL),
	K("pcscf_port", CONF_INT, pcscf_port, "5060", "its SIP port", 1,
	  65535, NULL),
	K("transport", CONF_CHOICE, transport, "udp",
	  "udp or tcp towards the P-CSCF, or ws or wss (SIP over WebSocket, "
	  "RFC 7118) towards the WSF (register via= overrides it)",
	  0, 0, transports),
	K("listen", CONF_STR, listen, "127.0.0.1",
	  "our address for SIP over UDP and TCP (Via, Contact)", 0, 0, NULL),
	K("port", CONF_INT, port, "0", "our SIP port (0: chosen by the OS)", 0,
	  65535, NULL),
	K("home_domain", CONF_STR, home_domain, "ims.example.com",
	  "home network domain: Request-URI sip:<home_domain> and the realm "
	  "of the initial Authorization",
	  0, 0, NULL),
	K("expires", CONF_INT, expires, "600000",
	  "registration expiry the UE proposes, in seconds (TS 24.229 "
	  "5.1.1.2.1; register expires= overrides it)",
	  1, 2147483647, NULL),
	K("user_agent", CONF_STR, user_agent, "imstb client-sim",
	  "User-Agent header (empty: none)", 0, 0, NULL),
	K("t1_ms", CONF_INT, t1_ms, "500", "SIP timer T1", 1, 60000, NULL),
	K("t2_ms", CONF_INT, t2_ms, "4000", "SIP timer T2", 1, 600000, NULL),
	K("t4_ms", CONF_INT, t4_ms, "5000", "SIP timer T4", 1, 600000, NULL),
	K("tcp_idle_ms", CONF_INT, tcp_idle_ms, "120000",
	  "idle TCP connections are closed after this", 100, 86400000, NULL),
	K("max_conns", CONF_INT, max_conns, "1024", "open TCP connections", 1,
	  1000000, NULL),
	K("max_trans", CONF_INT, max_trans, "16384", "live SIP transactions", 1,
	  10000000, NULL),
	K("wsf_url", CONF_STR, wsf_url, "wss://127.0.0.1:7443",
	  "the WSF's WebSocket (register via=ws|wss without url=)", 0, 0,
	  NULL),
	K("wws_url", CONF_STR, wws_url, "https://127.0.0.1:8443",
	  "the WWS: base of `web` URLs starting with '/', and the Origin of "
	  "the WebSocket (RFC 6454) without origin=",
	  0, 0, NULL),
	K("ca_file", CONF_STR, ca_file, "",
	  "CA certificates (PEM) to verify the WWS and WSF with (empty: no "
	  "verification, for the testbed's self-signed certificates)",
	  0, 0, NULL),
	K("keylog_file", CONF_STR, keylog_file, "",
	  "append TLS session keys here (SSLKEYLOGFILE format, for "
	  "Wireshark); empty: off",
	  0, 0, NULL),
	K("http_timeout_ms", CONF_INT, http_timeout_ms, "10000",
	  "bound of one HTTP exchange with the WWS", 100, 600000, NULL),
	K("ws_ping_ms", CONF_INT, ws_ping_ms, "0",
	  "WebSocket ping interval towards the WSF (0: none)", 0, 86400000,
	  NULL),
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

/* ---- events -------------------------------------------------------------- */

json_t *client__jstr(struct sv s)
{
	json_t *j = s.p ? json_stringn(s.p, s.len) : json_string("");
	char *copy;

	if (j)
		return j;
	copy = xmalloc(s.len + 1);
	for (size_t i = 0; i < s.len; i++)
		copy[i] = s.p[i] >= 0x20 && s.p[i] < 0x7f ? s.p[i] : '?';
	copy[s.len] = '\0';
	j = json_string(copy);
	free(copy);
	return j;
}

void client__emit(struct client *c, json_t *ev)
{
	if (!ev) {
		log_error("internal: an event could not be encoded");
		return;
	}
	if (!c->closing && c->event_cb)
		c->event_cb(ev, c->event_arg);
	json_decref(ev);
}

void client__op_done(struct client *c)
{
	client_drained_cb *cb = c->drained_cb;

	if (c->closing || !c->draining || c->busy || !cb)
		return;
	c->drained_cb = NULL;
	cb(c->drained_arg);
}

/* ---- life cycle ---------------------------------------------------------- */

void client__handle_closed(struct client *c)
{
	if (--c->nhandles || !c->closing)
		return;
	hmap_close(&c->uas);
	tls_ctx_free(c->tls);
	free(c);
}

static void sipt_closed_cb(void *arg)
{
	client__handle_closed(arg);
}

/* A UE in this mode serves nothing: OPTIONS gets 200 (RFC 3261 §11.2),
 * anything else 501. */
static void on_request(struct sipt *s, struct sipt_strans *st,
		       const struct sip_msg *req, void *arg)
{
	UNUSED(s);
	UNUSED(arg);
	if (!st)
		return;
	if (req->method == SIP_METHOD_OPTIONS)
		sipt_strans_reply_status(st, 200, NULL, NULL);
	else
		sipt_strans_reply_status(st, 501, NULL, NULL);
}

static void on_trace(struct sipt *s, enum sipt_dir dir, const char *transport,
		     const struct sockaddr *local, const struct sockaddr *peer,
		     const char *bytes, size_t len, void *arg)
{
	struct client *c = arg;

	UNUSED(s);
	app_trace_sip(c->trace, dir == SIPT_SEND, transport, local, peer, bytes,
		      len);
}

int client_new(struct client **out, uv_loop_t *loop,
	       const struct client_conf *conf, struct trace *trace,
	       struct rng *rng, client_event_cb *cb, void *arg)
{
	struct client *c = xcalloc(1, sizeof(*c));
	struct sipt_conf sc = { 0 };
	struct sipt_dest d;
	int rc;

	*out = NULL;
	c->conf = conf;
	c->loop = loop;
	c->trace = trace;
	c->rng = rng;
	c->event_cb = cb;
	c->event_arg = arg;
	hmap_init(&c->uas);
	hmap_init(&c->webs);
	snprintf(c->ruri, sizeof(c->ruri), "sip:%s", conf->home_domain);
	rc = sipt_dest_set(&d, SIPT_UDP, conf->pcscf_host,
			   (uint16_t)conf->pcscf_port);
	if (rc) {
		log_error("pcscf_host: '%s' is not a numeric address",
			  conf->pcscf_host);
		goto fail;
	}
	sc.udp_addr = sc.tcp_addr = conf->listen;
	sc.udp_port = sc.tcp_port = (uint16_t)conf->port;
	sc.timers = (struct sipt_timers){ (unsigned)conf->t1_ms,
					  (unsigned)conf->t2_ms,
					  (unsigned)conf->t4_ms,
					  (unsigned)conf->tcp_idle_ms };
	sc.limits.max_conns = (unsigned)conf->max_conns;
	sc.limits.max_trans = (unsigned)conf->max_trans;
	sc.rng = rng;
	sc.request_cb = on_request;
	sc.trace_cb = on_trace;
	sc.arg = c;
	rc = sipt_new(&c->sipt, loop, &sc);
	if (rc) {
		log_error("cannot listen on %s:%ld: %s", conf->listen,
			  conf->port, uv_strerror(rc));
		goto fail;
	}
	c->nhandles = 1; /* the stack, until sipt_closed_cb */
	*out = c;
	return 0;
fail:
	hmap_close(&c->uas);
	hmap_close(&c->webs);
	free(c);
	return rc;
}

void client_close(struct client *c)
{
	struct hmap_iter it = { 0 };
	struct hmap_node *n;

	if (!c || c->closing)
		return;
	c->closing = true;
	/* Abandon the transactions before the stack drops them. */
	while ((n = hmap_iter_next(&c->uas, &it)))
		client__ua_drop(hmap_entry(n, struct client_ua, node));
	client__web_close(c);
	sipt_close(c->sipt, sipt_closed_cb, c);
}

void client_drain(struct client *c, client_drained_cb *cb, void *arg)
{
	c->draining = true;
	c->drained_cb = cb;
	c->drained_arg = arg;
	client__op_done(c);
}

/* ---- operations ---------------------------------------------------------- */

static struct client_ua *ua_find(const struct client *c, const char *name)
{
	struct hmap_node *n = hmap_find(&c->uas, sv_from_cstr(name));

	return n ? hmap_entry(n, struct client_ua, node) : NULL;
}

/* Names and identities go into JSON and SIP headers: printable ASCII. */
static bool printable(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return false;
	return true;
}

int client_register(struct client *c, const struct client_reg_args *a)
{
	struct client_ua *old, *ua;
	int err;

	if (c->closing || c->draining)
		return -ECANCELED;
	if (!printable(a->name) || !printable(a->impu) ||
	    !printable(a->impi) || !a->password ||
	    a->transport > CLIENT_TR_WSS)
		return -EINVAL;
	old = ua_find(c, a->name);
	if (old && (old->op != UA_OP_NONE || old->registered))
		return -EBUSY;
	ua = client__ua_new(c, a, &err);
	if (!ua)
		return err;
	if (old)
		client__ua_drop(old);
	client__ua_start(ua, UA_OP_REGISTER);
	return 0;
}

static int ua_op(struct client *c, const char *name, enum ua_op op)
{
	struct client_ua *ua;

	if (c->closing || c->draining)
		return -ECANCELED;
	ua = ua_find(c, name);
	if (!ua)
		return -ENOENT;
	if (ua->op != UA_OP_NONE)
		return -EBUSY;
	if (!ua->registered)
		return -EPROTO;
	client__ua_start(ua, op);
	return 0;
}

int client_refresh(struct client *c, const char *name)
{
	return ua_op(c, name, UA_OP_REFRESH);
}

int client_deregister(struct client *c, const char *name)
{
	return ua_op(c, name, UA_OP_DEREGISTER);
}

int client_drop(struct client *c, const char *name)
{
	struct client_ua *ua = ua_find(c, name);
	bool web = client__web_forget(c, name);

	if (ua)
		client__ua_drop(ua); /* closes its WebSocket, frees it */
	if (ua || web)
		client__op_done(c); /* busy may have dropped to 0 */
	return ua || web ? 0 : -ENOENT;
}

int client_forget(struct client *c, const char *name)
{
	struct client_ua *ua;
	json_t *ev;

	if (c->closing)
		return -ECANCELED;
	ua = ua_find(c, name);
	if (!ua)
		return -ENOENT;
	if (ua->op != UA_OP_NONE || ua->registered)
		return -EBUSY;
	ev = json_pack("{s:s,s:s}", "event", "forgotten", "ua", ua->name);
	client_drop(c, name);
	client__emit(c, ev);
	return 0;
}

uint16_t client_port(const struct client *c)
{
	return sipt_port(c->sipt, SIPT_UDP);
}

size_t client_ua_count(const struct client *c)
{
	return c->uas.count;
}

bool client_ua_registered(const struct client *c, const char *name)
{
	struct client_ua *ua = ua_find(c, name);

	return ua && ua->registered;
}

size_t client_busy_count(const struct client *c)
{
	return c->busy;
}

/* ---- commands ------------------------------------------------------------ */

#define CMD_MAX_ARGS 12

PRINTF_LIKE(4, 5)
static int cmd_error(struct client *c, const char *ua, int rc,
		     const char *fmt, ...)
{
	json_t *ev;
	struct buf b;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	ev = json_pack("{s:s,s:o}", "event", "error", "reason",
		       client__jstr((struct sv){ b.data, b.len }));
	if (ev && ua)
		json_object_set_new(ev, "ua", client__jstr(sv_from_cstr(ua)));
	buf_close(&b);
	client__emit(c, ev);
	return rc;
}

/* The words for a refusal of client_register/_refresh/_deregister. */
static int op_error(struct client *c, const char *name, int rc)
{
	switch (rc) {
	case -ENOENT:
		return cmd_error(c, name, rc, "no UA named %s", name);
	case -EBUSY:
		return cmd_error(c, name, rc,
				 "%s is busy or already registered", name);
	case -EPROTO:
		return cmd_error(c, name, rc, "%s is not registered", name);
	case -ECANCELED:
		return cmd_error(c, name, rc, "shutting down");
	default:
		return cmd_error(c, name, rc, "bad NAME, IMPU or IMPI");
	}
}

static int opt_value(const char *arg, const char *key, const char **val)
{
	size_t n = strlen(key);

	if (strncmp(arg, key, n) || arg[n] != '=')
		return -ENOENT;
	*val = arg + n + 1;
	return 0;
}

/* register's key=value options (one table, STYLE rule 12). */
static int reg_opt(struct client *c, struct client_reg_args *a,
		   const char *arg)
{
	static const char *const trs[] = { "udp", "tcp", "ws", "wss" };
	const char *v;
	uint64_t n;

	if (opt_value(arg, "expires", &v) == 0) {
		if (sv_to_u64(sv_from_cstr(v), INT32_MAX, &n) || !n)
			return cmd_error(c, a->name, -EINVAL,
					 "expires: not a number in "
					 "1..2147483647: '%s'", v);
		a->expires = (long)n;
	} else if (opt_value(arg, "transport", &v) == 0 ||
		   opt_value(arg, "via", &v) == 0) {
		a->transport = -1;
		for (size_t i = 0; i < ARRAY_SIZE(trs); i++)
			if (!strcmp(v, trs[i]))
				a->transport = (int)i;
		if (a->transport < 0)
			return cmd_error(c, a->name, -EINVAL,
					 "transport (via): udp, tcp, ws or "
					 "wss, not '%s'", v);
	} else if (opt_value(arg, "url", &v) == 0) {
		a->url = v;
	} else if (opt_value(arg, "origin", &v) == 0) {
		a->origin = v;
	} else if (opt_value(arg, "credential", &v) == 0) {
		if (strcmp(v, "terminate") && strcmp(v, "none"))
			return cmd_error(c, a->name, -EINVAL,
					 "credential: terminate or none, not "
					 "'%s'", v);
		a->terminate = !strcmp(v, "terminate");
	} else if (opt_value(arg, "auth", &v) == 0) {
		if (strcmp(v, "digest") && strcmp(v, "bearer"))
			return cmd_error(c, a->name, -EINVAL,
					 "auth: digest or bearer, not '%s'",
					 v);
		a->bearer = !strcmp(v, "bearer");
	} else if (opt_value(arg, "token", &v) == 0) {
		a->token = v;
	} else {
		return cmd_error(c, a->name, -EINVAL,
				 "unknown option '%s' (expires=N, "
				 "via=udp|tcp|ws|wss, url=, origin=, "
				 "credential=terminate, auth=digest|bearer, "
				 "token=)", arg);
	}
	return 0;
}

static int cmd_register(struct client *c, char **argv, int argc)
{
	struct client_reg_args a = { argv[0], argv[1], argv[2], argv[3], 0,
				     -1, NULL, NULL, false, false, NULL };
	int rc;

	for (int i = 4; i < argc; i++) {
		rc = reg_opt(c, &a, argv[i]);
		if (rc)
			return rc;
	}
	if (a.token)
		a.bearer = true;
	rc = client_register(c, &a);
	if (rc == -EINVAL && (a.url || a.origin || a.terminate || a.bearer ||
			      a.transport >= CLIENT_TR_WS))
		return cmd_error(c, a.name, rc,
				 "bad WebRTC options: url= must be ws:// "
				 "(via=ws) or wss:// (via=wss) with a numeric "
				 "host; credential=terminate needs via=wss; "
				 "url=, origin=, auth= need via=ws|wss");
	if (rc == -ENOENT && a.bearer)
		return cmd_error(c, a.name, rc,
				 "auth=bearer: no token (token=, or `web %s "
				 "login` first)", a.name);
	return rc ? op_error(c, a.name, rc) : 0;
}

static int cmd_refresh(struct client *c, char **argv, int argc)
{
	int rc = client_refresh(c, argv[0]);

	UNUSED(argc);
	return rc ? op_error(c, argv[0], rc) : 0;
}

static int cmd_deregister(struct client *c, char **argv, int argc)
{
	int rc = client_deregister(c, argv[0]);

	UNUSED(argc);
	return rc ? op_error(c, argv[0], rc) : 0;
}

static int cmd_forget(struct client *c, char **argv, int argc)
{
	int rc = client_forget(c, argv[0]);

	UNUSED(argc);
	if (rc == -EBUSY)
		return cmd_error(c, argv[0], rc,
				 "%s is busy or registered", argv[0]);
	return rc ? op_error(c, argv[0], rc) : 0;
}

/* web NAME get URL | web NAME login URL ID PASSWORD */
static int cmd_web(struct client *c, char **argv, int argc)
{
	bool get = !strcmp(argv[1], "get");
	int rc;

	if (!(get && argc == 3) && !(!strcmp(argv[1], "login") && argc == 5))
		return cmd_error(c, NULL, -EINVAL,
				 "usage: web NAME get URL | web NAME login "
				 "URL ID PASSWORD");
	rc = get ? client_web_get(c, argv[0], argv[2])
		 : client_web_login(c, argv[0], argv[2], argv[3], argv[4]);
	switch (rc) {
	case 0:
		return 0;
	case -EBUSY:
		return cmd_error(c, argv[0], rc, "%s: a web request is in "
				 "flight", argv[0]);
	case -ECANCELED:
		return cmd_error(c, argv[0], rc, "shutting down");
	default:
		return cmd_error(c, argv[0], rc,
				 "bad NAME, ID or URL '%s' (http:// or "
				 "https:// with a numeric host, or a path "
				 "after wws_url)",
				 argv[2]);
	}
}

static int cmd_quit(struct client *c, char **argv, int argc)
{
	UNUSED(c);
	UNUSED(argv);
	UNUSED(argc);
	return 1;
}

static const struct {
	const char *name;
	int min, max; /* arguments after the command word */
	int (*run)(struct client *c, char **argv, int argc);
	const char *usage;
} cmds[] = {
	{ "register", 4, 11, cmd_register,
	  "register NAME IMPU IMPI PASSWORD [expires=N] "
	  "[via=udp|tcp|ws|wss] [url=WSF-URL] [origin=ORIGIN] "
	  "[credential=terminate] [auth=digest|bearer] [token=JWT]" },
	{ "refresh", 1, 1, cmd_refresh, "refresh NAME" },
	{ "deregister", 1, 1, cmd_deregister, "deregister NAME" },
	{ "forget", 1, 1, cmd_forget, "forget NAME" },
	{ "web", 3, 5, cmd_web,
	  "web NAME get URL | web NAME login URL ID PASSWORD" },
	{ "quit", 0, 0, cmd_quit, "quit" },
};

int client_command(struct client *c, const char *line, size_t len)
{
	char text[CLIENT_LINE_MAX + 1], *argv[CMD_MAX_ARGS + 1], *p;
	int argc = 0;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len > CLIENT_LINE_MAX)
		return cmd_error(c, NULL, -EMSGSIZE,
				 "command longer than %d bytes",
				 CLIENT_LINE_MAX);
	memcpy(text, line, len);
	text[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 && text[i] != '\t')
			return cmd_error(c, NULL, -EINVAL,
					 "control character in command");
	for (p = text; *p;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		if (argc == CMD_MAX_ARGS + 1)
			return cmd_error(c, NULL, -EINVAL, "too many words");
		argv[argc++] = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = '\0';
	}
	if (!argc || argv[0][0] == '#')
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strcmp(argv[0], cmds[i].name))
			continue;
		if (argc - 1 < cmds[i].min || argc - 1 > cmds[i].max)
			return cmd_error(c, NULL, -EINVAL, "usage: %s",
					 cmds[i].usage);
		return cmds[i].run(c, argv + 1, argc - 1);
	}
	return cmd_error(c, NULL, -EINVAL,
			 "unknown command '%s' (register, refresh, "
			 "deregister, forget, web, quit)", argv[0]);
}

int client_command_argv(struct client *c, int argc, char *const *argv)
{
	struct buf line;
	int rc;

	buf_init(&line);
	for (int i = 0; i < argc; i++)
		buf_printf(&line, "%s%s", i ? " " : "", argv[i]);
	rc = client_command(c, line.len ? line.data : "", line.len);
	buf_close(&line);
	return rc;
}

void client_report_error(struct client *c, const char *reason)
{
	cmd_error(c, NULL, 0, "%s", reason);
}
