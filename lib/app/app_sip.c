/* app_sip.c - SIP stack settings shared by every SIP process. */
#include "app/app_sip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

void app_sipt_conf(const struct app_sip *s, struct sipt_conf *sc)
{
	sc->timers = (struct sipt_timers){
		.t1 = (unsigned)s->t1_ms,
		.t2 = (unsigned)s->t2_ms,
		.t4 = (unsigned)s->t4_ms,
		.tcp_idle = (unsigned)s->tcp_idle_ms,
	};
	sc->limits.max_conns = (unsigned)s->max_conns;
	sc->limits.max_trans = (unsigned)s->max_trans;
	sc->limits.max_conns_per_ip = (unsigned)s->max_conns_per_ip;
	sc->limits.max_pending_per_ip = (unsigned)s->max_pending_per_ip;
	sc->limits.msg_timeout_ms = (unsigned)s->tcp_msg_timeout_ms;
}

static int fault_sip(struct sipt *s, const char *transport,
		     const struct sockaddr *local, const struct sockaddr *peer,
		     const char *bytes, size_t len, void *arg)
{
	int v = trace_fault_check(arg, "sip", peer, bytes, len);
	struct sv first, all = { bytes, len };
	char lower[8] = "";

	UNUSED(s);
	if (v >= 0 || !trace_on(arg))
		return v;
	sv_split(all, '\r', &first);
	for (size_t i = 0; transport[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char)(transport[i] | 0x20);
	trace_emit(arg, &(struct trace_event){
				.dir = TRACE_DROP,
				.proto = "sip",
				.transport = lower,
				.local = local,
				.peer = peer,
				.summary = first,
				.raw = bytes,
				.len = len,
			});
	return v;
}

void app_sipt_fault(struct sipt_conf *sc, struct trace *t)
{
	if (!t || !t->fault)
		return;
	sc->filter_cb = fault_sip;
	sc->filter_arg = t;
}

/* One entry: "ip", "ip:port", "[v6]" or "[v6]:port". *port 0 = any. */
static int entry_parse(struct sv e, struct sockaddr_storage *ss, uint16_t *port)
{
	char ip[INET6_ADDRSTRLEN];
	struct sv host = e, rest = SV_NULL;
	const char *colon;
	uint64_t p = 0;

	if (e.len && e.p[0] == '[') {
		const char *end = sv_chr(e, ']');

		if (!end)
			return -EINVAL;
		host = (struct sv){ e.p + 1, (size_t)(end - e.p - 1) };
		rest = (struct sv){ end + 1, e.len - (size_t)(end + 1 - e.p) };
		if (rest.len && rest.p[0] != ':')
			return -EINVAL;
	} else if ((colon = sv_chr(e, ':')) &&
		   !memchr(colon + 1, ':', e.len - (size_t)(colon + 1 - e.p))) {
		host = (struct sv){ e.p, (size_t)(colon - e.p) };
		rest = (struct sv){ colon, e.len - (size_t)(colon - e.p) };
	}
	if (rest.len &&
	    sv_to_u64((struct sv){ rest.p + 1, rest.len - 1 }, 65535, &p))
		return -EINVAL;
	*port = (uint16_t)p;
	if (sv_copy(host, ip, sizeof(ip)))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip,
		      &((struct sockaddr_in *)(void *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, ip,
		      &((struct sockaddr_in6 *)(void *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static bool entry_match(const struct sockaddr_storage *e, uint16_t port,
			const struct sockaddr *sa)
{
	if (e->ss_family != sa->sa_family)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)e,
					 *b = (const void *)sa;

		return a->sin_addr.s_addr == b->sin_addr.s_addr &&
		       (!port || ntohs(b->sin_port) == port);
	}
	const struct sockaddr_in6 *a = (const void *)e, *b = (const void *)sa;

	return !memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) &&
	       (!port || ntohs(b->sin6_port) == port);
}

bool app_addr_in_list(const char *list, const struct sockaddr *sa)
{
	struct sv rest = sv_from_cstr(list), e;
	struct sockaddr_storage ss;
	uint16_t port;

	if (!sa)
		return false;
	while (rest.len) {
		rest = sv_split(rest, ',', &e);
		e = sv_trim(e);
		if (sv_eq_cstr(e, "*"))
			return true;
		if (e.len && entry_parse(e, &ss, &port) == 0 &&
		    entry_match(&ss, port, sa))
			return true;
	}
	return false;
}

int app_addr_list_check(const char *list, char *err, size_t n)
{
	struct sv rest = sv_from_cstr(list), e;
	struct sockaddr_storage ss;
	uint16_t port;

	while (rest.len) {
		rest = sv_split(rest, ',', &e);
		e = sv_trim(e);
		if (!e.len || sv_eq_cstr(e, "*"))
			continue;
		if (entry_parse(e, &ss, &port)) {
			snprintf(err, n,
				 "'%.*s' is not ip, ip:port or [v6]:port",
				 SV_ARG(e));
			return -EINVAL;
		}
	}
	return 0;
}
