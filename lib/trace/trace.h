/*
 * trace.h - every message that crosses a process boundary, as one JSON line
 * (STYLE rule 9: the trace is the test oracle; the scenario runner asserts
 * on it, nothing scrapes human-readable logs).
 *
 * One line per message:
 *   {"t":1764041625.123456,"node":"pcscf","dir":"recv","proto":"sip",
 *    "transport":"udp","local":"127.0.0.1:5060","peer":"127.0.0.1:40122",
 *    "summary":"REGISTER sip:ims.example.com","len":612,"raw":"<base64>"}
 *
 *   t          wall-clock seconds since the epoch, microsecond precision
 *   node       the process's trace name (config key trace_node)
 *   dir        "send" or "recv", seen from `node`
 *   proto      "sip", "diameter" (later "http", "ws")
 *   transport  "udp", "tcp" (later "tls", "ws", "wss")
 *   local/peer "ip:port" ("[v6]:port" for IPv6)
 *   summary    start line (SIP), command name (Diameter)
 *   raw        the exact bytes, base64 (RFC 4648)
 *
 * The sink is a file opened in append mode (config key trace_file); several
 * processes may share one file: each line is written with a single write(2)
 * on an O_APPEND descriptor, which Linux keeps whole for regular files.
 * The sink is off when trace_file is empty.
 */
#ifndef IMSTB_TRACE_H
#define IMSTB_TRACE_H

#include <sys/socket.h>

#include "base/base.h"

enum trace_dir { TRACE_RECV = 0, TRACE_SEND };

struct trace {
	int fd;        /* -1 when off */
	bool secrets;  /* trace_secrets: raw bytes unredacted (default off) */
	char node[32];
	struct buf line; /* reused for every event: no allocation per line */
};

/* Opens the sink. path NULL or "" leaves it off. -errno on open failure. */
int trace_open(struct trace *t, const char *path, const char *node);
void trace_close(struct trace *t);
bool trace_on(const struct trace *t);

struct trace_event {
	enum trace_dir dir;
	const char *proto;     /* "sip", "diameter" */
	const char *transport; /* "udp", "tcp" */
	const struct sockaddr *local;
	const struct sockaddr *peer;
	struct sv summary;
	const void *raw;
	size_t len;
};

void trace_emit(struct trace *t, const struct trace_event *ev);

/*
 * Secrets out of raw bytes, in place, keeping the length (redact.c says
 * what and how): passwords, HTTP Basic credentials, Bearer tokens and JWT
 * signatures in "sip", "http" and "ws" text; Digest-HA1 and AKA keys in
 * "diameter". trace_emit applies it unless t->secrets. _needed is a cheap
 * pre-check (false: nothing to redact).
 */
void trace_redact(const char *proto, char *p, size_t n);
bool trace_redact_needed(const char *proto, const char *p, size_t n);

/* "ip:port" or "[ip]:port" of an AF_INET/AF_INET6 address; "-" if NULL. */
void trace_addr_str(const struct sockaddr *sa, char *dst, size_t n);

/* Appends s to b as a JSON string body (without quotes), escaped. */
void trace_json_escape(struct buf *b, struct sv s);
/* Appends the base64 of n bytes. */
void trace_base64(struct buf *b, const void *p, size_t n);

#endif
