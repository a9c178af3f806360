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
 *   dir        "send" or "recv", seen from `node`; "drop": a message a
 *              fault rule (below) kept from being sent
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

/* TRACE_DROP: a message a fault rule kept from the wire (dir "drop"). */
enum trace_dir { TRACE_RECV = 0, TRACE_SEND, TRACE_DROP };

struct trace_fault;

struct trace {
	int fd;        /* -1 when off */
	bool secrets;  /* trace_secrets: raw bytes unredacted (default off) */
	char node[32];
	struct buf line; /* reused for every event: no allocation per line */
	struct trace_fault *fault; /* owned; NULL: no fault rules (fault.c) */
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
 * Fault injection on the sending path (fault.c), for the scenario runner's
 * `fault` actions: rules read from a file, one per line,
 *
 *   ID drop  PROTO SEL [to=ADDR[,ADDR...]] [count=N]
 *   ID delay PROTO SEL MS [to=ADDR[,ADDR...]] [count=N]
 *
 * ID: a number naming the rule (its counter survives a reload); PROTO:
 * sip or diameter; SEL: `*`, a SIP method (REGISTER), status (200) or
 * class (4xx), or a Diameter command (MAR, MAA, CER, DWR ...); ADDR:
 * "ip:port" of the destination; count: the first N matching messages
 * only (0 or absent: all). The first rule that matches a message decides.
 *
 * trace_fault_open reads the file (missing = no rule) and re-reads it
 * whenever the process gets SIGUSR1: the signal handler only bumps a
 * counter, the next message checked reloads (the one signal-flag global,
 * the way a handler must talk to the program). Off (t->fault NULL) costs
 * one test per message. -errno if path is unusable.
 */
int trace_fault_open(struct trace *t, const char *path);
/* What to do with a message about to be sent: 0 send it, -1 drop it,
 * N > 0 send it N ms late. proto: "sip" or "diameter". */
int trace_fault_check(struct trace *t, const char *proto,
		      const struct sockaddr *peer, const void *raw,
		      size_t len);
/* trace_close's part: frees the rules. */
void trace__fault_free(struct trace *t);

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
