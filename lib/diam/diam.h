/*
 * diam.h - Diameter base protocol codec (RFC 6733). Pure: no sockets, no
 * loop. Numbers and the AVP dictionary are in diam_dict.h, the Cx
 * application in diam_cx.h, the libuv peer in diam_peer.h.
 *
 * Parsing is zero-copy and allocation-free: diam_msg_parse() validates the
 * whole message once (header, every AVP length, padding, nesting of known
 * Grouped AVPs, fixed-size types, M bits) and then hands out views into the
 * caller's buffer, which must outlive the struct diam_msg and every struct
 * diam_avp taken from it. AVPs are walked with a cursor (struct diam_iter)
 * or looked up by (code, vendor).
 *
 * Building appends to a struct buf through struct diam_build. The AVP
 * dictionary (one table, avp_table.c) supplies each AVP's vendor id, flags
 * and type, so callers name an AVP by its code only (codes in our table are
 * unique across vendors). Grouped AVPs are opened and closed; the length is
 * back-patched at close. Errors are sticky: the first one is kept and
 * returned by diam_build_finish(), so a builder can be a straight sequence.
 *
 * Hard limits: DIAM_MAX_MSG bytes per message (bigger ones are refused with
 * 5006 DIAMETER_RESOURCES_EXCEEDED and framing is considered lost), and
 * DIAM_MAX_DEPTH levels of Grouped nesting (deeper: 5006).
 *
 * Errors: 0, -EAGAIN (stream input incomplete), -EBADMSG (malformed; the
 * struct diam_err says where, why and which Result-Code to answer with),
 * -ENOENT (lookup found nothing), -EINVAL (programmer error: unknown AVP
 * code in a builder, unbalanced groups, type mismatch), -EMSGSIZE (a built
 * message would exceed DIAM_MAX_MSG).
 */
#ifndef IMSTB_DIAM_H
#define IMSTB_DIAM_H

#include <sys/socket.h>

#include "base/base.h"
#include "diam/diam_dict.h"

#define DIAM_VERSION   1
#define DIAM_HDR_LEN   20
#define DIAM_MAX_MSG   65536
#define DIAM_MAX_DEPTH 8

/* ---- parsing ------------------------------------------------------------- */

struct diam_msg {
	const uint8_t *raw; /* borrowed: the whole message */
	uint32_t len;	    /* from the header; == bytes consumed */
	uint8_t flags;	    /* DIAM_FLAG_* */
	uint32_t cmd;
	uint32_t app;
	uint32_t hbh; /* hop-by-hop id */
	uint32_t e2e; /* end-to-end id */
};

struct diam_avp {
	uint32_t code;
	uint32_t vendor; /* 0 when the V bit is clear */
	uint8_t flags;	 /* DIAM_AVP_* */
	struct sv data;	 /* payload, padding excluded; borrowed */
	uint32_t off;	 /* offset of the AVP header in the message */
	uint32_t len;	 /* header + payload, padding excluded */
};

/* Cursor over a list of AVPs (a message body or a Grouped payload). */
struct diam_iter {
	const uint8_t *p, *end;
	const uint8_t *base; /* message start, for diam_avp.off */
};

/* What went wrong, for the error answer (RFC 6733 §7.5 Failed-AVP). */
struct diam_err {
	struct perr pe; /* offset, why; status = the Result-Code to answer */
	uint32_t code;	/* the AVP at fault (0: none) */
	uint32_t vendor;
	uint32_t avp_off; /* its bytes in the message; avp_len 0 when the AVP */
	uint32_t avp_len; /* is missing (5005) rather than bad */
};

/* Stream framing: on a complete message at the start of (p, n) sets *len
 * and returns 0; -EAGAIN while bytes are missing; -EBADMSG when framing is
 * lost (version != 1: 5011, length < 20 or not a multiple of 4: 5015, over
 * DIAM_MAX_MSG: 5006) - the connection must then be closed. */
int diam_msg_frame(const void *p, size_t n, size_t *len, struct diam_err *e);

/* Frames and validates the first message in (p, n); m->len tells how much
 * was used. -EAGAIN if incomplete. Result-Codes on -EBADMSG: framing ones
 * as above; 3008 (E bit on a request, or R and E together); 5014 (AVP
 * length below its header, running past its container, or wrong for a
 * fixed-size type); 5004 (bad Address family/length, invalid UTF-8); 3009
 * (M bit set on an AVP whose definition says it MUST NOT be); 5001
 * (unknown AVP with the M bit set); 5006 (nesting deeper than
 * DIAM_MAX_DEPTH). Known Grouped AVPs are validated recursively. */
int diam_msg_parse(struct diam_msg *m, const void *p, size_t n,
		   struct diam_err *e);

void diam_iter_msg(struct diam_iter *it, const struct diam_msg *m);
/* Iterates the children of a Grouped AVP. */
void diam_iter_group(struct diam_iter *it, const struct diam_avp *group,
		     const struct diam_msg *m);
/* Next AVP into *a; false at the end (or on bytes that do not parse). */
bool diam_iter_next(struct diam_iter *it, struct diam_avp *a);

/* First top-level AVP (code, vendor); -ENOENT if absent. */
int diam_msg_find(const struct diam_msg *m, uint32_t code, uint32_t vendor,
		  struct diam_avp *out);
/* First child (code, vendor) of a Grouped AVP; -ENOENT if absent. */
int diam_avp_find(const struct diam_msg *m, const struct diam_avp *group,
		  uint32_t code, uint32_t vendor, struct diam_avp *out);

/* Typed payload readers; -EBADMSG when the payload size is wrong. */
int diam_avp_u32(const struct diam_avp *a, uint32_t *v);
int diam_avp_i32(const struct diam_avp *a, int32_t *v);
int diam_avp_u64(const struct diam_avp *a, uint64_t *v);
/* IPv4/IPv6 Address into a sockaddr (port 0); -EAFNOSUPPORT otherwise. */
int diam_avp_addr(const struct diam_avp *a, struct sockaddr_storage *ss);

/* Result-Code, or else Experimental-Result/Experimental-Result-Code (then
 * *experimental is true, *vendor its Vendor-Id). -ENOENT if neither. */
int diam_msg_result(const struct diam_msg *m, uint32_t *result,
		    bool *experimental, uint32_t *vendor);

/* ---- building ------------------------------------------------------------ */

struct diam_build {
	struct buf *out; /* borrowed; the message is appended to it */
	size_t start;	 /* offset of the message header in out */
	size_t group[DIAM_MAX_DEPTH]; /* offsets of open Grouped AVPs */
	unsigned depth;
	int err; /* first error, sticky */
};

/* Appends a header (length patched by diam_build_finish). */
void diam_build_start(struct diam_build *bd, struct buf *out, uint8_t flags,
		      uint32_t cmd, uint32_t app, uint32_t hbh, uint32_t e2e);
/* Header of the answer to req: same cmd, app, hbh, e2e; P copied; R clear;
 * extra_flags may add DIAM_FLAG_E. */
void diam_build_answer(struct diam_build *bd, struct buf *out,
		       const struct diam_msg *req, uint8_t extra_flags);

/* Each appends one AVP named by its code (dictionary gives vendor, flags,
 * type); -EINVAL for an unknown code or a type that does not fit. */
int diam_put_u32(struct diam_build *bd, uint32_t code, uint32_t v);
int diam_put_i32(struct diam_build *bd, uint32_t code, int32_t v);
int diam_put_u64(struct diam_build *bd, uint32_t code, uint64_t v);
int diam_put_bytes(struct diam_build *bd, uint32_t code, const void *p,
		   size_t n);
int diam_put_sv(struct diam_build *bd, uint32_t code, struct sv s);
int diam_put_str(struct diam_build *bd, uint32_t code, const char *s);
/* Address AVP from an AF_INET/AF_INET6 sockaddr. */
int diam_put_addr(struct diam_build *bd, uint32_t code,
		  const struct sockaddr *sa);
/* Any AVP, flags and vendor as given (V is set iff vendor != 0). */
int diam_put_raw(struct diam_build *bd, uint32_t code, uint8_t flags,
		 uint32_t vendor, const void *p, size_t n);
/* Copies a parsed AVP verbatim (e.g. into Failed-AVP). */
int diam_put_avp(struct diam_build *bd, const struct diam_msg *m,
		 const struct diam_avp *a);
int diam_group_begin(struct diam_build *bd, uint32_t code);
int diam_group_end(struct diam_build *bd);

/* Patches the message length; returns the first error of the build (and
 * then removes the partial message from out), -EINVAL if groups are open,
 * -EMSGSIZE over DIAM_MAX_MSG. */
int diam_build_finish(struct diam_build *bd);

/* ---- base protocol messages (RFC 6733 §5) -------------------------------- */

/* Who we are; from the process config. Strings borrowed. */
struct diam_local {
	const char *host;	  /* Origin-Host (an FQDN) */
	const char *realm;	  /* Origin-Realm */
	const char *product;	  /* Product-Name; NULL: "imstb" */
	uint32_t vendor_id;	  /* Vendor-Id; 0 allowed */
	uint32_t origin_state_id; /* 0: not sent */
	/* Host-IP-Address; AF_UNSPEC: 127.0.0.1 */
	struct sockaddr_storage ip;
};

/* What a CER/CEA says (views into the message). */
struct diam_ce {
	struct sv origin_host, origin_realm, product;
	uint32_t vendor_id;
	bool has_result;
	uint32_t result;
	bool cx; /* advertises Cx (auth app 16777216) or relay */
	struct sockaddr_storage ip; /* first Host-IP-Address */
};

/* CER (§5.3.1): Origin-Host, Origin-Realm, Host-IP-Address, Vendor-Id,
 * Product-Name, [Origin-State-Id], Supported-Vendor-Id 10415,
 * Vendor-Specific-Application-Id {Vendor-Id 10415, Auth-Application-Id
 * 16777216}. */
int diam_cer_build(struct buf *out, const struct diam_local *l, uint32_t hbh,
		   uint32_t e2e);
/* CEA (§5.3.2) to cer with the given Result-Code. */
int diam_cea_build(struct buf *out, const struct diam_msg *cer,
		   const struct diam_local *l, uint32_t result);
/* Parses a CER or CEA; 5005 naming the first of Origin-Host, Origin-Realm,
 * Host-IP-Address, Vendor-Id, Product-Name (or Result-Code in a CEA) that
 * is missing. */
int diam_ce_parse(const struct diam_msg *m, struct diam_ce *ce,
		  struct diam_err *e);

int diam_dwr_build(struct buf *out, const struct diam_local *l, uint32_t hbh,
		   uint32_t e2e);
int diam_dwa_build(struct buf *out, const struct diam_msg *dwr,
		   const struct diam_local *l, uint32_t result);
/* Disconnect-Cause (§5.4.3): 0 REBOOTING, 1 BUSY, 2 DO_NOT_WANT_TO_TALK */
int diam_dpr_build(struct buf *out, const struct diam_local *l, uint32_t hbh,
		   uint32_t e2e, uint32_t cause);
int diam_dpa_build(struct buf *out, const struct diam_msg *dpr,
		   const struct diam_local *l, uint32_t result);

/* Answer to a request that failed (RFC 6733 §7.2, §7.5): from the raw
 * request (at least DIAM_HDR_LEN bytes; it need not parse), with Session-Id
 * copied when it can be found, Origin-Host/Realm, Result-Code = e's status,
 * Error-Message = e's why, and Failed-AVP holding the offending AVP (or an
 * empty one of the missing code for 5005). The E bit is set for 3xxx. For
 * Cx requests Vendor-Specific-Application-Id and Auth-Session-State are
 * added so the answer stays a valid Cx answer. -EINVAL if req is not a
 * request or shorter than a header. */
int diam_error_build(struct buf *out, const void *req, size_t len,
		     const struct diam_local *l, const struct diam_err *e);

#endif
