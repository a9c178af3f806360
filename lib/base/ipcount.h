/*
 * ipcount.h - counters per source IP address, for the per-source limits
 * (issue 9): connections per address (SIP TCP, HTTP, WebSocket) and
 * pending server transactions per address. The port is ignored; IPv4 and
 * IPv6 addresses are counted apart. An entry lives while its count is not
 * zero.
 */
#ifndef IMSTB_IPCOUNT_H
#define IMSTB_IPCOUNT_H

#include <sys/socket.h>

#include "base/hmap.h"

struct ipcount {
	struct hmap map; /* struct ipcount_ent by address bytes */
};

void ipcount_init(struct ipcount *t);
/* Frees every entry. */
void ipcount_close(struct ipcount *t);
/* Adds one to sa's count unless it already is max (0 = no limit): true if
 * taken, false at the limit. false too for an address that is neither
 * AF_INET nor AF_INET6 (nothing taken: release it not). */
bool ipcount_take(struct ipcount *t, const struct sockaddr *sa,
		  unsigned max);
/* Gives back one count taken for sa. */
void ipcount_release(struct ipcount *t, const struct sockaddr *sa);
unsigned ipcount_get(const struct ipcount *t, const struct sockaddr *sa);

#endif
