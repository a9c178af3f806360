/*
 * hmap.h - an intrusive hash map keyed by byte strings (registrations by
 * IMPU, auth vectors by IMPI, connections by address...).
 *
 * The entry embeds struct hmap_node and owns its key bytes: the key view
 * given to hmap_insert must stay valid while the entry is in the map. Keys
 * are compared byte for byte: normalise them first (e.g. lowercase a SIP
 * host). The map grows itself; it never allocates per entry.
 */
#ifndef IMSTB_HMAP_H
#define IMSTB_HMAP_H

#include "base/base.h"

struct hmap_node {
	struct hmap_node *next;
	uint64_t hash;
	struct sv key; /* borrowed from the entry */
};

struct hmap {
	struct hmap_node **buckets; /* owned */
	size_t nbuckets;            /* a power of two */
	size_t count;
};

void hmap_init(struct hmap *m);
/* Frees the bucket array only: the entries belong to the caller. */
void hmap_close(struct hmap *m);
/* Inserts n under key (duplicates allowed; hmap_find returns the newest). */
void hmap_insert(struct hmap *m, struct hmap_node *n, struct sv key);
struct hmap_node *hmap_find(const struct hmap *m, struct sv key);
/* Next entry with the same key after n, or NULL. */
struct hmap_node *hmap_find_next(const struct hmap *m, struct hmap_node *n);
void hmap_remove(struct hmap *m, struct hmap_node *n);

/* Iteration that tolerates removing the current entry:
 *   struct hmap_iter it = {0};
 *   for (n = hmap_iter_next(m, &it); n; n = hmap_iter_next(m, &it)) ... */
struct hmap_iter {
	size_t bucket;
	struct hmap_node *next;
};
struct hmap_node *hmap_iter_next(const struct hmap *m, struct hmap_iter *it);

#define hmap_entry(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif
