/*
 * store.h - the hss-sim subscriber store (SQLite).
 *
 * What the HSS knows about a subscription (TS 29.228 §6.1, §6.3; TS 23.228
 * §4.3.3): the IMPI with its realm, password (kept for teaching and the
 * "legacy" mode) and Digest HA1s (RFC 7616 §3.4.2: H(impi:realm:password),
 * MD5 and SHA-256); its IMPUs, grouped in implicit registration sets
 * (23.228 §4.3.3.3) with a default IMPU listed first; its wildcarded IMPU
 * ranges (23.003 §13.4A); the S-CSCF assigned to it and the registration
 * state of each set.
 *
 * Calls run on the event loop: every lookup is an indexed query through a
 * statement prepared at open, and wildcard ranges are matched against a
 * compiled in-memory copy, refreshed when the database changes. The
 * database runs in WAL mode with a busy timeout of HSS_STORE_BUSY_MS, so a
 * provisioning tool may write while hss-sim reads.
 *
 * Errors (0 or negative errno): -ENOENT unknown IMPI/IMPU/set, -EEXIST
 * already provisioned, -EINVAL bad argument (malformed IMPI/IMPU/wildcard,
 * set of another IMPI), -EBUSY database locked past the timeout, -EIO any
 * other SQLite failure (logged), -EPROTO database made by a newer schema.
 * IMPUs are stored and looked up normalized (ims_impu_normalize).
 */
#ifndef IMSTB_HSS_STORE_H
#define IMSTB_HSS_STORE_H

#include "base/base.h"
#include "ims/ims.h"

#include <uv.h>

#define HSS_STORE_BUSY_MS 500
#define HSS_PASSWORD_MAX 127

/* Allowed authentication schemes of a subscriber (bitmask). */
#define HSS_AUTH_DIGEST_MD5 0x1u    /* Digest-Algorithm MD5 */
#define HSS_AUTH_DIGEST_SHA256 0x2u /* Alternate-Digest-Algorithm SHA-256 */
#define HSS_AUTH_AKA 0x4u           /* reserved for IMS-AKA */
#define HSS_AUTH_TNA 0x8u           /* trusted node (auth-done, tokens) */
#define HSS_AUTH_DIGEST (HSS_AUTH_DIGEST_MD5 | HSS_AUTH_DIGEST_SHA256)

/* Registration state of an implicit set, 29.228 §6.1.2 / Table 6.1.2.1. */
enum hss_reg_state {
	HSS_REG_NOT_REGISTERED = 0,
	HSS_REG_REGISTERED = 1,
	HSS_REG_UNREGISTERED = 2, /* S-CSCF kept for an unregistered user */
};

struct hss_store;

/* Opens (creating file and schema if new) the database at path; ":memory:"
 * works too. */
int hss_store_open(const char *path, struct hss_store **out);
void hss_store_close(struct hss_store *st); /* NULL is accepted */

/* Batch: between batch_begin and batch_end every call runs inside one
 * transaction (its own work as a savepoint), so a request that reads and
 * writes several rows costs one lock round and one WAL commit instead of
 * one per statement. begin returns false (and nothing changes) when no
 * batch was opened: one already is, or the database is busy, in which
 * case each call commits on its own. */
bool hss_store_batch_begin(struct hss_store *st);
/* The serving process's WAL checkpoints go to a libuv worker (app_db.h);
 * the provisioning commands keep SQLite's own. */
void hss_store_offload_checkpoints(struct hss_store *st, uv_loop_t *loop,
				   const char *path);
/* Commits the batch, or rolls it back if err; returns err or the commit's
 * error (err unchanged when no batch is open). */
int hss_store_batch_end(struct hss_store *st, int err);

/* ---- subscribers (IMPI) ------------------------------------------------ */

struct hss_sub {
	char *impi;
	char *realm;
	char *password;
	char *scscf; /* NULL when none is assigned */
	unsigned schemes;
};

/* realm NULL = the IMPI's realm. Stores the password and both HA1s for
 * that realm. -EINVAL: malformed IMPI, NULL or over-long password. */
int hss_store_sub_add(struct hss_store *st, const char *impi,
		      const char *realm, const char *password,
		      unsigned schemes);
/* Owned copies into *out; release with hss_sub_close. */
int hss_store_sub_get(struct hss_store *st, const char *impi,
		      struct hss_sub *out);
void hss_sub_close(struct hss_sub *s);
/* Calls cb for each subscriber in IMPI order; *sub is borrowed for the
 * call. A non-zero return from cb stops the walk and is returned. cb may
 * call other store functions, but not hss_store_sub_list. */
typedef int(hss_sub_cb)(const struct hss_sub *sub, void *arg);
int hss_store_sub_list(struct hss_store *st, hss_sub_cb *cb, void *arg);
/* Removes the subscriber with its IMPUs, ranges and sets. */
int hss_store_sub_remove(struct hss_store *st, const char *impi);

struct hss_auth {
	char ha1_md5[33];    /* lowercase hex */
	char ha1_sha256[65]; /* lowercase hex */
	char password[HSS_PASSWORD_MAX + 1];
	unsigned schemes;
};
/* The Digest material for impi in realm (NULL = its realm; realms compare
 * case-insensitively). -ENOENT for an unknown impi or another realm. */
int hss_store_auth_get(struct hss_store *st, const char *impi,
		       const char *realm, struct hss_auth *out);

/* ---- public identities -------------------------------------------------- */

struct hss_impu {
	char *impu;     /* normalized (for a range: its wildcard text) */
	char *impi;     /* owner */
	int64_t iset;   /* implicit registration set id */
	bool barred;    /* 29.228 §6.6 Barring-Indication */
	bool is_default;
	enum ims_id_type type;
	char *wildcard; /* the range, for NON_DISTINCT / WILDCARDED types */
};

struct hss_impu_list {
	struct hss_impu *v; /* owned */
	size_t n;
};

void hss_impu_close(struct hss_impu *p);
void hss_impu_list_close(struct hss_impu_list *l);

#define HSS_IMPU_BARRED 0x1u
#define HSS_IMPU_DEFAULT 0x2u /* list first in its set (one per set) */

/* Adds a distinct IMPU (type IMS_ID_PUBLIC_USER or IMS_ID_DISTINCT_PSI)
 * to impi's implicit set iset, or to a new set when iset is 0; the set id
 * is stored in *iset_out (may be NULL). A set is dropped with its last
 * identity. */
int hss_store_impu_add(struct hss_store *st, const char *impi,
		       const char *impu, int64_t iset, unsigned flags,
		       enum ims_id_type type, int64_t *iset_out);
/* All public identities of impi, distinct ones and ranges, in User-Data
 * order: by implicit set, then default first, distinct before ranges, and
 * in insertion order. To build the SAA User-Data (29.228 Annex E), feed
 * them to ims_sub_add, starting a new profile index where iset changes
 * (this HSS gives each implicit set its own ServiceProfile). */
int hss_store_impu_list(struct hss_store *st, const char *impi,
			struct hss_impu_list *out);
int hss_store_impu_remove(struct hss_store *st, const char *impu);

/* Adds a wildcarded IMPU range (23.003 §13.4A; checked and normalized by
 * ims_wildcard_parse) to a set of impi, as above. flags: HSS_IMPU_BARRED.
 * Ranges and distinct IMPUs share one namespace (-EEXIST). */
int hss_store_wildcard_add(struct hss_store *st, const char *impi,
			   const char *wildcard, int64_t iset, unsigned flags,
			   int64_t *iset_out);
int hss_store_wildcard_remove(struct hss_store *st, const char *wildcard);

/* ---- what the Cx server asks ------------------------------------------ */

/* Who owns impu: a distinct IMPU first; else a range whose text equals it
 * (type WILDCARDED_IMPU); else the first range (by insertion) it matches,
 * as a NON_DISTINCT_IMPU with out->impu = the normalized impu and
 * out->wildcard = the range. Release with hss_impu_close. */
int hss_store_impu_owner(struct hss_store *st, const char *impu,
			 struct hss_impu *out);
/* The implicit registration set of impu: its distinct IMPUs, default
 * first, then its ranges. */
int hss_store_implicit_set(struct hss_store *st, const char *impu,
			   struct hss_impu_list *out);

/* S-CSCF name assigned to impi (29.228 §6.1.2.1); *name is heap (free())
 * or NULL when none is assigned. set: name NULL clears it. */
int hss_store_scscf_get(struct hss_store *st, const char *impi, char **name);
int hss_store_scscf_set(struct hss_store *st, const char *impi,
			const char *name);

/* Registration state of the implicit set impu belongs to (23.228
 * §4.3.3.3: the set changes state as a whole). */
int hss_store_reg_state_set(struct hss_store *st, const char *impu,
			    enum hss_reg_state state);
int hss_store_reg_state_get(struct hss_store *st, const char *impu,
			    enum hss_reg_state *state);

/* ---- provisioning ------------------------------------------------------- */

/* Load-test users number first .. first+count-1. Each format takes one
 * unsigned conversion (%u, %05u ...; "%%" allowed, nothing else); NULL
 * fields take the defaults shown. All in one transaction: a failure
 * (-EEXIST for an existing user, -EINVAL for a bad format) adds nobody.
 * About 15 us a user: a provisioning call, not one for the event loop. */
struct hss_bulk {
	unsigned first;
	unsigned count;
	const char *impi_fmt;     /* "user%05u@ims.example.com" */
	const char *impu_fmt;     /* "sip:user%05u@ims.example.com" */
	const char *password_fmt; /* "pass%05u" */
	unsigned schemes;         /* 0 = HSS_AUTH_DIGEST */
};
int hss_store_bulk_create(struct hss_store *st, const struct hss_bulk *b);

/* The demo subscribers, realm and home domain ims.example.com:
 * alice@ (IMPUs sip:alice@ default + tel:+15550100 in one set, password
 * alice-pass), bob@ (sip:bob@, bob-pass), enterprise@ (default IMPU
 * sip:enterprise@ims.example.com and, in the same implicit set, the range
 * sip:+15551230![0-9]{3}!@ims.example.com; enterprise-pass). Subscribers
 * already present are left as they are, so it can run at every start. */
int hss_store_provision_demo(struct hss_store *st);

#endif
