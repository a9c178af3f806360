/* trace.c - JSON-lines trace of every message on the wire. */
#include "trace/trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int trace_open(struct trace *t, const char *path, const char *node)
{
	t->fd = -1;
	t->fault = NULL;
	t->secrets = false;
	buf_init(&t->line);
	snprintf(t->node, sizeof(t->node), "%s", node ? node : "?");
	if (!path || !*path)
		return 0;
	t->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	return t->fd < 0 ? -errno : 0;
}

void trace_close(struct trace *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	buf_close(&t->line);
	trace__fault_free(t);
}

bool trace_on(const struct trace *t)
{
	return t && t->fd >= 0;
}

void trace_addr_str(const struct sockaddr *sa, char *dst, size_t n)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(dst, n, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(dst, n, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		snprintf(dst, n, "-");
	}
}

void trace_json_escape(struct buf *b, struct sv s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };

			buf_append(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(b, "\\u%04x", c);
		} else {
			buf_append(b, &s.p[i], 1);
		}
	}
}

void trace_base64(struct buf *b, const void *p, size_t n)
{
	size_t out = 4 * ((n + 2) / 3);
	char *tmp = xmalloc(out + 1);

	EVP_EncodeBlock((unsigned char *)tmp, p, (int)n);
	buf_append(b, tmp, out);
	free(tmp);
}

void trace_emit(struct trace *t, const struct trace_event *ev)
{
	char local[64], peer[64];
	uint64_t now;
	struct buf *b;
	ssize_t w;

	if (!trace_on(t))
		return;
	b = &t->line;
	now = time_now_us();
	trace_addr_str(ev->local, local, sizeof(local));
	trace_addr_str(ev->peer, peer, sizeof(peer));
	buf_reset(b);
	buf_printf(b,
		   "{\"t\":%llu.%06llu,\"node\":\"%s\",\"dir\":\"%s\","
		   "\"proto\":\"%s\",\"transport\":\"%s\",\"local\":\"%s\","
		   "\"peer\":\"%s\",\"summary\":\"",
		   (unsigned long long)(now / 1000000),
		   (unsigned long long)(now % 1000000), t->node,
		   ev->dir == TRACE_SEND   ? "send"
		   : ev->dir == TRACE_DROP ? "drop"
					   : "recv",
		   ev->proto,
		   ev->transport, local, peer);
	trace_json_escape(b, ev->summary);
	buf_printf(b, "\",\"len\":%zu,\"raw\":\"", ev->len);
	if (!t->secrets && trace_redact_needed(ev->proto, ev->raw, ev->len)) {
		char *copy = xmalloc(ev->len + 1);

		memcpy(copy, ev->raw, ev->len);
		trace_redact(ev->proto, copy, ev->len);
		trace_base64(b, copy, ev->len);
		free(copy);
	} else {
		trace_base64(b, ev->raw, ev->len);
	}
	buf_puts(b, "\"}\n");
	/* One write per line keeps lines whole in a shared O_APPEND file. */
	w = write(t->fd, b->data, b->len);
	if (w != (ssize_t)b->len)
		log_warn("trace: short write (%zd of %zu)", w, b->len);
}
