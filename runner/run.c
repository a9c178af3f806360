/*
 * run.c - the struct rn_run every runner part shares (run.h): freeing it,
 * and reading a run's trace file (README "The trace": one JSON object per
 * line, raw bytes in base64) into events.
 */
#include "match.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rn_event_close(struct rn_event *e)
{
	free(e->summary);
	free(e->raw);
	e->summary = NULL;
	e->raw = NULL;
}

void rn_run_free(struct rn_run *r)
{
	if (!r)
		return;
	free(r->file);
	free(r->title);
	free(r->figure);
	free(r->purpose);
	free(r->notes);
	free(r->error);
	for (size_t i = 0; i < r->nsteps; i++)
		free(r->steps[i].detail);
	free(r->steps);
	for (size_t i = 0; i < r->nevents; i++)
		rn_event_close(&r->events[i]);
	free(r->events);
	for (size_t i = 0; i < r->nnodes; i++)
		free(r->nodes[i]);
	free(r->nodes);
	free(r);
}

int rn_addr_parse(const char *s, struct sockaddr_storage *ss)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : 0;
	struct sockaddr_in *s4;
	uint64_t port;

	memset(ss, 0, sizeof(*ss));
	if (!colon || n >= sizeof(host) ||
	    sv_to_u64(sv_from_cstr(colon + 1), 65535, &port))
		return -EINVAL;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		memcpy(host, s + 1, n - 2);
		host[n - 2] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? 0
								      : -EINVAL;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -EINVAL;
}

/* RFC 4648 base64 through OpenSSL; -EBADMSG on bad input. */
static int b64_decode(const char *in, unsigned char **out, size_t *len)
{
	size_t n = strlen(in), pad = 0;
	int got;

	*out = xmalloc(n / 4 * 3 + 3);
	*len = 0;
	if (n % 4)
		return -EBADMSG;
	if (!n)
		return 0;
	got = EVP_DecodeBlock(*out, (const unsigned char *)in, (int)n);
	if (got < 0)
		return -EBADMSG;
	pad = (in[n - 1] == '=') + (in[n - 2] == '=');
	*len = (size_t)got - pad;
	return 0;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

int rn_trace_line_parse(const char *line, struct rn_event *e)
{
	json_error_t jerr;
	json_t *o = json_loads(line, 0, &jerr);
	struct sockaddr_storage local, peer;
	const char *dir;
	int rc = -EBADMSG;

	memset(e, 0, sizeof(*e));
	if (!o || !json_is_object(o))
		goto out;
	dir = jstr(o, "dir");
	if (!json_is_number(json_object_get(o, "t")) ||
	    (strcmp(dir, "send") && strcmp(dir, "recv") &&
	     strcmp(dir, "drop")) ||
	    rn_addr_parse(jstr(o, "local"), &local) ||
	    rn_addr_parse(jstr(o, "peer"), &peer))
		goto out;
	e->t = json_number_value(json_object_get(o, "t"));
	e->dropped = !strcmp(dir, "drop");
	e->sent = e->dropped || !strcmp(dir, "send");
	snprintf(e->node, sizeof(e->node), "%s", jstr(o, "node"));
	snprintf(e->proto, sizeof(e->proto), "%s", jstr(o, "proto"));
	snprintf(e->transport, sizeof(e->transport), "%s",
		 jstr(o, "transport"));
	e->src = e->sent ? local : peer;
	e->dst = e->sent ? peer : local;
	e->summary = xstrdup(jstr(o, "summary"));
	rc = b64_decode(jstr(o, "raw"), &e->raw, &e->len);
	if (rc)
		rn_event_close(e);
out:
	json_decref(o);
	return rc;
}

int rn_trace_read(const char *path, struct rn_event **ev, size_t *n,
		  size_t *bad)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, have = 0;
	ssize_t got;

	*ev = NULL;
	*n = 0;
	*bad = 0;
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while ((got = getline(&line, &cap, f)) > 0) {
		struct rn_event e;

		if (rn_trace_line_parse(line, &e)) {
			(*bad)++;
			continue;
		}
		if (*n == have) {
			have = have ? 2 * have : 64;
			*ev = xrealloc(*ev, have * sizeof(**ev));
		}
		(*ev)[(*n)++] = e;
	}
	free(line);
	fclose(f);
	return 0;
}
