/*
 * digest.h - Digest access authentication for SIP and HTTP (RFC 7616,
 * RFC 8760, RFC 3261 §22 and §25.1) with the IMS profile (TS 24.229
 * §5.1.1.2.2 and §7.2A.2, TS 33.203 Annex N), plus the Bearer scheme
 * detection the WSF needs (RFC 6750 §2.1, RFC 8898, TS 24.371).
 *
 * Pure: no sockets, no loop, no clock reads. Time is always a parameter
 * (`now`, whole seconds on any fixed base, e.g. the epoch), so tests never
 * sleep. Header values come in as struct sv (the text after the colon of
 * Authorization, Proxy-Authorization, WWW-Authenticate...) and go out as
 * text appended to a struct buf, value only: the caller adds the header
 * name, since SIP never folds these headers into one line (RFC 3261 §7.3.1).
 *
 * Views: a parsed struct digest_cred / digest_chal holds views into the
 * parsed value, which must outlive it, except values that contained
 * quoted-pairs (RFC 3261 §25.1): these are unescaped into the struct's own
 * `unq` store. So never copy these structs by value; pass pointers.
 *
 * Errors: 0 or a negative errno.
 *   -EBADMSG   malformed value (the optional struct perr says where, why)
 *   -ENOTSUP   algorithm or qop this module does not implement
 *   -EACCES    credentials do not authenticate (wrong or empty response,
 *              no qop, a nonce we did not issue): send a fresh challenge
 *   -ESTALE    our nonce and a correct response, but the nonce expired:
 *              challenge again with stale=true (RFC 7616 §3.3)
 *   -EALREADY  nonce-count not above the highest seen for that nonce: replay
 *   -ENOENT    nothing usable (no Digest challenge we can answer)
 *   -EINVAL    programmer error (bad HA1 hex, missing cnonce source...)
 */
#ifndef IMSTB_DIGEST_H
#define IMSTB_DIGEST_H

#include "base/base.h"

#define DIGEST_HEX_MAX 65    /* longest hex digest + NUL (SHA-256) */
#define DIGEST_UNQ_MAX 512   /* store for unescaped quoted-strings */
#define DIGEST_NONCE_LEN 64  /* hex chars of our nonces */
#define DIGEST_NONCE_MAX 128 /* longest nonce the nc tracker takes */

/* ---- algorithms and qop -------------------------------------------------- */

/* RFC 7616 §3.3 / RFC 8760 §2.2. DIGEST_ALG_UNKNOWN is any other name
 * (e.g. AKAv1-MD5): it parses but cannot be computed. */
enum digest_alg {
	DIGEST_ALG_UNKNOWN = 0,
	DIGEST_ALG_MD5,
	DIGEST_ALG_MD5_SESS,
	DIGEST_ALG_SHA256,
	DIGEST_ALG_SHA256_SESS,
};
#define DIGEST_ALG_BIT(a) (1u << (a))

enum digest_qop {
	DIGEST_QOP_NONE = 0, /* RFC 2069 compatibility: no qop parameter */
	DIGEST_QOP_AUTH,
	DIGEST_QOP_AUTH_INT,
	DIGEST_QOP_UNKNOWN,
};

/* "MD5", "MD5-sess", "SHA-256", "SHA-256-sess"; "unknown" otherwise. */
const char *digest_alg_name(enum digest_alg a);
/* Case-insensitive name to enum; -ENOTSUP (and DIGEST_ALG_UNKNOWN) for any
 * other name. An empty name is MD5, the default (RFC 7616 §3.3). */
int digest_alg_parse(enum digest_alg *out, struct sv name);
/* Hex digits of the algorithm's hash: 32, 64, or 0 if unknown. */
size_t digest_alg_hexlen(enum digest_alg a);
/* "auth", "auth-int", or "" for DIGEST_QOP_NONE / UNKNOWN. */
const char *digest_qop_name(enum digest_qop q);

/* ---- schemes ------------------------------------------------------------- */

enum digest_scheme {
	DIGEST_SCHEME_NONE = 0, /* empty, or not starting with a token */
	DIGEST_SCHEME_DIGEST,
	DIGEST_SCHEME_BEARER,
	DIGEST_SCHEME_OTHER,
};

/* The auth-scheme of a value, case-insensitive (RFC 7235 §2.1). */
enum digest_scheme digest_scheme_of(struct sv value);

/* Token of a Bearer value (a view into it): `Bearer <b64token>` (RFC 6750
 * §2.1, RFC 8898) or TS 24.371's `Bearer access_token="<b64token>"`
 * (other params ignored). -EBADMSG if not Bearer or no valid token. */
int digest_bearer_parse(struct sv *token, struct sv value, struct perr *e);

/* ---- parsing ------------------------------------------------------------- */

/* Bits of the `present` masks: which params a parser saw. */
enum {
	DIGEST_P_USERNAME = 1u << 0, DIGEST_P_REALM = 1u << 1,
	DIGEST_P_NONCE = 1u << 2, DIGEST_P_URI = 1u << 3,
	DIGEST_P_RESPONSE = 1u << 4, DIGEST_P_ALGORITHM = 1u << 5,
	DIGEST_P_CNONCE = 1u << 6, DIGEST_P_OPAQUE = 1u << 7,
	DIGEST_P_QOP = 1u << 8, DIGEST_P_NC = 1u << 9,
	DIGEST_P_INTEGRITY = 1u << 10, DIGEST_P_AUTS = 1u << 11,
	DIGEST_P_DOMAIN = 1u << 12, DIGEST_P_STALE = 1u << 13,
};

/* Authorization / Proxy-Authorization: Digest ... (RFC 3261 §25.1
 * digest-response, RFC 7616 §3.4). Views are unquoted and unescaped. */
struct digest_cred {
	struct sv username;  /* IMPI in IMS */
	struct sv nonce;     /* may be empty (IMS initial REGISTER) */
	struct sv uri;       /* digest-uri, exactly as sent */
	struct sv response;  /* may be empty (IMS initial REGISTER) */
	struct sv algorithm; /* as sent; empty if absent */
	struct sv realm, cnonce, opaque;
	struct sv qop;       /* as sent */
	struct sv nc;        /* 8 hex digits as sent */
	struct sv integrity_protected; /* TS 24.229 §7.2A.2 */
	struct sv auts;      /* RFC 3310 §3.4 (AKA resync), for later */
	enum digest_alg alg; /* resolved; MD5 when absent */
	enum digest_qop qop_val;
	uint32_t nc_val;     /* nc as a number; 0 if absent */
	unsigned present;    /* DIGEST_P_* of the params seen */
	size_t unq_len;
	char unq[DIGEST_UNQ_MAX]; /* store for unescaped values */
};

/* Parses a Digest credentials value. Param names are case-insensitive,
 * unknown params are ignored, a known param twice is -EBADMSG (RFC 7235
 * §2.1), values may be token or quoted-string. Requires username, realm,
 * nonce, uri and response (empty allowed); with qop also cnonce and nc
 * (RFC 7616 §3.4). nc must be 8 hex digits (RFC 3261 §25.1).
 * -EBADMSG on any fault, including a scheme other than Digest. */
int digest_cred_parse(struct digest_cred *c, struct sv value, struct perr *e);

/* Empty nonce and response: the IMS initial form (TS 24.229 §5.1.1.2.2). */
bool digest_cred_is_initial(const struct digest_cred *c);

/* WWW-Authenticate / Proxy-Authenticate: Digest ... (RFC 7616 §3.3). */
struct digest_chal {
	struct sv realm, nonce, opaque, domain;
	struct sv algorithm; /* as sent; empty if absent */
	struct sv qop;       /* raw list, e.g. "auth,auth-int" */
	enum digest_alg alg; /* resolved; MD5 when absent */
	bool stale;          /* stale=true (any case) */
	bool qop_auth;       /* "auth" is in the qop list */
	bool qop_auth_int;   /* "auth-int" is in the qop list */
	unsigned present;    /* DIGEST_P_* of the params seen */
	size_t unq_len;
	char unq[DIGEST_UNQ_MAX];
};

/* Parses one Digest challenge value; realm and nonce are required.
 * Same lexical rules and errors as digest_cred_parse. */
int digest_chal_parse(struct digest_chal *ch, struct sv value,
		      struct perr *e);

/* Copies the auth value `value` (credentials or challenge) into out with
 * every param called `name` (case-insensitive) dropped, then, if val.p is
 * not NULL, appends `, name="val"`. For the P-CSCF: set integrity-protected
 * (TS 24.229 §5.2.2.1), strip ck/ik before the UE (§5.2.2.1 step 4).
 * -EBADMSG if value does not parse as scheme + auth-params. */
int digest_param_replace(struct buf *out, struct sv value, const char *name,
			 struct sv val);

/* ---- computation --------------------------------------------------------- */

/* HA1 = H(username ":" realm ":" password) in lowercase hex, with alg's hash
 * (for -sess algorithms too: this is what an HSS stores and sends on Cx;
 * the session step is done by digest_resp_calc). -ENOTSUP if unknown. */
int digest_ha1_calc(char out[DIGEST_HEX_MAX], enum digest_alg alg,
		    struct sv username, struct sv realm, struct sv password);

/* Inputs of one response computation (RFC 7616 §3.4.1-§3.4.3). */
struct digest_calc {
	enum digest_alg alg;
	enum digest_qop qop; /* NONE: RFC 2069 form H(HA1:nonce:HA2) */
	struct sv ha1;       /* hex H(user:realm:password), any case */
	struct sv nonce, method;
	struct sv cnonce;    /* with qop, and always for -sess */
	struct sv nc;        /* 8 hex digits, with qop */
	struct sv uri;       /* digest-uri exactly as in the credentials */
	struct sv body;      /* entity body, auth-int only */
};

/* The request-digest in lowercase hex. -ENOTSUP for an unknown alg or qop,
 * -EINVAL if ha1 is not digest_alg_hexlen(alg) hex digits. */
int digest_resp_calc(char out[DIGEST_HEX_MAX], const struct digest_calc *in);

/* ---- stateless nonces ---------------------------------------------------- */

/* Server secret. A nonce is hex(ts[8] | rnd[8] | mac[16]) where mac is
 * HMAC-SHA-256(key, ts | rnd | bound) cut to 16 bytes, ts the issue time
 * (big-endian seconds) and `bound` what the server ties it to (the realm,
 * or realm + client address). Nothing is stored per nonce. */
struct digest_nonce_key {
	unsigned char key[32];
	uint64_t lifetime; /* seconds a nonce stays fresh */
};

/* Draws the key from rng (seeded rng: reproducible nonces). */
void digest_nonce_key_init(struct digest_nonce_key *k, struct rng *rng,
			   uint64_t lifetime);
/* Writes a fresh nonce (DIGEST_NONCE_LEN hex chars + NUL) into out. */
void digest_nonce_make(char out[DIGEST_NONCE_LEN + 1],
		       const struct digest_nonce_key *k, struct rng *rng,
		       uint64_t now, struct sv bound);
/* 0 fresh; -ESTALE ours but now >= ts + lifetime; -EACCES not ours (bad
 * length or hex, MAC mismatch, other bound data, ts in the future). */
int digest_nonce_check(const struct digest_nonce_key *k, struct sv nonce,
		       struct sv bound, uint64_t now);

/* ---- nonce-count replay tracker ------------------------------------------ */

/* Remembers, per nonce, the highest nc accepted (RFC 7616 §3.4, §5.3), for
 * `capacity` nonces of <= DIGEST_NONCE_MAX bytes; O(1) per call. An entry
 * unused for `lifetime` s is forgotten (use >= the nonce lifetime). When
 * full, the expired go, then the least recently used, whose replay goes
 * unseen: size capacity >= the nonces issued per lifetime. */
struct digest_nctrack;

struct digest_nctrack *digest_nctrack_new(size_t capacity, uint64_t lifetime);
void digest_nctrack_free(struct digest_nctrack *t);
/* 0 and records nc if nc > the highest seen for nonce (an unknown nonce has
 * highest 0); -EALREADY otherwise; -EINVAL if nonce is empty or longer than
 * DIGEST_NONCE_MAX. */
int digest_nctrack_check(struct digest_nctrack *t, struct sv nonce,
			 uint32_t nc, uint64_t now);
size_t digest_nctrack_count(const struct digest_nctrack *t);

/* ---- server side --------------------------------------------------------- */

/* What digest_resp_verify checks a credentials value against. */
struct digest_verify {
	struct sv method;
	struct sv body;  /* auth-int only */
	struct sv ha1;   /* hex HA1 for the cred's alg (from the HSS over Cx) */
	const struct digest_nonce_key *key; /* borrowed; NULL: no nonce check */
	bool nonce_checked; /* with key: nonce_err is the caller's check */
	int nonce_err;
	struct sv bound; /* as given to digest_nonce_make */
	struct digest_nctrack *nct; /* borrowed; NULL: no replay check */
	bool allow_no_qop; /* accept RFC 2069 form (RFC 8760 §2.6 forbids) */
	uint64_t now;
};

/* Checks credentials against an HA1 (no password needed). In order: the
 * initial form or no qop (unless allowed) -EACCES; unknown alg/qop
 * -ENOTSUP; nonce integrity -EACCES; response -EACCES; expiry -ESTALE (only
 * once the response is right, RFC 7616 §3.3); nc replay -EALREADY (qop
 * only). -EINVAL if v->ha1 is malformed. */
int digest_resp_verify(const struct digest_cred *c,
		       const struct digest_verify *v);

/* What a server offers in a challenge. */
struct digest_offer {
	struct sv realm, nonce;
	struct sv opaque; /* empty: omitted */
	bool stale;
	bool no_qop; /* omit qop (RFC 2069 peers only; RFC 8760 §2.6) */
};

/* Appends one challenge value: `Digest realm="..", nonce="..",
 * algorithm=.., qop="auth"[, stale=true][, opaque=".."]`.
 * -ENOTSUP for an unknown alg, -EINVAL for an empty nonce. */
int digest_chal_print(struct buf *out, const struct digest_offer *o,
		      enum digest_alg alg);
/* Appends one `name: <challenge>\r\n` line per algs[i], in that order of
 * preference (RFC 8760 §2.3: e.g. SHA-256, then MD5), same nonce. */
int digest_chal_print_list(struct buf *out, const char *name,
			   const struct digest_offer *o,
			   const enum digest_alg *algs, size_t n);

/* ---- client side --------------------------------------------------------- */

/* Keeps the first of values[0..n) that is a Digest challenge with its alg
 * in alg_mask (DIGEST_ALG_BIT()s; 0 = all known) and, if it has qop,
 * "auth" in it (RFC 8760 §2.4); other schemes and malformed values are
 * skipped. *index (if not NULL) gets its position. -ENOENT if none fits. */
int digest_chal_select(struct digest_chal *out, size_t *index,
		       const struct sv *values, size_t n, unsigned alg_mask);

/* What a client answers a challenge with. */
struct digest_answer {
	struct sv username; /* IMPI in IMS */
	struct sv password; /* used when ha1 is empty */
	struct sv ha1;      /* hex HA1 for the challenge's alg, if known */
	struct sv method;
	struct sv uri;      /* the Request-URI */
	struct sv cnonce;   /* empty: 32 hex digits drawn from rng */
	uint32_t nc;        /* 0 is taken as 1 */
};

/* Appends `Digest username="..", realm="..", nonce="..", uri="..",
 * response="..", algorithm=.., cnonce="..", qop=auth, nc=00000001[,
 * opaque=".."]` answering ch (cnonce/qop/nc only if ch offered qop).
 * -ENOTSUP if ch's alg is unknown or it offers qop without "auth";
 * -EINVAL if rng is needed but NULL or ha1 is malformed. */
int digest_auth_print(struct buf *out, const struct digest_chal *ch,
		      const struct digest_answer *a, struct rng *rng);

/* Appends the IMS initial form (TS 24.229 §5.1.1.2.2): `Digest username=
 * "<impi>", realm="<realm>", uri="sip:<realm>", nonce="", response=""`. */
void digest_auth_print_initial(struct buf *out, struct sv impi,
			       struct sv realm);

#endif
