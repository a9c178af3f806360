/*
 * nonce.c - stateless HMAC-protected nonces (RFC 7616 §3.3 and §5.4 leave
 * the nonce format to the server) and the nonce-count replay tracker
 * (RFC 7616 §3.4 "nc", §5.3).
 */
/* SHA256_*: see digest__hash_parts in calc.c. */
#define OPENSSL_API_COMPAT 0x10100000L
#include "digest/digest_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

/* Layout of the nonce bytes before hex: ts | rnd | mac. */
#define NONCE_TS 8
#define NONCE_RND 8
#define NONCE_HEAD (NONCE_TS + NONCE_RND)
#define NONCE_MAC 16
#define NONCE_RAW (NONCE_HEAD + NONCE_MAC)

_Static_assert(NONCE_RAW * 2 == DIGEST_NONCE_LEN, "nonce length");

void digest_nonce_key_init(struct digest_nonce_key *k, struct rng *rng,
			   uint64_t lifetime)
{
	rng_fill(rng, k->key, sizeof(k->key));
	k->lifetime = lifetime;
}

/* HMAC's keyed pads as SHA-256 states after their first block (RFC 2104:
 * H(K^opad | H(K^ipad | text)), the 32-byte key zero-padded to the 64-byte
 * block): the same for every nonce of a key, so computed once per key and
 * thread, halving the blocks hashed per nonce. */
struct hmac_pads {
	unsigned char key[32];
	SHA256_CTX in, out;
	bool ready;
};

static const struct hmac_pads *pads_for(const struct digest_nonce_key *k)
{
	static _Thread_local struct hmac_pads p;
	unsigned char ipad[64], opad[64];

	_Static_assert(sizeof(k->key) == sizeof(p.key), "HMAC key size");
	if (p.ready && !memcmp(p.key, k->key, sizeof(p.key)))
		return &p;
	memset(ipad, 0x36, sizeof(ipad));
	memset(opad, 0x5c, sizeof(opad));
	for (size_t i = 0; i < sizeof(k->key); i++) {
		ipad[i] ^= k->key[i];
		opad[i] ^= k->key[i];
	}
	SHA256_Init(&p.in);
	SHA256_Update(&p.in, ipad, sizeof(ipad));
	SHA256_Init(&p.out);
	SHA256_Update(&p.out, opad, sizeof(opad));
	memcpy(p.key, k->key, sizeof(p.key));
	p.ready = true;
	return &p;
}

/* mac = HMAC-SHA-256(key, head | bound) cut to NONCE_MAC bytes. The head
 * has a fixed length, so head | bound is unambiguous. */
static void nonce_mac(unsigned char mac[NONCE_MAC],
		      const struct digest_nonce_key *k,
		      const unsigned char head[NONCE_HEAD], struct sv bound)
{
	const struct hmac_pads *p = pads_for(k);
	unsigned char inner[32], outer[32];
	SHA256_CTX c = p->in;

	SHA256_Update(&c, head, NONCE_HEAD);
	if (bound.len)
		SHA256_Update(&c, bound.p, bound.len);
	SHA256_Final(inner, &c);
	c = p->out;
	SHA256_Update(&c, inner, sizeof(inner));
	SHA256_Final(outer, &c);
	memcpy(mac, outer, NONCE_MAC);
}

void digest_nonce_make(char out[DIGEST_NONCE_LEN + 1],
		       const struct digest_nonce_key *k, struct rng *rng,
		       uint64_t now, struct sv bound)
{
	unsigned char raw[NONCE_RAW];

	for (int i = 0; i < NONCE_TS; i++)
		raw[i] = (unsigned char)(now >> (56 - 8 * i));
	rng_fill(rng, raw + NONCE_TS, NONCE_RND);
	nonce_mac(raw + NONCE_HEAD, k, raw, bound);
	hex_encode(raw, sizeof(raw), out);
}

int digest_nonce_check(const struct digest_nonce_key *k, struct sv nonce,
		       struct sv bound, uint64_t now)
{
	unsigned char raw[NONCE_RAW], mac[NONCE_MAC];
	uint64_t ts = 0;
	int err = 0;

	if (!digest__is_hex(nonce, DIGEST_NONCE_LEN)) {
		err = -EACCES;
		goto out;
	}
	for (size_t i = 0; i < NONCE_RAW; i++)
		raw[i] = (unsigned char)(digest__hexval(nonce.p[2 * i]) << 4 |
					 digest__hexval(nonce.p[2 * i + 1]));
	nonce_mac(mac, k, raw, bound);
	if (CRYPTO_memcmp(mac, raw + NONCE_HEAD, NONCE_MAC) != 0) {
		err = -EACCES;
		goto out;
	}
	for (int i = 0; i < NONCE_TS; i++)
		ts = ts << 8 | raw[i];
	if (ts > now)
		err = -EACCES; /* not issued by this clock: not ours */
	else if (now - ts >= k->lifetime)
		err = -ESTALE;
out:
	return err;
}

/* ---- nonce-count tracker ------------------------------------------------- */

/* Entries live in a pool (stable indexes) threaded on a list in order of
 * last use; the open-addressing table holds pool indexes. With a clock
 * that never goes back the list is sorted by `last`, so purging the
 * expired and evicting the least recently used both happen at its head in
 * O(1) each: no scan when full, however many nonces are live. */
#define NC_NIL UINT32_MAX

struct nc_entry {
	uint64_t hash;
	uint64_t last; /* when the highest nc was accepted */
	uint32_t nc;   /* highest nc accepted */
	uint32_t prev, next; /* use order (or the free list: next) */
	uint8_t len;
	char nonce[DIGEST_NONCE_MAX];
};

struct digest_nctrack {
	uint32_t *slots;       /* owned; mask + 1 pool indexes + 1, 0 = empty */
	struct nc_entry *pool; /* owned; capacity of them */
	size_t mask;
	size_t capacity; /* most entries held; at most half the slots */
	size_t count;
	uint32_t free_head;  /* unused pool entries, by next */
	uint32_t old, young; /* use-order list ends */
	uint64_t lifetime;
};

struct digest_nctrack *digest_nctrack_new(size_t capacity, uint64_t lifetime)
{
	struct digest_nctrack *t = xcalloc(1, sizeof(*t));
	size_t n = 8;

	/* The clamp keeps pool indexes in 32 bits and 2 * capacity from
	 * overflowing. */
	if (capacity == 0)
		capacity = 1;
	if (capacity > (size_t)1 << 24)
		capacity = (size_t)1 << 24;
	while (n < 2 * capacity)
		n *= 2;
	t->slots = xcalloc(n, sizeof(*t->slots));
	t->pool = xcalloc(capacity, sizeof(*t->pool));
	for (size_t i = 0; i < capacity; i++)
		t->pool[i].next = i + 1 < capacity ? (uint32_t)i + 1 : NC_NIL;
	t->free_head = 0;
	t->old = t->young = NC_NIL;
	t->mask = n - 1;
	t->capacity = capacity;
	t->lifetime = lifetime;
	return t;
}

void digest_nctrack_free(struct digest_nctrack *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->pool);
	free(t);
}

size_t digest_nctrack_count(const struct digest_nctrack *t)
{
	return t->count;
}

/* FNV-1a, then the splitmix64 finaliser so the low bits mix well. */
static uint64_t nc_hash(struct sv s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < s.len; i++)
		h = (h ^ (unsigned char)s.p[i]) * 0x100000001b3ULL;
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static struct nc_entry *nc_at(const struct digest_nctrack *t, size_t slot)
{
	return &t->pool[t->slots[slot] - 1];
}

/* Slot holding nonce (*found) or the empty slot where it would go. The
 * table is at most half full, so an empty slot always ends the probe. */
static size_t nc_find(const struct digest_nctrack *t, struct sv nonce,
		      uint64_t h, bool *found)
{
	size_t i = h & t->mask;

	for (; t->slots[i]; i = (i + 1) & t->mask) {
		const struct nc_entry *s = nc_at(t, i);

		if (s->hash == h && s->len == nonce.len &&
		    memcmp(s->nonce, nonce.p, nonce.len) == 0) {
			*found = true;
			return i;
		}
	}
	*found = false;
	return i;
}

/* The slot of a pool entry known to be in the table. */
static size_t nc_slot_of(const struct digest_nctrack *t, uint32_t e)
{
	size_t i = t->pool[e].hash & t->mask;

	while (t->slots[i] != e + 1)
		i = (i + 1) & t->mask;
	return i;
}

static void nc_unlink(struct digest_nctrack *t, uint32_t e)
{
	struct nc_entry *s = &t->pool[e];

	if (s->prev != NC_NIL)
		t->pool[s->prev].next = s->next;
	else
		t->old = s->next;
	if (s->next != NC_NIL)
		t->pool[s->next].prev = s->prev;
	else
		t->young = s->prev;
}

/* Makes e the most recently used. */
static void nc_push_young(struct digest_nctrack *t, uint32_t e)
{
	t->pool[e].prev = t->young;
	t->pool[e].next = NC_NIL;
	if (t->young != NC_NIL)
		t->pool[t->young].next = e;
	else
		t->old = e;
	t->young = e;
}

/* Backward-shift deletion for linear probing (Knuth 6.4 Algorithm R): no
 * tombstones, so probes stay as short as the load allows. The entry goes
 * back to the free list. */
static void nc_remove(struct digest_nctrack *t, size_t i)
{
	uint32_t e = t->slots[i] - 1;
	size_t j = i;

	for (;;) {
		j = (j + 1) & t->mask;
		if (!t->slots[j])
			break;
		/* The entry at j may fill the hole at i if i lies between its
		 * home slot and j (cyclically). */
		size_t home = nc_at(t, j)->hash & t->mask;

		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i] = 0;
	nc_unlink(t, e);
	t->pool[e].next = t->free_head;
	t->free_head = e;
	t->count--;
}

static bool nc_expired(const struct digest_nctrack *t,
		       const struct nc_entry *s, uint64_t now)
{
	return now >= s->last && now - s->last >= t->lifetime;
}

/* Frees room for one entry: the expired first, else the least recently
 * used, all from the old end of the use list. */
static void nc_make_room(struct digest_nctrack *t, uint64_t now)
{
	while (t->old != NC_NIL && nc_expired(t, &t->pool[t->old], now))
		nc_remove(t, nc_slot_of(t, t->old));
	if (t->count >= t->capacity && t->old != NC_NIL)
		nc_remove(t, nc_slot_of(t, t->old));
}

int digest_nctrack_check(struct digest_nctrack *t, struct sv nonce,
			 uint32_t nc, uint64_t now)
{
	uint64_t h;
	struct nc_entry *s;
	uint32_t e;
	bool found;
	size_t i;
	int err = 0;

	if (nonce.len == 0 || nonce.len > DIGEST_NONCE_MAX) {
		err = -EINVAL;
		goto out;
	}
	h = nc_hash(nonce);
	i = nc_find(t, nonce, h, &found);
	if (found && nc_expired(t, nc_at(t, i), now)) {
		nc_remove(t, i);
		i = nc_find(t, nonce, h, &found); /* the slots moved */
	}
	if (found) {
		e = t->slots[i] - 1;
		s = &t->pool[e];
		if (nc <= s->nc) {
			err = -EALREADY;
			goto out;
		}
		s->nc = nc;
		s->last = now;
		nc_unlink(t, e);
		nc_push_young(t, e);
		goto out;
	}
	if (nc == 0) {
		err = -EALREADY; /* never above the implicit 0 */
		goto out;
	}
	if (t->count >= t->capacity) {
		nc_make_room(t, now);
		i = nc_find(t, nonce, h, &found);
	}
	e = t->free_head;
	s = &t->pool[e];
	t->free_head = s->next;
	s->hash = h;
	s->last = now;
	s->nc = nc;
	s->len = (uint8_t)nonce.len;
	memcpy(s->nonce, nonce.p, nonce.len);
	t->slots[i] = e + 1;
	nc_push_young(t, e);
	t->count++;
out:
	return err;
}
