/*
 * base_msg.c - base protocol messages: CER/CEA, DWR/DWA, DPR/DPA (RFC 6733
 * §5.3-5.5) and the error answer with Failed-AVP (§7.2, §7.5).
 */
#include "diam/diam_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

void diam__put_origin(struct diam_build *bd, const struct diam_local *l)
{
	diam_put_str(bd, DIAM_AVP_ORIGIN_HOST, l->host);
	diam_put_str(bd, DIAM_AVP_ORIGIN_REALM, l->realm);
}

void diam__put_cx_vsai(struct diam_build *bd)
{
	/* TS 29.229 §6.2: Cx is a vendor-specific auth application. */
	diam_group_begin(bd, DIAM_AVP_VENDOR_SPECIFIC_APPLICATION_ID);
	diam_put_u32(bd, DIAM_AVP_VENDOR_ID, DIAM_VENDOR_3GPP);
	diam_put_u32(bd, DIAM_AVP_AUTH_APPLICATION_ID, DIAM_APP_CX);
	diam_group_end(bd);
}

/* Host-IP-Address, Vendor-Id, Product-Name: shared by CER and CEA. */
static void put_identity(struct diam_build *bd, const struct diam_local *l)
{
	struct sockaddr_in lo;

	if (l->ip.ss_family == AF_INET || l->ip.ss_family == AF_INET6) {
		diam_put_addr(bd, DIAM_AVP_HOST_IP_ADDRESS,
			      (const struct sockaddr *)&l->ip);
	} else {
		memset(&lo, 0, sizeof(lo));
		lo.sin_family = AF_INET;
		lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		diam_put_addr(bd, DIAM_AVP_HOST_IP_ADDRESS,
			      (const struct sockaddr *)&lo);
	}
	diam_put_u32(bd, DIAM_AVP_VENDOR_ID, l->vendor_id);
	diam_put_str(bd, DIAM_AVP_PRODUCT_NAME,
		     l->product ? l->product : "imstb");
}

/* The rest of a CER/CEA after the identity, §5.3.1 CCF order. */
static void put_capabilities(struct diam_build *bd, const struct diam_local *l)
{
	if (l->origin_state_id)
		diam_put_u32(bd, DIAM_AVP_ORIGIN_STATE_ID, l->origin_state_id);
	diam_put_u32(bd, DIAM_AVP_SUPPORTED_VENDOR_ID, DIAM_VENDOR_3GPP);
	diam__put_cx_vsai(bd);
}

int diam_cer_build(struct buf *out, const struct diam_local *l, uint32_t hbh,
		   uint32_t e2e)
{
	struct diam_build bd;

	diam_build_start(&bd, out, DIAM_FLAG_R, DIAM_CMD_CE, DIAM_APP_COMMON,
			 hbh, e2e);
	diam__put_origin(&bd, l);
	put_identity(&bd, l);
	put_capabilities(&bd, l);
	return diam_build_finish(&bd);
}

int diam_cea_build(struct buf *out, const struct diam_msg *cer,
		   const struct diam_local *l, uint32_t result)
{
	struct diam_build bd;

	diam_build_answer(&bd, out, cer, 0);
	diam_put_u32(&bd, DIAM_AVP_RESULT_CODE, result);
	diam__put_origin(&bd, l);
	put_identity(&bd, l);
	put_capabilities(&bd, l);
	return diam_build_finish(&bd);
}

static bool app_is_cx(const struct diam_msg *m, const struct diam_avp *a)
{
	struct diam_avp c;
	uint32_t v = 0;

	if (a->code == DIAM_AVP_AUTH_APPLICATION_ID && !a->vendor)
		return diam_avp_u32(a, &v) == 0 &&
		       (v == DIAM_APP_CX || v == DIAM_APP_RELAY);
	if (a->code != DIAM_AVP_VENDOR_SPECIFIC_APPLICATION_ID || a->vendor)
		return false;
	if (diam_avp_find(m, a, DIAM_AVP_AUTH_APPLICATION_ID, 0, &c))
		return false;
	return diam_avp_u32(&c, &v) == 0 && v == DIAM_APP_CX;
}

int diam_ce_parse(const struct diam_msg *m, struct diam_ce *ce,
		  struct diam_err *e)
{
	static const uint32_t required[] = {
		DIAM_AVP_ORIGIN_HOST,	  DIAM_AVP_ORIGIN_REALM,
		DIAM_AVP_HOST_IP_ADDRESS, DIAM_AVP_VENDOR_ID,
		DIAM_AVP_PRODUCT_NAME,
	};
	bool seen[ARRAY_SIZE(required)] = { false };
	struct diam_iter it;
	struct diam_avp a;
	int err = 0;

	memset(ce, 0, sizeof(*ce));
	diam_iter_msg(&it, m);
	while (diam_iter_next(&it, &a)) {
		if (a.vendor)
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
			if (a.code == required[i] && !seen[i]) {
				seen[i] = true;
				break;
			}
		}
		switch (a.code) {
		case DIAM_AVP_ORIGIN_HOST:
			ce->origin_host = a.data;
			break;
		case DIAM_AVP_ORIGIN_REALM:
			ce->origin_realm = a.data;
			break;
		case DIAM_AVP_PRODUCT_NAME:
			ce->product = a.data;
			break;
		case DIAM_AVP_VENDOR_ID:
			diam_avp_u32(&a, &ce->vendor_id);
			break;
		case DIAM_AVP_RESULT_CODE:
			ce->has_result = diam_avp_u32(&a, &ce->result) == 0;
			break;
		case DIAM_AVP_HOST_IP_ADDRESS:
			if (ce->ip.ss_family == AF_UNSPEC)
				diam_avp_addr(&a, &ce->ip);
			break;
		default:
			if (app_is_cx(m, &a))
				ce->cx = true;
			break;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
		if (!seen[i]) {
			err = diam__err(e, 0, "missing AVP in CER/CEA",
					DIAM_MISSING_AVP, required[i], 0, 0, 0);
			goto out;
		}
	}
	if (!(m->flags & DIAM_FLAG_R) && !ce->has_result)
		err = diam__err(e, 0, "CEA without Result-Code",
				DIAM_MISSING_AVP, DIAM_AVP_RESULT_CODE, 0, 0,
				0);
out:
	return err;
}

int diam_dwr_build(struct buf *out, const struct diam_local *l, uint32_t hbh,
		   uint32_t e2e)
{
	struct diam_build bd;

	diam_build_start(&bd, out, DIAM_FLAG_R, DIAM_CMD_DW, DIAM_APP_COMMON,
			 hbh, e2e);
	diam__put_origin(&bd, l);
	if (l->origin_state_id)
		diam_put_u32(&bd, DIAM_AVP_ORIGIN_STATE_ID, l->origin_state_id);
	return diam_build_finish(&bd);
}

int diam_dwa_build(struct buf *out, const struct diam_msg *dwr,
		   const struct diam_local *l, uint32_t result)
{
	struct diam_build bd;

	diam_build_answer(&bd, out, dwr, 0);
	diam_put_u32(&bd, DIAM_AVP_RESULT_CODE, result);
	diam__put_origin(&bd, l);
	if (l->origin_state_id)
		diam_put_u32(&bd, DIAM_AVP_ORIGIN_STATE_ID, l->origin_state_id);
	return diam_build_finish(&bd);
}

int diam_dpr_build(struct buf *out, const struct diam_local *l, uint32_t hbh,
		   uint32_t e2e, uint32_t cause)
{
	struct diam_build bd;

	diam_build_start(&bd, out, DIAM_FLAG_R, DIAM_CMD_DP, DIAM_APP_COMMON,
			 hbh, e2e);
	diam__put_origin(&bd, l);
	diam_put_u32(&bd, DIAM_AVP_DISCONNECT_CAUSE, cause);
	return diam_build_finish(&bd);
}

int diam_dpa_build(struct buf *out, const struct diam_msg *dpr,
		   const struct diam_local *l, uint32_t result)
{
	struct diam_build bd;

	diam_build_answer(&bd, out, dpr, 0);
	diam_put_u32(&bd, DIAM_AVP_RESULT_CODE, result);
	diam__put_origin(&bd, l);
	return diam_build_finish(&bd);
}

/* ---- error answers ------------------------------------------------------- */

/* Smallest valid payload of a type: zeroes of this size stand in for a
 * value in Failed-AVP (RFC 6733 §7.5). */
static size_t min_payload(enum diam_avp_type t)
{
	switch (t) {
	case DIAM_TYPE_U64:
		return 8;
	case DIAM_TYPE_ADDR:
		return 6;
	case DIAM_TYPE_U32:
	case DIAM_TYPE_I32:
	case DIAM_TYPE_ENUM:
	case DIAM_TYPE_TIME:
		return 4;
	default:
		return 0;
	}
}

/* Failed-AVP (RFC 6733 §7.5): the offending AVP verbatim; or, when its
 * length is what is wrong (§7.1.5 5014) or it is missing (5005), its
 * header with a zero-filled payload of the type's minimum size. */
static void put_failed_avp(struct diam_build *bd, const uint8_t *raw,
			   size_t len, const struct diam_err *e)
{
	static const uint8_t zero[8];
	const struct diam_avp_def *d;
	uint8_t flags = DIAM_AVP_M;
	size_t n = 0;

	if (!e->code && !e->avp_len)
		return;
	diam_group_begin(bd, DIAM_AVP_FAILED_AVP);
	if (e->avp_len && (size_t)e->avp_off + e->avp_len <= len) {
		buf_append(bd->out, raw + e->avp_off, e->avp_len);
		buf_append(bd->out, zero, (4 - e->avp_len % 4) % 4);
	} else {
		d = diam_avp_def_find(e->code, e->vendor);
		if (d) {
			flags = d->flags;
			n = min_payload(d->type);
		} else if ((size_t)e->avp_off + 5 <= len) {
			flags = raw[e->avp_off + 4] & DIAM_AVP_M;
		}
		diam_put_raw(bd, e->code, flags, e->vendor, zero, n);
	}
	diam_group_end(bd);
}

int diam_error_build(struct buf *out, const void *req, size_t len,
		     const struct diam_local *l, const struct diam_err *e)
{
	const uint8_t *raw = req;
	uint32_t result = (uint32_t)e->pe.status;
	bool proto = result >= 3000 && result < 4000;
	struct diam_msg m;
	struct diam_build bd;
	struct diam_avp sid;
	bool cx, has_sid;
	int err = 0;

	if (len < DIAM_HDR_LEN || !(raw[4] & DIAM_FLAG_R)) {
		err = -EINVAL;
		goto out;
	}
	/* The header is all we trust: views are taken only within what
	 * both the header and the bytes we hold cover. */
	memset(&m, 0, sizeof(m));
	m.raw = raw;
	m.len = diam__be24(raw + 1);
	if (m.len > len || m.len < DIAM_HDR_LEN)
		m.len = (uint32_t)len;
	m.flags = raw[4];
	m.cmd = diam__be24(raw + 5);
	m.app = diam__be32(raw + 8);
	m.hbh = diam__be32(raw + 12);
	m.e2e = diam__be32(raw + 16);
	len = m.len;
	/* A Session-Id that is itself the fault is not echoed. */
	has_sid = e->code != DIAM_AVP_SESSION_ID &&
		  diam_msg_find(&m, DIAM_AVP_SESSION_ID, 0, &sid) == 0;
	cx = m.app == DIAM_APP_CX;

	diam_build_answer(&bd, out, &m, proto ? DIAM_FLAG_E : 0);
	if (has_sid)
		diam_put_sv(&bd, DIAM_AVP_SESSION_ID, sid.data);
	if (cx && !proto) {
		/* TS 29.229 §6.1: every Cx answer carries these. */
		diam__put_cx_vsai(&bd);
		diam_put_u32(&bd, DIAM_AVP_RESULT_CODE, result);
		diam_put_u32(&bd, DIAM_AVP_AUTH_SESSION_STATE, 1);
		diam__put_origin(&bd, l);
	} else if (m.cmd == DIAM_CMD_CE && !proto) {
		diam_put_u32(&bd, DIAM_AVP_RESULT_CODE, result);
		diam__put_origin(&bd, l);
		put_identity(&bd, l);
	} else {
		/* §7.2 answer-message: Result-Code after the origin. */
		diam__put_origin(&bd, l);
		diam_put_u32(&bd, DIAM_AVP_RESULT_CODE, result);
	}
	if (e->pe.why)
		diam_put_str(&bd, DIAM_AVP_ERROR_MESSAGE, e->pe.why);
	put_failed_avp(&bd, raw, len, e);
	err = diam_build_finish(&bd);
out:
	return err;
}
