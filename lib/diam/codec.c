/*
 * codec.c - Diameter framing, validating parser, AVP cursor and builder
 * (RFC 6733 §3 header, §4 AVPs, §4.4 Grouped, §7.1 Result-Codes).
 */
#include "diam/diam_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

int diam__err(struct diam_err *e, size_t off, const char *why, uint32_t result,
	      uint32_t code, uint32_t vendor, uint32_t avp_off,
	      uint32_t avp_len)
{
	if (e) {
		perr_set(&e->pe, off, why, (int)result);
		e->code = code;
		e->vendor = vendor;
		e->avp_off = avp_off;
		e->avp_len = avp_len;
	}
	return -EBADMSG;
}

/* ---- framing ------------------------------------------------------------- */

int diam_msg_frame(const void *p, size_t n, size_t *len, struct diam_err *e)
{
	const uint8_t *b = p;
	uint32_t l;

	/* The version byte alone is enough to tell a stream is not ours. */
	if (n >= 1 && b[0] != DIAM_VERSION)
		return diam__err(e, 0, "Diameter version is not 1",
				 DIAM_UNSUPPORTED_VERSION, 0, 0, 0, 0);
	if (n < 4)
		return -EAGAIN;
	l = diam__be24(b + 1);
	/* RFC 6733 §3: the length includes the header and is always a
	 * multiple of four (AVPs are padded). */
	if (l < DIAM_HDR_LEN || l % 4 != 0)
		return diam__err(e, 1, "bad Message Length",
				 DIAM_INVALID_MESSAGE_LENGTH, 0, 0, 0, 0);
	if (l > DIAM_MAX_MSG)
		return diam__err(e, 1, "message over DIAM_MAX_MSG",
				 DIAM_RESOURCES_EXCEEDED, 0, 0, 0, 0);
	if (n < l)
		return -EAGAIN;
	*len = l;
	return 0;
}

/* ---- validation ---------------------------------------------------------- */

/* RFC 3629 well-formed UTF-8: no overlongs, no surrogates, <= U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (i + k >= n)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

static int fixed_len(enum diam_avp_type t)
{
	switch (t) {
	case DIAM_TYPE_U32:
	case DIAM_TYPE_I32:
	case DIAM_TYPE_ENUM:
	case DIAM_TYPE_TIME:
		return 4;
	case DIAM_TYPE_U64:
		return 8;
	default:
		return -1;
	}
}

struct vctx {
	const uint8_t *base;
	struct diam_err *e;
};

static int check_avps(struct vctx *v, const uint8_t *p, const uint8_t *end,
		      unsigned depth, bool lenient);

/* One AVP at p (room bytes to the end of its container). *adv gets the
 * padded size. lenient: inside Failed-AVP, where unknown M-bit AVPs are
 * the very thing being reported. */
static int check_avp(struct vctx *v, const uint8_t *p, size_t room,
		     unsigned depth, bool lenient, size_t *adv)
{
	uint32_t off = (uint32_t)(p - v->base), code = 0, vendor = 0, len;
	const struct diam_avp_def *d;
	uint8_t flags = 0;
	size_t hdr, dlen;
	int fl;

	if (room >= 4)
		code = diam__be32(p);
	if (room >= 5)
		flags = p[4];
	hdr = flags & DIAM_AVP_V ? 12 : 8;
	if (room >= 12 && (flags & DIAM_AVP_V))
		vendor = diam__be32(p + 8);
	if (room < hdr)
		return diam__err(v->e, off, "AVP header truncated",
				 DIAM_INVALID_AVP_LENGTH, code, vendor, off, 0);
	len = diam__be24(p + 5);
	/* RFC 6733 §4.1: AVP Length covers header and data, not padding;
	 * the padded AVP must fit in its container. */
	if (len < hdr || ((size_t)len + 3) / 4 * 4 > room)
		return diam__err(v->e, off, "bad AVP Length",
				 DIAM_INVALID_AVP_LENGTH, code, vendor, off, 0);
	*adv = ((size_t)len + 3) / 4 * 4;
	dlen = len - hdr;
	d = diam_avp_def_find(code, vendor);
	if (!d) {
		/* RFC 6733 §4.1: an unrecognised AVP with the M bit set
		 * must be rejected with DIAMETER_AVP_UNSUPPORTED. */
		if ((flags & DIAM_AVP_M) && !lenient)
			return diam__err(v->e, off, "unknown mandatory AVP",
					 DIAM_AVP_UNSUPPORTED, code, vendor,
					 off, len);
		return 0;
	}
	if ((flags & d->mnot) && !lenient)
		return diam__err(v->e, off + 4, "M bit set where forbidden",
				 DIAM_INVALID_AVP_BITS, code, vendor, off, len);
	/* Inside Failed-AVP the AVP is quoted because it is wrong: only its
	 * framing has to hold. */
	if (lenient && d->type != DIAM_TYPE_GROUPED)
		return 0;
	fl = fixed_len(d->type);
	if (fl >= 0 && dlen != (size_t)fl)
		return diam__err(v->e, off, "wrong length for the AVP type",
				 DIAM_INVALID_AVP_LENGTH, code, vendor, off, 0);
	switch (d->type) {
	case DIAM_TYPE_ADDR: {
		/* RFC 6733 §4.3.1: AddressType (IANA family) + address. */
		uint16_t fam =
			dlen >= 2 ? (uint16_t)(p[hdr] << 8 | p[hdr + 1]) : 0;

		if (dlen < 2 || (fam == 1 && dlen != 6) ||
		    (fam == 2 && dlen != 18))
			return diam__err(v->e, off, "bad Address",
					 DIAM_INVALID_AVP_VALUE, code, vendor,
					 off, len);
		break;
	}
	case DIAM_TYPE_UTF8:
		if (!utf8_valid(p + hdr, dlen))
			return diam__err(v->e, off, "invalid UTF-8",
					 DIAM_INVALID_AVP_VALUE, code, vendor,
					 off, len);
		break;
	case DIAM_TYPE_GROUPED:
		if (depth + 1 > DIAM_MAX_DEPTH)
			return diam__err(v->e, off, "AVPs nested too deep",
					 DIAM_RESOURCES_EXCEEDED, code, vendor,
					 off, len);
		return check_avps(v, p + hdr, p + len, depth + 1,
				  lenient || code == DIAM_AVP_FAILED_AVP);
	default:
		break;
	}
	return 0;
}

static int check_avps(struct vctx *v, const uint8_t *p, const uint8_t *end,
		      unsigned depth, bool lenient)
{
	int err = 0;

	while (p < end) {
		size_t adv = 0, room = (size_t)(end - p);

		/* Some peers leave the last child's padding outside the
		 * group's length (the group is padded instead): allow the
		 * room up to the next multiple of four. */
		err = check_avp(v, p, room + ((4 - room % 4) % 4), depth,
				lenient, &adv);
		if (err)
			goto out;
		p += adv;
	}
out:
	return err;
}

int diam_msg_parse(struct diam_msg *m, const void *p, size_t n,
		   struct diam_err *e)
{
	const uint8_t *b = p;
	struct vctx v = { b, e };
	size_t len = 0;
	int err;

	err = diam_msg_frame(p, n, &len, e);
	if (err)
		goto out;
	m->raw = b;
	m->len = (uint32_t)len;
	m->flags = b[4];
	m->cmd = diam__be24(b + 5);
	m->app = diam__be32(b + 8);
	m->hbh = diam__be32(b + 12);
	m->e2e = diam__be32(b + 16);
	/* RFC 6733 §3: E "MUST NOT be set in request messages". */
	if ((m->flags & DIAM_FLAG_R) && (m->flags & DIAM_FLAG_E)) {
		err = diam__err(e, 4, "E bit set on a request",
				DIAM_INVALID_HDR_BITS, 0, 0, 0, 0);
		goto out;
	}
	err = check_avps(&v, b + DIAM_HDR_LEN, b + len, 0, false);
out:
	return err;
}

/* ---- cursor -------------------------------------------------------------- */

void diam_iter_msg(struct diam_iter *it, const struct diam_msg *m)
{
	it->base = m->raw;
	it->p = m->raw + DIAM_HDR_LEN;
	it->end = m->raw + m->len;
}

void diam_iter_group(struct diam_iter *it, const struct diam_avp *group,
		     const struct diam_msg *m)
{
	it->base = m->raw;
	it->p = (const uint8_t *)group->data.p;
	it->end = it->p + group->data.len;
}

bool diam_iter_next(struct diam_iter *it, struct diam_avp *a)
{
	size_t room = (size_t)(it->end - it->p), hdr, len;

	if (it->p >= it->end || room < 8)
		return false;
	a->code = diam__be32(it->p);
	a->flags = it->p[4];
	len = diam__be24(it->p + 5);
	hdr = a->flags & DIAM_AVP_V ? 12 : 8;
	if (len < hdr || len > room)
		return false;
	a->vendor = hdr == 12 ? diam__be32(it->p + 8) : 0;
	a->data.p = (const char *)it->p + hdr;
	a->data.len = len - hdr;
	a->off = (uint32_t)(it->p - it->base);
	a->len = (uint32_t)len;
	len = (len + 3) / 4 * 4;
	it->p = len > room ? it->end : it->p + len;
	return true;
}

static int find_in(struct diam_iter *it, uint32_t code, uint32_t vendor,
		   struct diam_avp *out)
{
	struct diam_avp a;

	while (diam_iter_next(it, &a)) {
		if (a.code == code && a.vendor == vendor) {
			*out = a;
			return 0;
		}
	}
	return -ENOENT;
}

int diam_msg_find(const struct diam_msg *m, uint32_t code, uint32_t vendor,
		  struct diam_avp *out)
{
	struct diam_iter it;

	diam_iter_msg(&it, m);
	return find_in(&it, code, vendor, out);
}

int diam_avp_find(const struct diam_msg *m, const struct diam_avp *group,
		  uint32_t code, uint32_t vendor, struct diam_avp *out)
{
	struct diam_iter it;

	diam_iter_group(&it, group, m);
	return find_in(&it, code, vendor, out);
}

int diam_avp_u32(const struct diam_avp *a, uint32_t *v)
{
	if (a->data.len != 4)
		return -EBADMSG;
	*v = diam__be32((const uint8_t *)a->data.p);
	return 0;
}

int diam_avp_i32(const struct diam_avp *a, int32_t *v)
{
	uint32_t u;
	int err = diam_avp_u32(a, &u);

	if (!err)
		*v = (int32_t)u;
	return err;
}

int diam_avp_u64(const struct diam_avp *a, uint64_t *v)
{
	const uint8_t *p = (const uint8_t *)a->data.p;

	if (a->data.len != 8)
		return -EBADMSG;
	*v = (uint64_t)diam__be32(p) << 32 | diam__be32(p + 4);
	return 0;
}

int diam_avp_addr(const struct diam_avp *a, struct sockaddr_storage *ss)
{
	const uint8_t *p = (const uint8_t *)a->data.p;
	int err = 0;

	memset(ss, 0, sizeof(*ss));
	if (a->data.len == 6 && p[0] == 0 && p[1] == 1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, p + 2, 4);
	} else if (a->data.len == 18 && p[0] == 0 && p[1] == 2) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, p + 2, 16);
	} else {
		err = -EAFNOSUPPORT;
	}
	return err;
}

int diam_msg_result(const struct diam_msg *m, uint32_t *result,
		    bool *experimental, uint32_t *vendor)
{
	struct diam_avp a, c;
	int err;

	*experimental = false;
	*vendor = 0;
	if (diam_msg_find(m, DIAM_AVP_RESULT_CODE, 0, &a) == 0) {
		err = diam_avp_u32(&a, result);
		goto out;
	}
	err = diam_msg_find(m, DIAM_AVP_EXPERIMENTAL_RESULT, 0, &a);
	if (err)
		goto out;
	err = diam_avp_find(m, &a, DIAM_AVP_EXPERIMENTAL_RESULT_CODE, 0, &c);
	if (!err)
		err = diam_avp_u32(&c, result);
	if (err)
		goto out;
	*experimental = true;
	if (diam_avp_find(m, &a, DIAM_AVP_VENDOR_ID, 0, &c) == 0)
		diam_avp_u32(&c, vendor);
out:
	return err;
}

/* ---- builder ------------------------------------------------------------- */

static void put_header(struct diam_build *bd, uint8_t flags, uint32_t cmd,
		       uint32_t app, uint32_t hbh, uint32_t e2e)
{
	uint8_t h[DIAM_HDR_LEN];

	h[0] = DIAM_VERSION;
	diam__put_be24(h + 1, DIAM_HDR_LEN);
	h[4] = flags;
	diam__put_be24(h + 5, cmd);
	diam__put_be32(h + 8, app);
	diam__put_be32(h + 12, hbh);
	diam__put_be32(h + 16, e2e);
	bd->start = bd->out->len;
	bd->depth = 0;
	bd->err = 0;
	buf_append(bd->out, h, sizeof(h));
}

void diam_build_start(struct diam_build *bd, struct buf *out, uint8_t flags,
		      uint32_t cmd, uint32_t app, uint32_t hbh, uint32_t e2e)
{
	bd->out = out;
	put_header(bd, flags, cmd, app, hbh, e2e);
}

void diam_build_answer(struct diam_build *bd, struct buf *out,
		       const struct diam_msg *req, uint8_t extra_flags)
{
	bd->out = out;
	put_header(bd, (uint8_t)((req->flags & DIAM_FLAG_P) | extra_flags),
		   req->cmd, req->app, req->hbh, req->e2e);
}

static int fail(struct diam_build *bd, int err)
{
	if (!bd->err)
		bd->err = err;
	return err;
}

static void put_avp_hdr(struct diam_build *bd, uint32_t code, uint8_t flags,
			uint32_t vendor, size_t dlen)
{
	uint8_t h[12];
	size_t hl = vendor ? 12 : 8;

	flags = (uint8_t)(vendor ? flags | DIAM_AVP_V : flags & ~DIAM_AVP_V);
	diam__put_be32(h, code);
	h[4] = flags;
	diam__put_be24(h + 5, (uint32_t)(hl + dlen));
	diam__put_be32(h + 8, vendor);
	buf_append(bd->out, h, hl);
}

static void put_pad(struct diam_build *bd, size_t dlen)
{
	static const uint8_t zero[3];

	buf_append(bd->out, zero, (4 - dlen % 4) % 4);
}

int diam_put_raw(struct diam_build *bd, uint32_t code, uint8_t flags,
		 uint32_t vendor, const void *p, size_t n)
{
	if (n > DIAM_MAX_MSG)
		return fail(bd, -EMSGSIZE);
	put_avp_hdr(bd, code, flags, vendor, n);
	buf_append(bd->out, p, n);
	put_pad(bd, n);
	return 0;
}

/* Appends a dictionary AVP whose type is one of the two given. */
static int put_typed(struct diam_build *bd, uint32_t code,
		     enum diam_avp_type t1, enum diam_avp_type t2,
		     const void *p, size_t n)
{
	const struct diam_avp_def *d = diam_avp_def_by_code(code);

	if (!d || (d->type != t1 && d->type != t2))
		return fail(bd, -EINVAL);
	return diam_put_raw(bd, code, d->flags, d->vendor, p, n);
}

int diam_put_u32(struct diam_build *bd, uint32_t code, uint32_t v)
{
	uint8_t b[4];
	const struct diam_avp_def *d = diam_avp_def_by_code(code);

	diam__put_be32(b, v);
	if (d && d->type == DIAM_TYPE_TIME)
		return put_typed(bd, code, DIAM_TYPE_TIME, DIAM_TYPE_TIME, b,
				 4);
	return put_typed(bd, code, DIAM_TYPE_U32, DIAM_TYPE_ENUM, b, 4);
}

int diam_put_i32(struct diam_build *bd, uint32_t code, int32_t v)
{
	uint8_t b[4];

	diam__put_be32(b, (uint32_t)v);
	return put_typed(bd, code, DIAM_TYPE_I32, DIAM_TYPE_ENUM, b, 4);
}

int diam_put_u64(struct diam_build *bd, uint32_t code, uint64_t v)
{
	uint8_t b[8];

	diam__put_be32(b, (uint32_t)(v >> 32));
	diam__put_be32(b + 4, (uint32_t)v);
	return put_typed(bd, code, DIAM_TYPE_U64, DIAM_TYPE_U64, b, 8);
}

int diam_put_bytes(struct diam_build *bd, uint32_t code, const void *p,
		   size_t n)
{
	const struct diam_avp_def *d = diam_avp_def_by_code(code);

	if (!d || d->type > DIAM_TYPE_URI) /* the four string-like types */
		return fail(bd, -EINVAL);
	return diam_put_raw(bd, code, d->flags, d->vendor, p, n);
}

int diam_put_sv(struct diam_build *bd, uint32_t code, struct sv s)
{
	return diam_put_bytes(bd, code, s.p, s.len);
}

int diam_put_str(struct diam_build *bd, uint32_t code, const char *s)
{
	return diam_put_bytes(bd, code, s, strlen(s));
}

int diam_put_addr(struct diam_build *bd, uint32_t code,
		  const struct sockaddr *sa)
{
	uint8_t b[18] = { 0 };
	size_t n;

	if (sa->sa_family == AF_INET) {
		b[1] = 1;
		memcpy(b + 2, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		n = 6;
	} else if (sa->sa_family == AF_INET6) {
		b[1] = 2;
		memcpy(b + 2, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		       16);
		n = 18;
	} else {
		return fail(bd, -EINVAL);
	}
	return put_typed(bd, code, DIAM_TYPE_ADDR, DIAM_TYPE_ADDR, b, n);
}

int diam_put_avp(struct diam_build *bd, const struct diam_msg *m,
		 const struct diam_avp *a)
{
	if ((size_t)a->off + a->len > m->len)
		return fail(bd, -EINVAL);
	buf_append(bd->out, m->raw + a->off, a->len);
	put_pad(bd, a->len);
	return 0;
}

int diam_group_begin(struct diam_build *bd, uint32_t code)
{
	const struct diam_avp_def *d = diam_avp_def_by_code(code);

	if (!d || d->type != DIAM_TYPE_GROUPED || bd->depth >= DIAM_MAX_DEPTH)
		return fail(bd, -EINVAL);
	bd->group[bd->depth++] = bd->out->len;
	put_avp_hdr(bd, code, d->flags, d->vendor, 0);
	return 0;
}

int diam_group_end(struct diam_build *bd)
{
	size_t at, len;

	if (bd->depth == 0)
		return fail(bd, -EINVAL);
	at = bd->group[--bd->depth];
	/* Children are padded, so the group's length is a multiple of 4
	 * and it needs no padding of its own. */
	len = bd->out->len - at;
	if (len > 0xffffff)
		return fail(bd, -EMSGSIZE);
	diam__put_be24((uint8_t *)bd->out->data + at + 5, (uint32_t)len);
	return 0;
}

int diam_build_finish(struct diam_build *bd)
{
	size_t len = bd->out->len - bd->start;
	int err = bd->err;

	if (!err && bd->depth)
		err = -EINVAL;
	if (!err && len > DIAM_MAX_MSG)
		err = -EMSGSIZE;
	if (err) {
		bd->out->len = bd->start;
		if (bd->out->data)
			bd->out->data[bd->start] = '\0';
		goto out;
	}
	diam__put_be24((uint8_t *)bd->out->data + bd->start + 1, (uint32_t)len);
out:
	return err;
}
