/*
 * base.h - the few building blocks every imstb module shares.
 *
 * - struct sv: a string view (pointer + length) into a buffer owned by
 *   someone else. Parsers hand out views, never copies.
 * - x*alloc: allocation that aborts on OOM (STYLE rule 5): ENOMEM is on no
 *   error path anywhere in imstb.
 * - struct buf: a growable byte buffer for building outgoing messages.
 * - struct perr: where and why a parser gave up, so an error answer (or a
 *   failing scenario step) can name the byte and the rule.
 * - obj_*: the refcount used for long-lived shared objects.
 * - log_*: levelled logging to stderr; the level is the only mutable global.
 * - rng_*: a seedable random source, so a run with a fixed seed is
 *   reproducible (tags, branches, nonces, icids).
 *
 * Error convention: int, 0 or a negative errno (libuv's).
 */
#ifndef IMSTB_BASE_H
#define IMSTB_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED(x)     ((void)(x))

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* ---- string views ---------------------------------------------------- */

struct sv {
	const char *p; /* borrowed; not NUL-terminated */
	size_t len;
};

#define SV(lit) ((struct sv){ (lit), sizeof(lit) - 1 })
#define SV_NULL ((struct sv){ NULL, 0 })
/* printf("%.*s", SV_ARG(v)) */
#define SV_ARG(v) (int)(v).len, (v).p

struct sv sv_from_cstr(const char *s);
bool sv_eq(struct sv a, struct sv b);
bool sv_eq_cstr(struct sv a, const char *s);
bool sv_casecmp_cstr(struct sv a,
		     const char *s); /* true if equal, ASCII case-insensitive */
bool sv_caseeq(struct sv a, struct sv b);
bool sv_starts_with(struct sv a, const char *prefix);
bool sv_case_starts_with(struct sv a, const char *prefix);
struct sv sv_trim(struct sv a); /* strips SP, HTAB, CR, LF at both ends */
/* Splits at the first c: *head gets what is before, the return what follows.
 * If c is absent, *head = a and an empty view at a's end is returned. */
struct sv sv_split(struct sv a, char c, struct sv *head);
const char *sv_chr(struct sv a, char c); /* NULL if absent */
/* Decimal unsigned integer filling the whole view; -EINVAL if not, -ERANGE
 * above max. */
int sv_to_u64(struct sv a, uint64_t max, uint64_t *out);
/* Heap copy, NUL-terminated (xmalloc). */
char *sv_dup(struct sv a);
/* Copies into dst (size dstsz, NUL-terminated); -ENOSPC if it doesn't fit. */
int sv_copy(struct sv a, char *dst, size_t dstsz);

/* ---- memory ------------------------------------------------------------ */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
void *xmemdup(const void *p, size_t n);

/* ---- growable buffer (curl dynbuf) -------------------------------------- */

struct buf {
	char *data; /* owned; always NUL-terminated when len > 0 */
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_close(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps memory */
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putsv(struct buf *b, struct sv s);
/* Decimal n, at least `width` digits (zero-padded): printf's %0*lu without
 * the format parsing, for the numbers in every SIP message. */
void buf_put_u(struct buf *b, unsigned long n, int width);
void buf_printf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Drops the first n bytes (stream consumers). */
void buf_consume(struct buf *b, size_t n);
/* Hands the storage to the caller (free() it); b is left empty. */
char *buf_steal(struct buf *b, size_t *len);

/* ---- parser errors ------------------------------------------------------ */

struct perr {
	size_t offset;	 /* byte offset in the input where the fault is */
	const char *why; /* static text naming the rule broken */
	int status; /* SIP status to answer with (400, 413, 513), 0 if n/a */
};

/* Fills *e (if not NULL) and returns -EBADMSG, so parsers can say
 * `return perr_set(e, p - start, "bad Via", 400);` */
int perr_set(struct perr *e, size_t offset, const char *why, int status);

/* ---- refcounted objects (libre mem_ref) --------------------------------- */

typedef void(obj_dtor_cb)(void *obj);
/* Zeroed object of `size` bytes with refcount 1. */
void *obj_new(size_t size, obj_dtor_cb *dtor);
void *obj_ref(void *obj);
/* Drops one reference; runs dtor and frees at zero. Always returns NULL so
 * callers can write `x = obj_unref(x);`. NULL is accepted. */
void *obj_unref(void *obj);
unsigned obj_refs(const void *obj);

/* ---- logging ------------------------------------------------------------ */

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

void log_set_level(enum log_level l);
enum log_level log_get_level(void);
/* Sets the name printed in every line (the process role). */
void log_set_ident(const char *ident);
int log_level_parse(const char *s, enum log_level *out); /* -EINVAL */
void log_msg(enum log_level l, const char *fmt, ...) PRINTF_LIKE(2, 3);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                         \
	do {                                                                   \
		if (log_get_level() >= LOG_DEBUG)                              \
			log_msg(LOG_DEBUG, __VA_ARGS__);                       \
	} while (0)

/* ---- random ------------------------------------------------------------- */

/* A xoshiro256** generator. Seed 0 means "from the OS" (getrandom); any
 * other seed gives the same sequence on every run (--seed N). */
struct rng {
	uint64_t s[4];
};

void rng_init(struct rng *r, uint64_t seed);
uint64_t rng_u64(struct rng *r);
void rng_fill(struct rng *r, void *dst, size_t n);
/* n random lowercase hex digits + NUL into dst (dst has n + 1 bytes). */
void rng_hex(struct rng *r, char *dst, size_t n);

/* ---- misc --------------------------------------------------------------- */

/* Lowercase hex of n bytes into dst (2n + 1 bytes). */
void hex_encode(const void *src, size_t n, char *dst);
/* Wall-clock time in microseconds since the epoch (for traces). */
uint64_t time_now_us(void);

#endif
