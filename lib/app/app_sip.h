/*
 * app_sip.h - the SIP stack settings every SIP process shares (timers and
 * limits of lib/sipt), declared once: embed struct app_sip as a member
 * named `sip`, list APP_SIP_KEYS(T) in the key table, and let
 * app_sipt_conf fill the sipt_conf. Module `appsip` (needs sip, sipt).
 */
#ifndef IMSTB_APP_SIP_H
#define IMSTB_APP_SIP_H

#include <stddef.h>

#include "conf/conf.h"
#include "sipt/sipt.h"
#include "trace/trace.h"

struct app_sip {
	long t1_ms, t2_ms, t4_ms; /* RFC 3261 §17.1.1.1 */
	long tcp_idle_ms;
	long max_conns, max_trans;
	long max_conns_per_ip, max_pending_per_ip; /* issue 9 */
	long tcp_msg_timeout_ms;
};

/* clang-format off */
#define APP_SIP_KEYS(T) \
	{ "t1_ms", CONF_INT, offsetof(T, sip.t1_ms), "500", \
	  "SIP timer T1 (RTT estimate), ms", 1, 60000, NULL }, \
	{ "t2_ms", CONF_INT, offsetof(T, sip.t2_ms), "4000", \
	  "SIP timer T2 (max retransmit interval), ms", 1, 600000, NULL }, \
	{ "t4_ms", CONF_INT, offsetof(T, sip.t4_ms), "5000", \
	  "SIP timer T4 (max time in the network), ms", 1, 600000, NULL }, \
	{ "tcp_idle_ms", CONF_INT, offsetof(T, sip.tcp_idle_ms), "120000", \
	  "idle TCP connections are closed after this, ms", 100, 86400000, \
	  NULL }, \
	{ "max_conns", CONF_INT, offsetof(T, sip.max_conns), "1024", \
	  "open SIP TCP connections (more are refused)", 1, 1000000, NULL }, \
	{ "max_trans", CONF_INT, offsetof(T, sip.max_trans), "262144", \
	  "live SIP transactions (more get 503)", 1, 10000000, NULL }, \
	{ "max_conns_per_ip", CONF_INT, offsetof(T, sip.max_conns_per_ip), \
	  "512", "SIP TCP connections accepted from one IP address (more " \
	  "are closed at once); 0 = only max_conns", 0, 1000000, NULL }, \
	{ "max_pending_per_ip", CONF_INT, \
	  offsetof(T, sip.max_pending_per_ip), "4096", \
	  "SIP requests from one IP address not yet answered with a final " \
	  "response (more get 503 with Retry-After: 5); 0 = no limit", 0, \
	  10000000, NULL }, \
	{ "tcp_msg_timeout_ms", CONF_INT, \
	  offsetof(T, sip.tcp_msg_timeout_ms), "10000", \
	  "a SIP message begun over TCP must be complete within this, ms " \
	  "(slow loris: else the connection is closed)", 100, 600000, NULL }
/* clang-format on */

/*
 * Is sa in a comma-separated list of "ip" (any port) or "ip:port" /
 * "[v6]:port" entries? The trusted-path checks (TS 24.229 §5.4.1.2.2:
 * auth-done only from a trusted edge) use it. An empty list matches
 * nothing; "*" matches everything.
 */
bool app_addr_in_list(const char *list, const struct sockaddr *sa);
/* 0 if every entry of the list parses, else -EINVAL with the bad entry in
 * err (for a config check at start). */
int app_addr_list_check(const char *list, char *err, size_t n);

/* Copies the timers and limits into sc (the rest of sc is the caller's). */
void app_sipt_conf(const struct app_sip *s, struct sipt_conf *sc);
/* Sets sc's fault filter when t has fault rules (fault_file): each message
 * about to leave goes through trace_fault_check; a dropped one is traced
 * with dir "drop". Without a fault_file the filter stays off. */
void app_sipt_fault(struct sipt_conf *sc, struct trace *t);

#endif
