/* ipcount.c - counters per source IP address (see ipcount.h). */
#include "base/ipcount.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct ipcount_ent {
	struct hmap_node node;
	unsigned n;
	size_t len;
	unsigned char addr[16]; /* the key: 4 or 16 address bytes */
};

/* The address bytes of sa as a key; len 0 if not IPv4/IPv6. */
static struct sv key_of(const struct sockaddr *sa)
{
	const struct sockaddr_in *a4 = (const void *)sa;
	const struct sockaddr_in6 *a6 = (const void *)sa;

	if (sa && sa->sa_family == AF_INET)
		return (struct sv){ (const char *)&a4->sin_addr, 4 };
	if (sa && sa->sa_family == AF_INET6)
		return (struct sv){ (const char *)&a6->sin6_addr, 16 };
	return SV_NULL;
}

static struct ipcount_ent *find(const struct ipcount *t, struct sv k)
{
	struct hmap_node *n = k.len ? hmap_find(&t->map, k) : NULL;

	return n ? hmap_entry(n, struct ipcount_ent, node) : NULL;
}

void ipcount_init(struct ipcount *t)
{
	hmap_init(&t->map);
}

void ipcount_close(struct ipcount *t)
{
	struct hmap_iter it = { 0 };
	struct hmap_node *n;

	while ((n = hmap_iter_next(&t->map, &it))) {
		hmap_remove(&t->map, n);
		free(hmap_entry(n, struct ipcount_ent, node));
	}
	hmap_close(&t->map);
}

bool ipcount_take(struct ipcount *t, const struct sockaddr *sa, unsigned max)
{
	struct sv k = key_of(sa);
	struct ipcount_ent *e;

	if (!k.len)
		return false;
	e = find(t, k);
	if (e && max && e->n >= max)
		return false;
	if (!e) {
		e = xcalloc(1, sizeof(*e));
		e->len = k.len;
		memcpy(e->addr, k.p, k.len);
		hmap_insert(&t->map, &e->node,
			    (struct sv){ (const char *)e->addr, e->len });
	}
	e->n++;
	return true;
}

void ipcount_release(struct ipcount *t, const struct sockaddr *sa)
{
	struct ipcount_ent *e = find(t, key_of(sa));

	if (!e)
		return;
	if (--e->n == 0) {
		hmap_remove(&t->map, &e->node);
		free(e);
	}
}

unsigned ipcount_get(const struct ipcount *t, const struct sockaddr *sa)
{
	struct ipcount_ent *e = find(t, key_of(sa));

	return e ? e->n : 0;
}
