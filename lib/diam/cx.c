/*
 * cx.c - Cx commands (TS 29.229 §6.1): one table per command lists its
 * AVPs in CCF order with what is required; the builder walks it to write,
 * the parser to file each top-level AVP and to spot missing/duplicate ones.
 */
#include "diam/diam_cx.h"
#include "diam/diam_int.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

enum kind {
	K_END = 0,
	K_SV,	  /* struct sv at off */
	K_U32,	  /* uint32_t at off; bool at has (or NO_HAS: always) */
	K_VSAI,	  /* Vendor-Specific-Application-Id */
	K_ASS,	  /* Auth-Session-State = NO_STATE_MAINTAINED (1) */
	K_RESULT, /* Result-Code or Experimental-Result */
	K_AUTH,	  /* SIP-Auth-Data-Item(s) */
	K_CAPS,	  /* Server-Capabilities */
	K_CHARGE, /* Charging-Information */
	K_ASSOC,  /* Associated-Identities */
	K_WAF,	  /* Allowed-WAF-WWSF-Identities */
};

#define NO_HAS ((size_t)-1)
#define REQ    1 /* {required} */
#define MULTI  2 /* may repeat (*[...]): no duplicate check */

struct item {
	enum kind kind;
	uint32_t code;
	size_t off, has;
	unsigned flags;
};

#define F(f) offsetof(struct diam_cx, f)
/* clang-format off */
#define SV_(code, f, fl) { K_SV, code, F(f), NO_HAS, fl }
#define SESSION SV_(DIAM_AVP_SESSION_ID, session_id, REQ)
#define VSAI { K_VSAI, DIAM_AVP_VENDOR_SPECIFIC_APPLICATION_ID, 0, 0, REQ }
#define ASS { K_ASS, DIAM_AVP_AUTH_SESSION_STATE, 0, 0, REQ }
#define OHOST SV_(DIAM_AVP_ORIGIN_HOST, origin_host, REQ)
#define OREALM SV_(DIAM_AVP_ORIGIN_REALM, origin_realm, REQ)
#define DHOST SV_(DIAM_AVP_DESTINATION_HOST, dest_host, 0)
#define DREALM SV_(DIAM_AVP_DESTINATION_REALM, dest_realm, REQ)
#define RESULT { K_RESULT, DIAM_AVP_RESULT_CODE, 0, 0, REQ }
#define UNAME(fl) SV_(DIAM_AVP_USER_NAME, user_name, fl)
#define PUBID(fl) SV_(DIAM_AVP_PUBLIC_IDENTITY, public_identity, fl)
#define WPUBID \
	SV_(DIAM_AVP_WILDCARDED_PUBLIC_IDENTITY, wildcarded_public_identity, 0)
#define SNAME(fl) SV_(DIAM_AVP_SERVER_NAME, server_name, fl)
#define UAT { K_U32, DIAM_AVP_USER_AUTHORIZATION_TYPE, F(auth_type), \
	      F(has_auth_type), 0 }
#define CAPS { K_CAPS, DIAM_AVP_SERVER_CAPABILITIES, 0, 0, 0 }
#define END { K_END, 0, 0, 0, 0 }

/* TS 29.229 §6.1.1 - §6.1.8, the CCFs in order (Proxy-Info, Route-Record,
 * Supported-Features, OC-* and DRMP are not generated). */
static const struct item uar[] = {
	SESSION, VSAI, ASS, OHOST, OREALM, DHOST, DREALM, UNAME(REQ),
	PUBID(REQ),
	SV_(DIAM_AVP_VISITED_NETWORK_IDENTIFIER, visited_network, REQ),
	UAT, END
};
static const struct item uaa[] = {
	SESSION, VSAI, RESULT, ASS, OHOST, OREALM, SNAME(0), CAPS, END
};
static const struct item sar[] = {
	SESSION, VSAI, ASS, OHOST, OREALM, DHOST, DREALM, UNAME(0),
	PUBID(MULTI), WPUBID, SNAME(REQ),
	{ K_U32, DIAM_AVP_SERVER_ASSIGNMENT_TYPE, F(sat), NO_HAS, REQ },
	{ K_U32, DIAM_AVP_USER_DATA_ALREADY_AVAILABLE, F(udaa), NO_HAS, REQ },
	END
};
static const struct item saa[] = {
	SESSION, VSAI, RESULT, ASS, OHOST, OREALM, UNAME(0),
	SV_(DIAM_AVP_USER_DATA, user_data, 0),
	{ K_CHARGE, DIAM_AVP_CHARGING_INFORMATION, 0, 0, 0 },
	{ K_ASSOC, DIAM_AVP_ASSOCIATED_IDENTITIES, 0, 0, 0 },
	SNAME(0), WPUBID,
	{ K_WAF, DIAM_AVP_ALLOWED_WAF_WWSF_IDENTITIES, 0, 0, 0 },
	END
};
static const struct item lir[] = {
	SESSION, VSAI, ASS, OHOST, OREALM, DHOST, DREALM,
	{ K_U32, DIAM_AVP_ORIGINATING_REQUEST, F(originating),
	  F(has_originating), 0 },
	PUBID(REQ), UAT, END
};
static const struct item lia[] = {
	SESSION, VSAI, RESULT, ASS, OHOST, OREALM, SNAME(0), CAPS, WPUBID, END
};
static const struct item mar[] = {
	SESSION, VSAI, ASS, OHOST, OREALM, DREALM, DHOST, UNAME(REQ),
	PUBID(REQ), { K_AUTH, DIAM_AVP_SIP_AUTH_DATA_ITEM, 0, 0, REQ },
	{ K_U32, DIAM_AVP_SIP_NUMBER_AUTH_ITEMS, F(num_auth_items),
	  F(has_num_auth_items), REQ },
	SNAME(REQ), END
};
static const struct item maa[] = {
	SESSION, VSAI, RESULT, ASS, OHOST, OREALM, UNAME(0), PUBID(0),
	{ K_U32, DIAM_AVP_SIP_NUMBER_AUTH_ITEMS, F(num_auth_items),
	  F(has_num_auth_items), 0 },
	{ K_AUTH, DIAM_AVP_SIP_AUTH_DATA_ITEM, 0, 0, MULTI },
	END
};
/* clang-format on */

static const struct item *ccf(uint32_t cmd, bool request)
{
	switch (cmd) {
	case DIAM_CMD_UA:
		return request ? uar : uaa;
	case DIAM_CMD_SA:
		return request ? sar : saa;
	case DIAM_CMD_LI:
		return request ? lir : lia;
	case DIAM_CMD_MA:
		return request ? mar : maa;
	default:
		return NULL;
	}
}

static struct sv *fsv(const struct diam_cx *c, size_t off)
{
	return (struct sv *)(uintptr_t)((const char *)c + off);
}

static uint32_t *fu32(const struct diam_cx *c, size_t off)
{
	return (uint32_t *)(uintptr_t)((const char *)c + off);
}

static bool *fbool(const struct diam_cx *c, size_t off)
{
	return (bool *)(uintptr_t)((const char *)c + off);
}

/* ---- building ------------------------------------------------------------ */

static void put_opt(struct diam_build *bd, uint32_t code, struct sv s)
{
	if (s.p)
		diam_put_sv(bd, code, s);
}

static void put_auth(struct diam_build *bd, const struct diam_cx_auth *a)
{
	diam_group_begin(bd, DIAM_AVP_SIP_AUTH_DATA_ITEM);
	if (a->has_item_number)
		diam_put_u32(bd, DIAM_AVP_SIP_ITEM_NUMBER, a->item_number);
	put_opt(bd, DIAM_AVP_SIP_AUTHENTICATION_SCHEME, a->scheme);
	put_opt(bd, DIAM_AVP_SIP_AUTHENTICATE, a->authenticate);
	put_opt(bd, DIAM_AVP_SIP_AUTHORIZATION, a->authorization);
	put_opt(bd, DIAM_AVP_CONFIDENTIALITY_KEY, a->ck);
	put_opt(bd, DIAM_AVP_INTEGRITY_KEY, a->ik);
	if (a->realm.p) {
		/* TS 29.229 §6.3.36 order */
		diam_group_begin(bd, DIAM_AVP_SIP_DIGEST_AUTHENTICATE);
		diam_put_sv(bd, DIAM_AVP_DIGEST_REALM, a->realm);
		put_opt(bd, DIAM_AVP_DIGEST_ALGORITHM, a->algorithm);
		put_opt(bd, DIAM_AVP_DIGEST_QOP, a->qop);
		put_opt(bd, DIAM_AVP_DIGEST_HA1, a->ha1);
		put_opt(bd, DIAM_AVP_ALTERNATE_DIGEST_ALGORITHM,
			a->alt_algorithm);
		put_opt(bd, DIAM_AVP_ALTERNATE_DIGEST_HA1, a->alt_ha1);
		diam_group_end(bd);
	}
	diam_group_end(bd);
}

static void put_list(struct diam_build *bd, uint32_t code, const struct sv *v,
		     unsigned n)
{
	for (unsigned i = 0; i < n && i < DIAM_CX_MAX_LIST; i++)
		diam_put_sv(bd, code, v[i]);
}

/* Writes one CCF item; false if it is required and c lacks it. */
static bool put_item(struct diam_build *bd, const struct item *it,
		     const struct diam_cx *c)
{
	switch (it->kind) {
	case K_SV:
		if (!fsv(c, it->off)->p)
			return !(it->flags & REQ);
		diam_put_sv(bd, it->code, *fsv(c, it->off));
		break;
	case K_U32:
		if (it->has != NO_HAS && !*fbool(c, it->has) &&
		    !(it->flags & REQ))
			break;
		diam_put_u32(bd, it->code, *fu32(c, it->off));
		break;
	case K_VSAI:
		diam__put_cx_vsai(bd);
		break;
	case K_ASS:
		diam_put_u32(bd, DIAM_AVP_AUTH_SESSION_STATE, 1);
		break;
	case K_RESULT:
		if (!c->result)
			return false;
		if (!c->experimental) {
			diam_put_u32(bd, DIAM_AVP_RESULT_CODE, c->result);
			break;
		}
		diam_group_begin(bd, DIAM_AVP_EXPERIMENTAL_RESULT);
		diam_put_u32(bd, DIAM_AVP_VENDOR_ID, DIAM_VENDOR_3GPP);
		diam_put_u32(bd, DIAM_AVP_EXPERIMENTAL_RESULT_CODE, c->result);
		diam_group_end(bd);
		break;
	case K_AUTH:
		if (c->n_auth == 0 || c->n_auth > DIAM_CX_MAX_AUTH)
			return !(it->flags & REQ) && c->n_auth == 0;
		for (unsigned i = 0; i < c->n_auth; i++) {
			if ((it->flags & REQ) && !c->auth[i].scheme.p)
				return false;
			put_auth(bd, &c->auth[i]);
			if (!(it->flags & MULTI))
				break;
		}
		break;
	case K_CAPS:
		if (!c->has_caps)
			break;
		diam_group_begin(bd, it->code);
		for (unsigned i = 0; i < c->n_mand && i < DIAM_CX_MAX_LIST; i++)
			diam_put_u32(bd, DIAM_AVP_MANDATORY_CAPABILITY,
				     c->mand[i]);
		for (unsigned i = 0; i < c->n_opt && i < DIAM_CX_MAX_LIST; i++)
			diam_put_u32(bd, DIAM_AVP_OPTIONAL_CAPABILITY,
				     c->opt[i]);
		diam_group_end(bd);
		break;
	case K_CHARGE:
		if (!c->ccf[0].p && !c->ccf[1].p && !c->ecf[0].p &&
		    !c->ecf[1].p)
			break;
		diam_group_begin(bd, it->code);
		put_opt(bd, DIAM_AVP_PRIMARY_EVENT_CHARGING_FUNCTION_NAME,
			c->ecf[0]);
		put_opt(bd, DIAM_AVP_SECONDARY_EVENT_CHARGING_FUNCTION_NAME,
			c->ecf[1]);
		put_opt(bd, DIAM_AVP_PRIMARY_CHARGING_COLLECTION_FUNCTION_NAME,
			c->ccf[0]);
		put_opt(bd,
			DIAM_AVP_SECONDARY_CHARGING_COLLECTION_FUNCTION_NAME,
			c->ccf[1]);
		diam_group_end(bd);
		break;
	case K_ASSOC:
		if (!c->n_assoc)
			break;
		diam_group_begin(bd, it->code);
		put_list(bd, DIAM_AVP_USER_NAME, c->assoc, c->n_assoc);
		diam_group_end(bd);
		break;
	case K_WAF:
		if (!c->n_waf && !c->n_wwsf)
			break;
		diam_group_begin(bd, it->code);
		put_list(bd, DIAM_AVP_WEBRTC_AUTHENTICATION_FUNCTION_NAME,
			 c->waf, c->n_waf);
		put_list(bd, DIAM_AVP_WEBRTC_WEB_SERVER_FUNCTION_NAME, c->wwsf,
			 c->n_wwsf);
		diam_group_end(bd);
		break;
	case K_END:
		break;
	}
	return true;
}

int diam_cx_build(struct buf *out, const struct diam_cx *c, uint32_t hbh,
		  uint32_t e2e)
{
	const struct item *t = ccf(c->cmd, c->request);
	struct diam_build bd;
	int err;

	if (!t)
		return -EINVAL;
	/* TS 29.229 §6.1: Cx commands are proxiable (PXY). */
	diam_build_start(
		&bd, out,
		(uint8_t)(DIAM_FLAG_P | (c->request ? DIAM_FLAG_R : 0)), c->cmd,
		DIAM_APP_CX, hbh, e2e);
	for (; t->kind != K_END; t++) {
		if (!put_item(&bd, t, c) && !bd.err)
			bd.err = -EINVAL;
	}
	err = diam_build_finish(&bd);
	return err;
}

/* ---- parsing ------------------------------------------------------------- */

static void parse_auth(const struct diam_msg *m, const struct diam_avp *g,
		       struct diam_cx_auth *a)
{
	struct diam_iter it, dit;
	struct diam_avp c, d;

	diam_iter_group(&it, g, m);
	while (diam_iter_next(&it, &c)) {
		switch (c.vendor == DIAM_VENDOR_3GPP ? c.code : 0) {
		case DIAM_AVP_SIP_ITEM_NUMBER:
			a->has_item_number =
				diam_avp_u32(&c, &a->item_number) == 0;
			break;
		case DIAM_AVP_SIP_AUTHENTICATION_SCHEME:
			a->scheme = c.data;
			break;
		case DIAM_AVP_SIP_AUTHENTICATE:
			a->authenticate = c.data;
			break;
		case DIAM_AVP_SIP_AUTHORIZATION:
			a->authorization = c.data;
			break;
		case DIAM_AVP_CONFIDENTIALITY_KEY:
			a->ck = c.data;
			break;
		case DIAM_AVP_INTEGRITY_KEY:
			a->ik = c.data;
			break;
		case DIAM_AVP_SIP_DIGEST_AUTHENTICATE:
			diam_iter_group(&dit, &c, m);
			while (diam_iter_next(&dit, &d)) {
				uint32_t k = d.code | (d.vendor ? 1u << 31 : 0);

				if (k == DIAM_AVP_DIGEST_REALM)
					a->realm = d.data;
				else if (k == DIAM_AVP_DIGEST_ALGORITHM)
					a->algorithm = d.data;
				else if (k == DIAM_AVP_DIGEST_QOP)
					a->qop = d.data;
				else if (k == DIAM_AVP_DIGEST_HA1)
					a->ha1 = d.data;
				else if (d.vendor != DIAM_VENDOR_3GPP)
					continue;
				else if (d.code ==
					 DIAM_AVP_ALTERNATE_DIGEST_ALGORITHM)
					a->alt_algorithm = d.data;
				else if (d.code ==
					 DIAM_AVP_ALTERNATE_DIGEST_HA1)
					a->alt_ha1 = d.data;
			}
			break;
		default:
			break;
		}
	}
}

static void parse_group(const struct diam_msg *m, const struct diam_avp *g,
			enum kind kind, struct diam_cx *c)
{
	struct diam_iter it;
	struct diam_avp a;
	uint32_t v;

	diam_iter_group(&it, g, m);
	while (diam_iter_next(&it, &a)) {
		uint32_t code = a.code;

		if (kind == K_ASSOC && code == DIAM_AVP_USER_NAME &&
		    !a.vendor) {
			if (c->n_assoc < DIAM_CX_MAX_LIST)
				c->assoc[c->n_assoc++] = a.data;
			continue;
		}
		if (a.vendor != DIAM_VENDOR_3GPP)
			continue;
		if (kind == K_CAPS && code == DIAM_AVP_MANDATORY_CAPABILITY &&
		    c->n_mand < DIAM_CX_MAX_LIST && !diam_avp_u32(&a, &v))
			c->mand[c->n_mand++] = v;
		else if (kind == K_CAPS &&
			 code == DIAM_AVP_OPTIONAL_CAPABILITY &&
			 c->n_opt < DIAM_CX_MAX_LIST && !diam_avp_u32(&a, &v))
			c->opt[c->n_opt++] = v;
		else if (kind == K_CHARGE && code >= 619 && code <= 622) {
			/* 619/620 ECF primary/secondary, 621/622 CCF */
			if (code <= 620)
				c->ecf[code - 619] = a.data;
			else
				c->ccf[code - 621] = a.data;
		} else if (
			kind == K_WAF &&
			code == DIAM_AVP_WEBRTC_AUTHENTICATION_FUNCTION_NAME &&
			c->n_waf < DIAM_CX_MAX_LIST)
			c->waf[c->n_waf++] = a.data;
		else if (kind == K_WAF &&
			 code == DIAM_AVP_WEBRTC_WEB_SERVER_FUNCTION_NAME &&
			 c->n_wwsf < DIAM_CX_MAX_LIST)
			c->wwsf[c->n_wwsf++] = a.data;
	}
}

static int parse_result(const struct diam_msg *m, const struct diam_avp *a,
			struct diam_cx *c, struct diam_err *e)
{
	struct diam_avp rc;

	if (a->code == DIAM_AVP_RESULT_CODE)
		return diam_avp_u32(a, &c->result);
	c->experimental = true;
	if (diam_avp_find(m, a, DIAM_AVP_EXPERIMENTAL_RESULT_CODE, 0, &rc))
		return diam__err(e, a->off, "Experimental-Result-Code missing",
				 DIAM_MISSING_AVP,
				 DIAM_AVP_EXPERIMENTAL_RESULT_CODE, 0, 0, 0);
	return diam_avp_u32(&rc, &c->result);
}

/* Index in t of the item that takes AVP a, or -1. */
static int item_of(const struct item *t, const struct diam_avp *a)
{
	const struct diam_avp_def *d = diam_avp_def_find(a->code, a->vendor);

	if (!d)
		return -1;
	for (int i = 0; t[i].kind != K_END; i++) {
		if (t[i].code == a->code ||
		    (t[i].kind == K_RESULT &&
		     a->code == DIAM_AVP_EXPERIMENTAL_RESULT))
			return i;
	}
	return -1;
}

static int file_avp(const struct diam_msg *m, const struct item *it,
		    const struct diam_avp *a, struct diam_cx *c,
		    struct diam_err *e)
{
	int err = 0;

	switch (it->kind) {
	case K_SV:
		*fsv(c, it->off) = a->data;
		break;
	case K_U32:
		err = diam_avp_u32(a, fu32(c, it->off));
		if (it->has != NO_HAS)
			*fbool(c, it->has) = true;
		break;
	case K_RESULT:
		err = parse_result(m, a, c, e);
		break;
	case K_AUTH:
		if (c->n_auth < DIAM_CX_MAX_AUTH)
			parse_auth(m, a, &c->auth[c->n_auth++]);
		break;
	case K_CAPS:
		c->has_caps = true;
		parse_group(m, a, it->kind, c);
		break;
	case K_CHARGE:
	case K_ASSOC:
	case K_WAF:
		parse_group(m, a, it->kind, c);
		break;
	default:
		break;
	}
	return err;
}

int diam_cx_parse(const struct diam_msg *m, struct diam_cx *c,
		  struct diam_err *e)
{
	const struct item *t;
	struct diam_iter it;
	struct diam_avp a;
	uint32_t seen = 0;
	int err = 0, i;

	memset(c, 0, sizeof(*c));
	c->cmd = m->cmd;
	c->request = m->flags & DIAM_FLAG_R;
	c->hbh = m->hbh;
	c->e2e = m->e2e;
	if (m->app != DIAM_APP_CX) {
		err = diam__err(e, 8, "not the Cx application",
				DIAM_APPLICATION_UNSUPPORTED, 0, 0, 0, 0);
		goto out;
	}
	t = ccf(m->cmd, c->request);
	if (!t) {
		err = diam__err(e, 5, "not a Cx command",
				DIAM_COMMAND_UNSUPPORTED, 0, 0, 0, 0);
		goto out;
	}
	diam_iter_msg(&it, m);
	while (diam_iter_next(&it, &a)) {
		i = item_of(t, &a);
		if (i < 0)
			continue; /* *[ AVP ] */
		/* RFC 6733 §7.1.5: a single-valued AVP seen twice. */
		if ((seen & (1u << i)) && !(t[i].flags & MULTI)) {
			err = diam__err(e, a.off, "AVP occurs too many times",
					DIAM_AVP_OCCURS_TOO_MANY_TIMES, a.code,
					a.vendor, a.off, a.len);
			goto out;
		}
		seen |= 1u << i;
		if ((err = file_avp(m, &t[i], &a, c, e)))
			goto out;
	}
	for (i = 0; t[i].kind != K_END; i++) {
		const struct diam_avp_def *d;

		if (!(t[i].flags & REQ) || (seen & (1u << i)))
			continue;
		d = diam_avp_def_by_code(t[i].code);
		err = diam__err(e, 0, "missing AVP", DIAM_MISSING_AVP,
				t[i].code, d ? d->vendor : 0, 0, 0);
		goto out;
	}
out:
	return err;
}

void diam_cx_answer_init(struct diam_cx *ans, const struct diam_cx *req)
{
	memset(ans, 0, sizeof(*ans));
	ans->cmd = req->cmd;
	ans->request = false;
	ans->hbh = req->hbh;
	ans->e2e = req->e2e;
	ans->session_id = req->session_id;
}
