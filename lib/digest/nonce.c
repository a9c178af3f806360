/*
 * nonce.c - stateless HMAC-protected nonces (RFC 7616 §3.3 and §5.4 leave
 * the nonce format to the server) and the nonce-count replay tracker
 * (RFC 7616 §3.4 "nc", §5.3).
 */
#include "digest/digest_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

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

/* mac = HMAC-SHA-256(key, head | bound) cut to NONCE_MAC bytes. The head
 * has a fixed length, so head | bound is unambiguous. */
static void nonce_mac(unsigned char mac[NONCE_MAC],
		      const struct digest_nonce_key *k,
		      const unsigned char head[NONCE_HEAD], struct sv bound)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	struct buf b;

	buf_init(&b);
	buf_append(&b, head, NONCE_HEAD);
	buf_putsv(&b, bound);
	if (!HMAC(EVP_sha256(), k->key, (int)sizeof(k->key),
		  (const unsigned char *)b.data, b.len, md, &mdlen) ||
	    mdlen < NONCE_MAC) {
		log_error("digest: OpenSSL HMAC failed");
		abort();
	}
	memcpy(mac, md, NONCE_MAC);
	buf_close(&b);
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

struct nc_entry {
	uint64_t hash;
	uint64_t last; /* when the highest nc was accepted */
	uint32_t nc;   /* highest nc accepted */
	uint8_t used;
	uint8_t len;
	char nonce[DIGEST_NONCE_MAX];
};

struct digest_nctrack {
	struct nc_entry *slots; /* owned; mask + 1 of them */
	size_t mask;
	size_t capacity; /* most entries held; at most half the slots */
	size_t count;
	uint64_t lifetime;
};

struct digest_nctrack *digest_nctrack_new(size_t capacity, uint64_t lifetime)
{
	struct digest_nctrack *t = xcalloc(1, sizeof(*t));
	size_t n = 8;

	/* Past 2^24 nonces the O(n) purge would hurt anyway; the clamp also
	 * keeps 2 * capacity from overflowing. */
	if (capacity == 0)
		capacity = 1;
	if (capacity > (size_t)1 << 24)
		capacity = (size_t)1 << 24;
	while (n < 2 * capacity)
		n *= 2;
	t->slots = xcalloc(n, sizeof(*t->slots));
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

/* Slot holding nonce (*found) or the empty slot where it would go. The
 * table is at most half full, so an empty slot always ends the probe. */
static size_t nc_find(const struct digest_nctrack *t, struct sv nonce,
		      uint64_t h, bool *found)
{
	size_t i = h & t->mask;

	for (; t->slots[i].used; i = (i + 1) & t->mask) {
		const struct nc_entry *s = &t->slots[i];

		if (s->hash == h && s->len == nonce.len &&
		    memcmp(s->nonce, nonce.p, nonce.len) == 0) {
			*found = true;
			return i;
		}
	}
	*found = false;
	return i;
}

/* Backward-shift deletion for linear probing (Knuth 6.4 Algorithm R): no
 * tombstones, so probes stay as short as the load allows. */
static void nc_remove(struct digest_nctrack *t, size_t i)
{
	size_t j = i;

	for (;;) {
		j = (j + 1) & t->mask;
		if (!t->slots[j].used)
			break;
		/* The entry at j may fill the hole at i if i lies between its
		 * home slot and j (cyclically). */
		size_t home = t->slots[j].hash & t->mask;

		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].used = 0;
	t->count--;
}

static bool nc_expired(const struct digest_nctrack *t,
		       const struct nc_entry *s, uint64_t now)
{
	return now >= s->last && now - s->last >= t->lifetime;
}

/* Frees room for one entry: expired entries first, else the LRU one. */
static void nc_make_room(struct digest_nctrack *t, uint64_t now)
{
	size_t i = 0, lru = SIZE_MAX;

	/* A removal may shift a later entry into slot i: look at i again. */
	while (i <= t->mask) {
		if (t->slots[i].used && nc_expired(t, &t->slots[i], now))
			nc_remove(t, i);
		else
			i++;
	}
	if (t->count < t->capacity)
		return;
	for (i = 0; i <= t->mask; i++) {
		if (t->slots[i].used &&
		    (lru == SIZE_MAX || t->slots[i].last < t->slots[lru].last))
			lru = i;
	}
	if (lru != SIZE_MAX)
		nc_remove(t, lru);
}

int digest_nctrack_check(struct digest_nctrack *t, struct sv nonce,
			 uint32_t nc, uint64_t now)
{
	uint64_t h;
	struct nc_entry *s;
	bool found;
	size_t i;
	int err = 0;

	if (nonce.len == 0 || nonce.len > DIGEST_NONCE_MAX) {
		err = -EINVAL;
		goto out;
	}
	h = nc_hash(nonce);
	i = nc_find(t, nonce, h, &found);
	if (found && nc_expired(t, &t->slots[i], now)) {
		nc_remove(t, i);
		i = nc_find(t, nonce, h, &found); /* the slots moved */
	}
	if (found) {
		s = &t->slots[i];
		if (nc <= s->nc) {
			err = -EALREADY;
			goto out;
		}
		s->nc = nc;
		s->last = now;
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
	s = &t->slots[i];
	s->hash = h;
	s->last = now;
	s->nc = nc;
	s->used = 1;
	s->len = (uint8_t)nonce.len;
	memcpy(s->nonce, nonce.p, nonce.len);
	t->count++;
out:
	return err;
}
