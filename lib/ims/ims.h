/*
 * ims.h - IMS identities (TS 23.003 §13) and the Cx User-Data document
 * (TS 29.228 Annex E, carried in the User-Data AVP of TS 29.229 §6.3.7).
 *
 * Pure codecs: no sockets, no loop, no globals. Errors are 0 or a negative
 * errno: -EBADMSG malformed input (with an optional struct perr naming the
 * byte and rule), -EINVAL programmer error, -EMSGSIZE input over a
 * documented bound, -ENOTSUP a valid input this code does not handle.
 *
 * Identity forms handled:
 * - IMPU: a SIP URI (sip:, sips:) or a tel URI (23.003 §13.4).
 * - IMPI: an NAI "user@realm" (23.003 §13.3, RFC 7542 §2.1); the realm is
 *   the home network domain (23.003 §13.2).
 * - Wildcarded IMPU / PSI (23.003 §13.4A, §13.5): the part between the
 *   outermost pair of '!' is a POSIX ERE. This module parses such a text
 *   only where it is known to be a wildcard; an identity received as a
 *   specific IMPU is never scanned for '!' ("sip:chatlist!1@example.com" is
 *   a distinct identity that matches "sip:chatlist!.*!@example.com").
 */
#ifndef IMSTB_IMS_H
#define IMSTB_IMS_H

#include "base/base.h"

/* ---- identities ----------------------------------------------------- */

/* Appends the canonical form of an IMPU to out, for storage and comparison:
 * - sip:/sips: the scheme and host are lowercased (RFC 3261 §19.1.4: they
 *   compare case-insensitively); the user part and parameters are kept,
 *   but for the escapes of the user part (userinfo): "%XX" of a printable
 *   character outside the reserved set ";/?:@&=+$," is decoded (§19.1.4:
 *   they are equivalent), except '%', '<', '>' and '"'; the other escapes
 *   stay, hex in capitals. So the wildcarded IMPU a SIP header carries as
 *   "sip:+15551230!%5B0-9%5D%7B3%7D!@ims.example.com" normalizes to its
 *   TS 23.003 text "sip:+15551230![0-9]{3}!@ims.example.com".
 * - tel: the scheme is lowercased and the visual separators "-.()" are
 *   dropped from the number (RFC 3966 §5.1.1), so "tel:+1-555-0100" and
 *   "tel:+15550100" are the same identity.
 * Enclosing '<' '>' and whitespace are stripped. Returns 0, or -EBADMSG
 * (out unchanged) for another scheme, an empty host/number or a number with
 * characters outside RFC 3966 phonedigit-hex. */
int ims_impu_normalize(struct sv impu, struct buf *out);

/* The reverse, for putting an identity in a SIP header: appends impu with
 * every character of its user part that RFC 3261 §25.1 does not allow
 * there (brackets, braces, '|', '^', '\', '"', '<', '>', ':'...) escaped
 * as "%XX"; existing escapes and the rest are copied as they are (tel:
 * URIs whole). So a wildcarded IMPU text becomes a valid SIP URI that
 * ims_impu_normalize turns back into the text, as long as its wildcard
 * part holds no '@' and no ':' (their escapes are reserved, hence never
 * decoded: write [0-9], not [[:digit:]]). 0, or -EBADMSG (out unchanged)
 * for another scheme. */
int ims_impu_escape(struct sv impu, struct buf *out);

/* The canonical form as a heap string (free()), or NULL if impu is NULL
 * or malformed. */
char *ims_impu_canon(const char *impu);

/* true if both IMPUs are well formed and equal once normalized. */
bool ims_impu_eq(struct sv a, struct sv b);

/* Checks an IMPI: "user@realm" with exactly one '@', a non-empty user of
 * RFC 7542 atext and dots (no leading, trailing or double dot), and a realm
 * of dot-separated LDH labels (RFC 1035 §2.3.1). Returns 0 or -EBADMSG. */
int ims_impi_check(struct sv impi, struct perr *e);

/* *realm = view of the realm of a valid IMPI (its home network domain,
 * 23.003 §13.2/§13.3). Returns 0 or -EBADMSG. */
int ims_impi_realm(struct sv impi, struct sv *realm);

/* ---- wildcarded identities (23.003 §13.4A, §13.5) --------------------- */

struct ims_wildcard; /* opaque; compiled once, matched many times */

/* Parses and compiles a wildcarded identity such as
 * "sip:+15551230![0-9]{3}!@ims.example.com". The outermost pair of '!'
 * delimits the wildcard part (so the fixed parts never contain '!'); fewer
 * than two '!', an empty wildcard part, unbalanced parentheses or an ERE
 * that regcomp(REG_EXTENDED) refuses give -EBADMSG. The fixed parts are
 * normalized as by ims_impu_normalize (scheme and host lowercased) and
 * matched literally (their regex metacharacters are escaped). */
int ims_wildcard_parse(struct sv text, struct ims_wildcard **out,
		       struct perr *e);
void ims_wildcard_free(struct ims_wildcard *w); /* NULL is accepted */

/* The normalized wildcard text ("sip:+1555![0-9]{4}!@host"), owned by w. */
const char *ims_wildcard_text(const struct ims_wildcard *w);

/* true if the specific identity impu (normalized first) is a member of the
 * range: fixed prefix, then a whole match of the ERE, then fixed suffix.
 * A '!' inside impu is an ordinary character. */
bool ims_wildcard_match(const struct ims_wildcard *w, struct sv impu);

/* An ordered set of ranges, each with a caller's tag (say, a row index):
 * the S-CSCF's registered ranges, the HSS's provisioned ones. The IMPU is
 * normalized once per lookup, not once per range. */
struct ims_wcset;
struct ims_wcset *ims_wcset_new(void);
void ims_wcset_free(struct ims_wcset *s); /* NULL is accepted */
/* Takes ownership of w. */
void ims_wcset_add(struct ims_wcset *s, struct ims_wildcard *w, size_t tag);
/* *tag of the first range (in insertion order) impu belongs to; -ENOENT
 * if none (or impu is malformed). */
int ims_wcset_match(const struct ims_wcset *s, struct sv impu, size_t *tag);

/* Size of the range when the ERE is a plain sequence of literals and
 * bracket expressions with fixed repeat counts ("[0-9]{3}", "4[0-5]x").
 * Returns 0, -ENOTSUP for other EREs (".*", "a+", "(a|b)", "[^0]") and
 * -ERANGE above IMS_WILDCARD_COUNT_MAX. */
#define IMS_WILDCARD_COUNT_MAX 100000000ull
int ims_wildcard_count(const struct ims_wildcard *w, uint64_t *n);

/* Appends the member number idx (0-based, in ascending byte order of the
 * wildcard part) to out, so a WWSF can hand out IMPUs from a range
 * (24.371 scenario 3). Same -ENOTSUP/-ERANGE as above; -ERANGE also when
 * idx >= count. */
int ims_wildcard_nth(const struct ims_wildcard *w, uint64_t idx,
		     struct buf *out);

/* ---- IMSSubscription (29.228 Annex E) -------------------------------- */

/* tIdentityType, 29.228 Table E.2 (Rel-10 on; the pre-standard
 * CxDataType_Rel8.xsd numbering differs). */
enum ims_id_type {
	IMS_ID_PUBLIC_USER = 0,       /* distinct IMPU */
	IMS_ID_DISTINCT_PSI = 1,
	IMS_ID_WILDCARDED_PSI = 2,    /* + <WildcardedPSI> */
	IMS_ID_NON_DISTINCT_IMPU = 3, /* one IMPU inside a wildcarded IMPU */
	IMS_ID_WILDCARDED_IMPU = 4,   /* + <WildcardedIMPU> */
};

struct ims_pubid {
	char *identity; /* owned; <Identity> */
	char *wildcard; /* owned or NULL; <WildcardedPSI>/<WildcardedIMPU> */
	enum ims_id_type type;
	bool barred;      /* <BarringIndication>1, written only when set */
	unsigned profile; /* index of its <ServiceProfile>, from 0 */
};

struct ims_sub {
	char *private_id;      /* owned; <PrivateID> */
	struct ims_pubid *ids; /* owned; document order */
	size_t n;
};

/* Bounds: documents over IMS_SUB_XML_MAX bytes are refused before parsing
 * (-EMSGSIZE), as are documents with more than IMS_SUB_IDS_MAX identities. */
#define IMS_SUB_XML_MAX 65536
#define IMS_SUB_IDS_MAX 512

/* Embedded object: init with the IMPI (copied), close frees everything. */
void ims_sub_init(struct ims_sub *s, const char *private_id);
void ims_sub_close(struct ims_sub *s);

/* Appends a PublicIdentity (strings copied; wildcard may be NULL). The
 * profile index must not go down: identities of one ServiceProfile are
 * consecutive. Returns 0, or -EINVAL (NULL identity, profile going down,
 * wildcard missing for a wildcarded type, IMS_SUB_IDS_MAX reached). */
int ims_sub_add(struct ims_sub *s, const char *identity,
		enum ims_id_type type, bool barred, const char *wildcard,
		unsigned profile);

/* Appends the document to out: XML declaration, then <IMSSubscription>
 * with <PrivateID> and one <ServiceProfile> per profile index, each
 * <PublicIdentity> as BarringIndication?, Identity, Extension{IdentityType,
 * WildcardedPSI?, Extension{Extension{WildcardedIMPU?}}} (29.228 Annex E
 * tPublicIdentity and its extension chain). Returns 0 or -EINVAL (no
 * private id, no identity). */
int ims_sub_print(const struct ims_sub *s, struct buf *out);

/* Parses a User-Data document into out (init'ed here; ims_sub_close it
 * after success, nothing to free on error). Refuses, before any entity
 * could be resolved: a DOCTYPE or ENTITY declaration (XXE, entity
 * expansion) and any network access (XML_PARSE_NONET). Unknown elements
 * are skipped (the schema's extension points). Returns 0, -EMSGSIZE, or
 * -EBADMSG (malformed XML, missing PrivateID/ServiceProfile/Identity, bad
 * IdentityType or BarringIndication). */
int ims_sub_parse(const char *xml, size_t len, struct ims_sub *out,
		  struct perr *e);

#endif
