/* misc.c - logging, seedable randomness, hex, time. */
#include "base/base.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

/* The one mutable global of the library (STYLE rule 7): set at startup. */
static enum log_level g_level = LOG_INFO;
static const char *g_ident = "imstb";

static const char *const level_names[] = { "error", "warn", "info", "debug",
					   "trace" };

void log_set_level(enum log_level l)
{
	g_level = l;
}

enum log_level log_get_level(void)
{
	return g_level;
}

void log_set_ident(const char *ident)
{
	g_ident = ident;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void log_msg(enum log_level l, const char *fmt, ...)
{
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (l > g_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld %s %-5s ", stamp, ts.tv_nsec / 1000000,
		g_ident, level_names[l]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- rng: xoshiro256**, seeded by splitmix64 ----------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_init(struct rng *r, uint64_t seed)
{
	if (seed == 0 && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)r;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t rng_u64(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

void rng_fill(struct rng *r, void *dst, size_t n)
{
	unsigned char *d = dst;

	while (n) {
		uint64_t v = rng_u64(r);
		size_t k = n < 8 ? n : 8;

		memcpy(d, &v, k);
		d += k;
		n -= k;
	}
}

void rng_hex(struct rng *r, char *dst, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++)
		dst[i] = digits[rng_u64(r) & 15];
	dst[n] = '\0';
}

void hex_encode(const void *src, size_t n, char *dst)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *s = src;

	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = digits[s[i] >> 4];
		dst[2 * i + 1] = digits[s[i] & 15];
	}
	dst[2 * n] = '\0';
}

uint64_t time_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
