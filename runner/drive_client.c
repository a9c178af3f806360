/*
 * drive_client.c - the client-sim side of a run: the `client` actions
 * turned into its stdin commands (with the URLs of the run's wws and wsf),
 * its JSON events read back for `wait client`, and the tokens the runner
 * forges itself (`client USER token forge KIND`, forge.h) for
 * `register ... token=$forged`.
 */
#include "drive_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "forge.h"
#include "token/token.h"

/* ---- the client's events ----------------------------------------------------
 */

int drive__client_pump(struct drv *d, int ms)
{
	struct pollfd pfd = { .fd = d->client->out_fd, .events = POLLIN };
	char chunk[4096];
	ssize_t n;
	char *nl;

	if (pfd.fd < 0)
		return -ECHILD;
	if (poll(&pfd, 1, ms) < 0)
		return errno == EINTR ? -EINTR : -errno;
	while ((n = read(pfd.fd, chunk, sizeof(chunk))) > 0)
		buf_append(&d->cin, chunk, (size_t)n);
	while (d->cin.len && (nl = memchr(d->cin.data, '\n', d->cin.len))) {
		json_t *ev;

		*nl = '\0';
		ev = json_loads(d->cin.data, 0, NULL);
		if (ev && json_is_object(ev)) {
			d->evq = xrealloc(d->evq,
					  (d->nevq + 1) * sizeof(json_t *));
			d->evq[d->nevq++] = ev;
		} else {
			json_decref(ev);
		}
		buf_consume(&d->cin, (size_t)(nl - d->cin.data) + 1);
	}
	return n == 0 ? -ECHILD : 0;
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* ---- actions ----------------------------------------------------------------
 */

/* Does a setting of the action equal w ("via=ws"), or start with it when
 * w ends with '=' ("url=")? */
static bool has_kv(const struct scn_action *a, const char *w)
{
	size_t n = strlen(w);

	for (size_t i = 0; i < a->nkv; i++)
		if (w[n - 1] == '=' ? !strncmp(a->kv[i], w, n)
				    : !strcmp(a->kv[i], w))
			return true;
	return false;
}

/* The WWS node an action talks to: its trailing `at=NODE` (the parser
 * put it last), else wws; *nkv (if not NULL) gets the other settings. */
static const char *at_node(const struct scn_action *a, size_t *nkv)
{
	bool at = a->nkv && !strncmp(a->kv[a->nkv - 1], "at=", 3);

	if (nkv)
		*nkv = a->nkv - at;
	return at ? a->kv[a->nkv - 1] + 3 : "wws";
}

/* A setting of that WWS node: the scenario's `config NODE` lines (the
 * last one wins, as --set does), else its kind's presets, else def. */
static const char *wws_conf(struct drv *d, const char *node, const char *key,
			    const char *def)
{
	const struct launch_kind *k = launch_kind_find(node);
	size_t n = strlen(key);
	const char *v = def;

	for (size_t i = 0; k && i < LAUNCH_PRESETS && k->presets[i]; i++)
		if (!strncmp(k->presets[i], key, n) && k->presets[i][n] == '=')
			v = k->presets[i] + n + 1;
	for (size_t i = 0; i < d->s->nconfs; i++)
		if (!strcmp(d->s->confs[i].node, node) &&
		    !strncmp(d->s->confs[i].kv, key, n) &&
		    d->s->confs[i].kv[n] == '=')
			v = d->s->confs[i].kv + n + 1;
	return v;
}

static bool truthy(const char *v)
{
	return !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") ||
	       !strcmp(v, "1");
}

static const char *forged_get(struct drv *d, const char *user)
{
	for (size_t i = 0; i < d->nforged; i++)
		if (!strcmp(d->forged[i].user, user))
			return d->forged[i].jwt;
	return NULL;
}

static void forged_set(struct drv *d, const char *user, char *jwt)
{
	size_t i;

	for (i = 0; i < d->nforged && strcmp(d->forged[i].user, user); i++)
		;
	if (i == d->nforged) {
		d->forged = xrealloc(d->forged,
				     (d->nforged + 1) * sizeof(*d->forged));
		snprintf(d->forged[d->nforged].user, SCN_NAME_LEN, "%s", user);
		d->forged[d->nforged++].jwt = NULL;
	}
	free(d->forged[i].jwt);
	d->forged[i].jwt = jwt;
}

/* `client USER token forge KIND [at=NODE]`: a token as the run's WWS
 * (or wws-ent) would sign it (its key, issuer, audience, lifetime,
 * claims), broken as KIND says. */
static int act_forge(struct drv *d, const struct scn_action *a,
		     const struct scn_user *u, struct buf *why)
{
	const char *node = at_node(a, NULL);
	struct launch_proc *wws = drive__proc_find(d, node);
	const char *dom = wws_conf(d, node, "domain", "web.example.com");
	char key[PATH_MAX + 32], iss[64], err[256] = "";
	struct buf sub, osub;
	struct forge_in in;
	enum token_alg alg;
	char *jwt = NULL;
	int rc;

	if (!wws ||
	    token_alg_parse(wws_conf(d, node, "token_alg", "ES256"), &alg)) {
		buf_printf(why, wws ? "the %s's token_alg is not ES256, RS256 "
				      "or HS256"
				    : "the %s is not in the run",
			   node);
		return -EINVAL;
	}
	/* Where the launcher told the wws to keep its key (launch.c). */
	snprintf(key, sizeof(key), "%s/%s/signing.pem", d->dir, node);
	snprintf(iss, sizeof(iss), "https://127.0.0.1:%u", wws->port);
	buf_init(&sub);
	buf_init(&osub);
	buf_printf(&sub, "%s@%s", u->name, dom);
	in = (struct forge_in){
		.kind = a->kv[0],
		.alg = (int)alg,
		.key = alg == TOKEN_HS256
			       ? wws_conf(d, node, "hs256_secret", "")
			       : wws_conf(d, node, "signing_key", key),
		.kid = wws_conf(d, node, "token_kid", ""),
		.iss = wws_conf(d, node, "issuer", iss),
		.aud = wws_conf(d, node, "audience", "wsf"),
		.ttl_s = strtol(wws_conf(d, node, "token_ttl_s", "300"), NULL,
				10),
		.ims_claims = truthy(
			wws_conf(d, node, "token_ims_claims", "false")),
		.sub = sub.data,
		.impu = u->impu,
		.impi = u->impi,
		.now = (int64_t)time(NULL),
	};
	for (size_t i = 0; i < d->s->nusers && !in.other_sub; i++) {
		const struct scn_user *o = &d->s->users[i];

		if (!strcmp(o->name, u->name))
			continue;
		buf_printf(&osub, "%s@%s", o->name, dom);
		in.other_sub = osub.data;
		in.other_impu = o->impu;
		in.other_impi = o->impi;
	}
	rc = forge_token(&in, d->o->rng, &jwt, err, sizeof(err));
	if (rc)
		buf_printf(why, "cannot forge a %s token: %s", a->kv[0], err);
	else
		forged_set(d, u->name, jwt);
	buf_close(&sub);
	buf_close(&osub);
	return rc;
}

int drive__act_client(struct drv *d, const struct scn_action *a,
		      struct buf *why)
{
	const struct scn_user *u = scn_user_find(d->s, a->node);
	const char *pw = u->password;
	struct launch_proc *wsf, *at;
	struct buf cmd, url;
	size_t nkv;
	int rc = 0;

	if (!d->client || !launch_proc_alive(d->client)) {
		buf_puts(why, "client-sim is not running");
		return -ECHILD;
	}
	if (!strcmp(a->verb, "token forge"))
		return act_forge(d, a, u, why);
	buf_init(&cmd);
	buf_init(&url);
	/* web actions: the run's wws (client-sim's wws_url) or at=wws-ent */
	at = drive__proc_find(d, at_node(a, &nkv));
	if (at && strcmp(at->kind->name, "wws"))
		buf_printf(&url, "https://127.0.0.1:%u", at->port);
	for (size_t i = 0; i < a->nkv; i++)
		if (!strncmp(a->kv[i], "password=", 9))
			pw = a->kv[i] + 9;
	if (!strcmp(a->verb, "register")) {
		buf_printf(&cmd, "register %s %s %s %s", u->name, u->impu,
			   u->impi, pw);
		for (size_t i = 0; i < a->nkv; i++)
			if (!strcmp(a->kv[i], "token=$forged"))
				buf_printf(&cmd, " token=%s",
					   forged_get(d, u->name)
						   ? forged_get(d, u->name)
						   : "none");
			else if (!strncmp(a->kv[i], "origin=", 7) &&
				 (at = drive__proc_find(d, a->kv[i] + 7)))
				/* origin=NODE: a page of that node */
				buf_printf(&cmd, " origin=https://127.0.0.1:%u",
					   at->port);
			else if (strncmp(a->kv[i], "password=", 9))
				buf_printf(&cmd, " %s", a->kv[i]);
		/* The plain WebSocket port is not in client-sim's config. */
		if (has_kv(a, "via=ws") && !has_kv(a, "url=") &&
		    (wsf = drive__proc_find(d, "wsf")))
			buf_printf(&cmd, " url=ws://127.0.0.1:%u",
				   wsf->extra_port[0]);
	} else if (!strcmp(a->verb, "web get")) {
		/* relative to client-sim's wws_url: the run's wws */
		buf_printf(&cmd, "web %s get %s%s", u->name,
			   url.len ? url.data : "", nkv ? a->kv[0] : "/");
	} else if (!strcmp(a->verb, "web login")) {
		buf_printf(&cmd, "web %s login %s/login %s %s", u->name,
			   url.len ? url.data : "", nkv ? a->kv[0] : u->impu,
			   nkv ? a->kv[1] : u->password);
	} else {
		buf_printf(&cmd, "%s %s", a->verb, u->name);
	}
	buf_puts(&cmd, "\n");
	if (write(d->client->in_fd, cmd.data, cmd.len) != (ssize_t)cmd.len) {
		buf_printf(why, "cannot write to client-sim: %s",
			   strerror(errno));
		rc = -EIO;
	}
	buf_close(&cmd);
	buf_close(&url);
	return rc;
}

/* The next event of this UA (or a UA-less error), removed from the
 * queue; NULL if none yet. */
static json_t *client_take(struct drv *d, const char *ua)
{
	for (size_t i = 0; i < d->nevq; i++) {
		json_t *ev = d->evq[i];
		const char *u = jstr(ev, "ua");

		if (strcmp(u, ua) && (*u || strcmp(jstr(ev, "event"), "error")))
			continue;
		memmove(&d->evq[i], &d->evq[i + 1],
			(d->nevq - i - 1) * sizeof(json_t *));
		d->nevq--;
		return ev;
	}
	return NULL;
}

int drive__act_wait_client(struct drv *d, const struct scn_action *a,
			   struct buf *why)
{
	int64_t end = launch_now_ms() + a->ms;
	json_t *ev;
	int rc = 0;

	if (end > d->deadline)
		end = d->deadline;
	for (;;) {
		while ((ev = client_take(d, a->node)) != NULL) {
			const char *e = jstr(ev, "event");
			int st = (int)json_integer_value(
				json_object_get(ev, "status"));
			bool want = !strcmp(e, a->verb);

			if (!want && !strcmp(e, "refreshed")) {
				json_decref(ev); /* by itself: not news */
				continue;
			}
			if (want && (!a->status || a->status == st) &&
			    (!a->result[0] ||
			     !strcmp(a->result, jstr(ev, "result")))) {
				json_decref(ev);
				return 0;
			}
			buf_printf(why, "client-sim said %s", e);
			if (st)
				buf_printf(why, " %d", st);
			if (*jstr(ev, "result"))
				buf_printf(why, " %s", jstr(ev, "result"));
			if (*jstr(ev, "reason"))
				buf_printf(why, " (%s)", jstr(ev, "reason"));
			if (want && a->status && a->status != st)
				buf_printf(why, ", not status %d", a->status);
			else if (want)
				buf_printf(why, ", not result %s", a->result);
			json_decref(ev);
			return -EPROTO;
		}
		if (rc == -ECHILD) {
			buf_printf(why, "client-sim ended (status %d)",
				   launch_proc_alive(d->client)
					   ? 0
					   : d->client->status);
			return rc;
		}
		if (launch_interrupted())
			return -EINTR;
		if (launch_now_ms() >= end) {
			buf_printf(why, "no `%s` within %ld ms", a->verb,
				   a->ms);
			return -ETIMEDOUT;
		}
		rc = drive__client_pump(d, (int)(end - launch_now_ms()));
		if (rc == -EINTR)
			return rc;
	}
}

