/* hmap.c - intrusive chained hash map with FNV-1a hashing. */
#include "base/hmap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(struct sv key)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < key.len; i++) {
		h ^= (unsigned char)key.p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void hmap_init(struct hmap *m)
{
	m->nbuckets = 64;
	m->count = 0;
	m->buckets = xcalloc(m->nbuckets, sizeof(*m->buckets));
}

void hmap_close(struct hmap *m)
{
	free(m->buckets);
	*m = (struct hmap){ 0 };
}

static void grow(struct hmap *m)
{
	size_t n = m->nbuckets * 2;
	struct hmap_node **b = xcalloc(n, sizeof(*b));

	for (size_t i = 0; i < m->nbuckets; i++) {
		struct hmap_node *e = m->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

void hmap_insert(struct hmap *m, struct hmap_node *n, struct sv key)
{
	size_t i;

	if (m->count >= 2 * m->nbuckets)
		grow(m);
	n->key = key;
	n->hash = fnv1a(key);
	i = n->hash & (m->nbuckets - 1);
	n->next = m->buckets[i];
	m->buckets[i] = n;
	m->count++;
}

static struct hmap_node *scan(struct hmap_node *e, uint64_t h, struct sv key)
{
	for (; e; e = e->next)
		if (e->hash == h && sv_eq(e->key, key))
			return e;
	return NULL;
}

struct hmap_node *hmap_find(const struct hmap *m, struct sv key)
{
	uint64_t h = fnv1a(key);

	return scan(m->buckets[h & (m->nbuckets - 1)], h, key);
}

struct hmap_node *hmap_find_next(const struct hmap *m, struct hmap_node *n)
{
	UNUSED(m);
	return scan(n->next, n->hash, n->key);
}

void hmap_remove(struct hmap *m, struct hmap_node *n)
{
	struct hmap_node **pp = &m->buckets[n->hash & (m->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			m->count--;
			return;
		}
	}
}

struct hmap_node *hmap_iter_next(const struct hmap *m, struct hmap_iter *it)
{
	struct hmap_node *n = it->next;

	while (!n && it->bucket < m->nbuckets)
		n = m->buckets[it->bucket++];
	it->next = n ? n->next : NULL;
	return n;
}
