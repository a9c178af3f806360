/*
 * msg.c - framing (RFC 3261 §18.3) and parsing (§7, §20) of whole SIP
 * messages, and sip_msg_dup.
 *
 * Both framing and parsing start with msg_head_scan, one pass over the
 * header part that enforces the byte rules and the hard limits. Framing
 * then only needs Content-Length; parsing splits the header lines into the
 * fixed array and checks the mandatory headers from one rule table.
 */
#include "sip/sip_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* CR and LF before the start line are ignored (§7.5); on a stream they
 * are RFC 5626 §3.5.1 keep-alives. */
static size_t msg_skip_crlf(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && (p[i] == '\r' || p[i] == '\n'))
		i++;
	return i;
}

/*
 * Scans the header part of p[0..len), start line first. Returns 0 with
 * *hend just past the empty line, -EAGAIN if that line is not there yet,
 * or -EBADMSG as soon as a byte, a line or the header count breaks a rule,
 * so a stream never buffers more than the limits before giving up.
 */
static int msg_head_scan(const char *p, size_t len, size_t *hend,
			 struct perr *e)
{
	size_t lim = len < SIP_MAX_MSG ? len : SIP_MAX_MSG;
	size_t line = 0, nhdrs = 0;

	/* A line at a time with memchr (vectorised in libc) rather than a
	 * byte at a time: this scan runs over every message received. The
	 * first fault in byte order wins, as a byte loop would report it. */
	for (;;) {
		const char *cr = memchr(p + line, '\r', lim - line);
		size_t end = cr ? (size_t)(cr - p) : lim;
		const char *nul = memchr(p + line, '\0', end - line);
		const char *lf = memchr(p + line, '\n', end - line);
		size_t bad = end, too_long = line + SIP_MAX_LINE;
		const char *why = NULL;

		if (nul) {
			bad = (size_t)(nul - p);
			why = "NUL byte in header";
		}
		if (lf && (size_t)(lf - p) < bad) {
			bad = (size_t)(lf - p);
			why = "Bare LF";
		}
		if (too_long < bad && too_long < end)
			return perr_set(e, line, "Line too long", 400);
		if (why)
			return perr_set(e, bad, why, 400);
		if (!cr || end + 1 == lim)
			break;
		if (p[end + 1] != '\n')
			return perr_set(e, end, "Bare CR", 400);
		if (end == line) {
			*hend = end + 2;
			return 0;
		}
		if (line > 0 && !sip__is_wsp(p[line]) &&
		    ++nhdrs > SIP_MAX_HEADERS)
			return perr_set(e, line, "Too many headers", 400);
		line = end + 2;
	}
	if (len >= SIP_MAX_MSG)
		return perr_set(e, SIP_MAX_MSG, "Message too large", 513);
	return -EAGAIN;
}

/* Index of the CR ending the logical line that starts at i: folded lines
 * (CRLF then SP/HTAB, §7.3.1) belong to it. msg_head_scan has checked that
 * every CR in [0, hend) is followed by LF. */
static size_t msg_line_end(const char *p, size_t i, size_t hend)
{
	for (;;) {
		const char *cr = memchr(p + i, '\r', hend - i);
		size_t end = (size_t)(cr - p);

		if (end + 2 < hend && sip__is_wsp(p[end + 2])) {
			i = end + 2;
			continue;
		}
		return end;
	}
}

/* Content-Length = 1*DIGIT (§20.14). Values beyond SIP_MAX_MSG are
 * well-formed; the callers refuse them as too large. */
static int msg_cl_parse(struct sv v, long *cl)
{
	uint64_t n;

	if (sv_to_u64(sv_trim(v), 0x7fffffff, &n))
		return -EBADMSG;
	*cl = (long)n;
	return 0;
}

/* Finds Content-Length (full or compact name) in a scanned header part. */
static int msg_cl_find(const char *p, size_t hend, long *cl, struct perr *e)
{
	size_t pos = (size_t)((const char *)memchr(p, '\r', hend) - p) + 2;

	*cl = -1;
	while (pos < hend - 2) {
		size_t end = msg_line_end(p, pos, hend), i = pos;
		struct sv name;

		while (i < end && p[i] != ':')
			i++;
		name = sip__trim_wsp((struct sv){ p + pos, i - pos });
		if (i < end && sip_hdr_id_of(name) == SIP_HDR_CONTENT_LENGTH) {
			struct sv v = { p + i + 1, end - i - 1 };

			if (*cl >= 0)
				return perr_set(e, pos, "Duplicate "
						"Content-Length", 400);
			if (msg_cl_parse(v, cl))
				return perr_set(e, i + 1, "Bad Content-Length",
						400);
		}
		pos = end + 2;
	}
	return 0;
}

int sip_msg_frame(const char *p, size_t len, size_t *skip, size_t *msg_len,
		  struct perr *e)
{
	size_t s, hend = 0;
	long cl = -1;
	int err = -EINVAL;

	if (!p || !skip || !msg_len)
		return err;
	s = msg_skip_crlf(p, len);
	*skip = s;
	*msg_len = 0;
	err = msg_head_scan(p + s, len - s, &hend, e);
	if (err)
		goto out;
	err = msg_cl_find(p + s, hend, &cl, e);
	if (err)
		goto out;
	if (cl < 0) {
		/* Mandatory on streams (§20.14): without it, no framing. */
		err = perr_set(e, hend - 2, "Missing Content-Length", 400);
		goto out;
	}
	if (hend + (size_t)cl > SIP_MAX_MSG) {
		/* The header part fit: the body is what is too large. */
		err = perr_set(e, hend, "Message too large", 413);
		goto out;
	}
	if (len - s < hend + (size_t)cl) {
		err = -EAGAIN;
		goto out;
	}
	*msg_len = hend + (size_t)cl;
out:
	if (err == -EBADMSG && e)
		e->offset += s;
	return err;
}

/* ---- start line ---------------------------------------------------------- */

/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (§25.1); only 2.0 is ours,
 * any other well-formed version gets 505 (§8.2.2.1 spirit). */
static int msg_version_check(struct sv v, size_t off, struct perr *e)
{
	size_t i = 4, d1, d2;

	if (sv_casecmp_cstr(v, "SIP/2.0"))
		return 0;
	if (!sv_case_starts_with(v, "SIP/"))
		return perr_set(e, off, "Bad start line", 400);
	for (d1 = i; i < v.len && sip__is_digit(v.p[i]); i++)
		;
	d1 = i - d1;
	if (i < v.len && v.p[i] == '.')
		i++;
	for (d2 = i; i < v.len && sip__is_digit(v.p[i]); i++)
		;
	d2 = i - d2;
	if (!d1 || !d2 || i != v.len)
		return perr_set(e, off, "Bad start line", 400);
	return perr_set(e, off, "Version Not Supported", 505);
}

/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF */
static int msg_status_parse(struct sip_msg *m, struct sv line,
			    struct perr *e)
{
	const char *sp = sv_chr(line, ' ');
	struct sv ver, code;
	uint64_t n;
	int err;

	if (!sp)
		return perr_set(e, 0, "Bad start line", 400);
	ver = (struct sv){ line.p, (size_t)(sp - line.p) };
	err = msg_version_check(ver, 0, e);
	if (err)
		return err;
	code = sip__from(line, ver.len + 1);
	if (code.len > 3) {
		if (code.p[3] != ' ')
			return perr_set(e, ver.len + 1, "Bad status code", 400);
		m->reason = sip__from(code, 4);
	} else {
		m->reason = sip__from(code, code.len);
	}
	code.len = code.len > 3 ? 3 : code.len;
	if (code.len != 3 || sv_to_u64(code, 699, &n) || n < 100)
		return perr_set(e, ver.len + 1, "Bad status code", 400);
	m->status = (int)n;
	return 0;
}

/* Request-Line = Method SP Request-URI SP SIP-Version CRLF */
static int msg_request_parse(struct sip_msg *m, struct sv line,
			     struct perr *e)
{
	const char *sp1 = sv_chr(line, ' '), *sp2;
	struct sv rest;
	struct perr ue;

	if (!sp1 || sp1 == line.p)
		return perr_set(e, 0, "Bad start line", 400);
	m->method_str = (struct sv){ line.p, (size_t)(sp1 - line.p) };
	for (size_t i = 0; i < m->method_str.len; i++)
		if (!sip__is_token(line.p[i]))
			return perr_set(e, i, "Bad start line", 400);
	m->method = sip_method_of(m->method_str);
	rest = sip__from(line, m->method_str.len + 1);
	sp2 = sv_chr(rest, ' ');
	if (!sp2 || sp2 == rest.p)
		return perr_set(e, (size_t)(rest.p - line.p), "Bad start line",
				400);
	m->ruri_str = (struct sv){ rest.p, (size_t)(sp2 - rest.p) };
	if (sip_uri_parse(&m->ruri, m->ruri_str, &ue))
		return perr_set(e, (size_t)(rest.p - line.p) + ue.offset,
				ue.status == 416 ? ue.why : "Bad Request-URI",
				ue.status);
	rest = sip__from(rest, m->ruri_str.len + 1);
	return msg_version_check(rest, (size_t)(rest.p - line.p), e);
}

/* ---- mandatory headers (§8.1.1), one rule each -------------------------- */

static int hdr_via(struct sip_msg *m, const struct sip_hdr *h,
		   const char **at, const char **why)
{
	struct sip_list_iter it = { 0 };
	struct sip_via v;
	struct perr ve;
	struct sv el;
	bool top = true;

	/* Every value is checked, not just the top one: a response copies
	 * them all (§8.2.6.2). */
	while (sip_list_iter_next(m, SIP_HDR_VIA, &it, &el)) {
		if (sip_via_parse(top ? &m->via : &v, el, &ve)) {
			*at = el.p + ve.offset;
			return -EBADMSG;
		}
		top = false;
	}
	*at = h->value.p;
	UNUSED(why);
	return top ? -EBADMSG : 0;
}

static int hdr_addr(struct sip_addr *a, struct sv *tag,
		    const struct sip_hdr *h, const char **at)
{
	struct perr ae;

	if (sip_addr_parse(a, h->value, &ae)) {
		*at = h->value.p + ae.offset;
		return -EBADMSG;
	}
	*at = h->value.p;
	if (a->star)
		return -EBADMSG;
	if (sip_param_get(a->params, "tag", tag))
		*tag = SV_NULL;
	return 0;
}

static int hdr_from(struct sip_msg *m, const struct sip_hdr *h,
		    const char **at, const char **why)
{
	UNUSED(why);
	return hdr_addr(&m->from, &m->from_tag, h, at);
}

static int hdr_to(struct sip_msg *m, const struct sip_hdr *h,
		  const char **at, const char **why)
{
	UNUSED(why);
	return hdr_addr(&m->to, &m->to_tag, h, at);
}

/* callid = word [ "@" word ]: visible characters, no white space. */
static int hdr_call_id(struct sip_msg *m, const struct sip_hdr *h,
		       const char **at, const char **why)
{
	UNUSED(why);
	*at = h->value.p;
	if (!h->value.len)
		return -EBADMSG;
	for (size_t i = 0; i < h->value.len; i++) {
		if (!sip__is_vchar(h->value.p[i])) {
			*at = h->value.p + i;
			return -EBADMSG;
		}
	}
	m->call_id = h->value;
	return 0;
}

/* CSeq = 1*DIGIT LWS Method; the number below 2**31 (§8.1.1.5), and the
 * method that of the request. */
static int hdr_cseq(struct sip_msg *m, const struct sip_hdr *h,
		    const char **at, const char **why)
{
	struct sv v = h->value;
	size_t i = 0, j;
	uint64_t n;

	*at = v.p;
	while (i < v.len && sip__is_digit(v.p[i]))
		i++;
	if (sv_to_u64((struct sv){ v.p, i }, 0x7fffffff, &n))
		return -EBADMSG;
	*at = v.p + i;
	if (i == v.len || !sip__is_wsp(v.p[i]))
		return -EBADMSG;
	while (i < v.len && sip__is_wsp(v.p[i]))
		i++;
	for (j = i; j < v.len && sip__is_token(v.p[j]); j++)
		;
	*at = v.p + j;
	if (j == i || j != v.len)
		return -EBADMSG;
	m->cseq = (uint32_t)n;
	m->cseq_method = sip__from(v, i);
	if (m->is_request && !sv_eq(m->cseq_method, m->method_str)) {
		*at = v.p + i;
		*why = "CSeq method mismatch";
		return -EBADMSG;
	}
	return 0;
}

/* Max-Forwards = 1*DIGIT, 0-255 (§20.22). */
static int hdr_max_forwards(struct sip_msg *m, const struct sip_hdr *h,
			    const char **at, const char **why)
{
	uint64_t n;

	UNUSED(why);
	*at = h->value.p;
	if (sv_to_u64(h->value, 255, &n))
		return -EBADMSG;
	m->max_forwards = (int)n;
	return 0;
}

static int hdr_content_length(struct sip_msg *m, const struct sip_hdr *h,
			      const char **at, const char **why)
{
	UNUSED(why);
	*at = h->value.p;
	return msg_cl_parse(h->value, &m->content_length);
}

typedef int(hdr_check_cb)(struct sip_msg *m, const struct sip_hdr *h,
			  const char **at, const char **why);

/* In the order they are checked, which decides the error reported for a
 * message with several faults. */
static const struct {
	enum sip_hdr_id id;
	const char *missing; /* NULL: optional */
	const char *bad;
	hdr_check_cb *check;
} hdr_rules[] = {
	{ SIP_HDR_VIA, "Missing Via", "Bad Via", hdr_via },
	{ SIP_HDR_FROM, "Missing From", "Bad From", hdr_from },
	{ SIP_HDR_TO, "Missing To", "Bad To", hdr_to },
	{ SIP_HDR_CALL_ID, "Missing Call-ID", "Bad Call-ID", hdr_call_id },
	{ SIP_HDR_CSEQ, "Missing CSeq", "Bad CSeq", hdr_cseq },
	{ SIP_HDR_MAX_FORWARDS, NULL, "Bad Max-Forwards", hdr_max_forwards },
	{ SIP_HDR_CONTENT_LENGTH, NULL, "Bad Content-Length",
	  hdr_content_length },
};

/* Headers that may appear once only (§7.3.1: the others are lists). */
static const char *const dup_why[SIP_HDR__COUNT] = {
	[SIP_HDR_CALL_ID] = "Duplicate Call-ID",
	[SIP_HDR_CONTENT_LENGTH] = "Duplicate Content-Length",
	[SIP_HDR_CONTENT_TYPE] = "Duplicate Content-Type",
	[SIP_HDR_CSEQ] = "Duplicate CSeq",
	[SIP_HDR_FROM] = "Duplicate From",
	[SIP_HDR_MAX_FORWARDS] = "Duplicate Max-Forwards",
	[SIP_HDR_TO] = "Duplicate To",
};

/* Splits the header lines of p[pos..hend) into m->hdrs, unfolding in
 * place. */
static int msg_hdrs_parse(struct sip_msg *m, char *p, size_t pos,
			  size_t hend, struct perr *e)
{
	while (pos < hend - 2) {
		size_t end = msg_line_end(p, pos, hend), i = pos;
		struct sip_hdr *h;
		struct sv name;

		/* header-name HCOLON header-value; HCOLON = *WSP ":" SWS */
		while (i < end && sip__is_token(p[i]))
			i++;
		name = (struct sv){ p + pos, i - pos };
		while (i < end && sip__is_wsp(p[i]))
			i++;
		if (!name.len || i == end || p[i] != ':')
			return perr_set(e, i, "Bad header line", 400);
		if (m->nhdrs == SIP_MAX_HEADERS)
			return perr_set(e, pos, "Too many headers", 400);
		/* §7.3.1: a folded line is equivalent to one SP. We write two
		 * (for CR and LF), so views keep their offsets. */
		for (char *cr = memchr(p + i + 1, '\r', end - i - 1); cr;
		     cr = memchr(cr + 2, '\r', (size_t)(p + end - cr - 2))) {
			cr[0] = ' ';
			cr[1] = ' ';
		}
		h = &m->hdrs[m->nhdrs++];
		h->id = sip_hdr_id_of(name);
		h->name = name;
		h->value = sip__trim_wsp((struct sv){ p + i + 1, end - i - 1 });
		if (!m->first[h->id])
			m->first[h->id] = (uint16_t)m->nhdrs;
		else if (dup_why[h->id])
			return perr_set(e, pos, dup_why[h->id], 400);
		pos = end + 2;
	}
	return 0;
}

static int msg_hdrs_check(struct sip_msg *m, const char *base, size_t hend,
			  struct perr *e)
{
	for (size_t r = 0; r < ARRAY_SIZE(hdr_rules); r++) {
		const struct sip_hdr *h = sip_hdr_find(m, hdr_rules[r].id);
		const char *at = NULL, *why = hdr_rules[r].bad;

		if (!h) {
			if (hdr_rules[r].missing)
				return perr_set(e, hend - 2,
						hdr_rules[r].missing, 400);
			continue;
		}
		if (hdr_rules[r].check(m, h, &at, &why))
			return perr_set(e, (size_t)(at - base), why, 400);
	}
	return 0;
}

static void msg_reset(struct sip_msg *m)
{
	/* hdrs[] is filled as we go; zero only what precedes and follows. */
	memset(m, 0, offsetof(struct sip_msg, hdrs));
	memset(&m->first, 0, sizeof(*m) - offsetof(struct sip_msg, first));
	m->max_forwards = -1;
	m->content_length = -1;
}

int sip_msg_parse(struct sip_msg *m, char *p, size_t len, bool stream,
		  struct perr *e)
{
	size_t s, hend = 0, avail, blen;
	const char *cr;
	struct sv line;
	char *h;
	int err = -EINVAL;

	if (!m || !p)
		return err;
	msg_reset(m);
	s = msg_skip_crlf(p, len);
	h = p + s;
	if (!stream && len - s > SIP_MAX_MSG) {
		/* §18.1.1 / §21.5.14: 513 for a datagram over our limit. */
		err = perr_set(e, SIP_MAX_MSG, "Message too large", 513);
		goto out;
	}
	err = msg_head_scan(h, len - s, &hend, e);
	if (err == -EAGAIN)
		err = perr_set(e, len - s, "Incomplete header", 400);
	if (err)
		goto out;
	cr = memchr(h, '\r', hend);
	line = (struct sv){ h, (size_t)(cr - h) };
	if (sv_case_starts_with(line, "SIP/")) {
		err = msg_status_parse(m, line, e);
	} else {
		m->is_request = true;
		err = msg_request_parse(m, line, e);
	}
	if (err)
		goto out;
	err = msg_hdrs_parse(m, h, (size_t)(cr - h) + 2, hend, e);
	if (err)
		goto out;
	err = msg_hdrs_check(m, h, hend, e);
	if (err)
		goto out;
	avail = len - s - hend;
	if (m->content_length >= 0) {
		/* §18.3: bytes after the body are dropped; a body shorter
		 * than Content-Length is an error. */
		blen = (size_t)m->content_length;
		if (blen > avail) {
			err = perr_set(e, len - s, "Truncated body", 400);
			goto out;
		}
	} else if (stream) {
		err = perr_set(e, hend - 2, "Missing Content-Length", 400);
		goto out;
	} else {
		blen = avail; /* UDP: the rest of the datagram (§18.3) */
	}
	if (hend + blen > SIP_MAX_MSG) {
		err = perr_set(e, SIP_MAX_MSG, "Message too large",
			       stream ? 413 : 513);
		goto out;
	}
	m->body = (struct sv){ h + hend, blen };
	m->raw = (struct sv){ h, hend + blen };
out:
	if (err == -EBADMSG && e)
		e->offset += s;
	return err;
}

int sip_msg_peek_request(const char *p, size_t len, struct sv *method,
			 struct sip_via *via)
{
	size_t hend = 0, pos;
	const char *cr, *sp;
	struct sv value, first;

	if (!p || msg_head_scan(p, len, &hend, NULL))
		return -EBADMSG;
	cr = memchr(p, '\r', hend);
	sp = memchr(p, ' ', (size_t)(cr - p));
	if (!sp || sp == p ||
	    sv_case_starts_with((struct sv){ p, hend }, "SIP/"))
		return -EBADMSG;
	*method = (struct sv){ p, (size_t)(sp - p) };
	for (pos = (size_t)(cr - p) + 2; pos < hend - 2;) {
		size_t end = msg_line_end(p, pos, hend), i = pos;

		while (i < end && sip__is_token(p[i]))
			i++;
		if (sip_hdr_id_of((struct sv){ p + pos, i - pos }) ==
		    SIP_HDR_VIA) {
			while (i < end && sip__is_wsp(p[i]))
				i++;
			if (i == end || p[i] != ':')
				return -EBADMSG;
			value = sip__trim_wsp(
				(struct sv){ p + i + 1, end - i - 1 });
			if (!sip_list_next(&value, &first) ||
			    sip_via_parse(via, first, NULL))
				return -EBADMSG;
			return 0;
		}
		pos = end + 2;
	}
	return -EBADMSG;
}

struct sip_msg *sip_msg_dup(const struct sip_msg *m)
{
	struct sip_msg *d;
	char *copy;

	if (!m || !m->raw.p)
		return NULL;
	/* One block: the message struct, then its bytes. */
	d = xmalloc(sizeof(*d) + m->raw.len + 1);
	copy = (char *)(d + 1);
	memcpy(copy, m->raw.p, m->raw.len);
	copy[m->raw.len] = '\0';
	/* raw ends where the body ends, so UDP rules re-find the same body;
	 * folding was already undone in the source. */
	if (sip_msg_parse(d, copy, m->raw.len, false, NULL)) {
		free(d);
		return NULL;
	}
	return d;
}

void sip_msg_free(struct sip_msg *m)
{
	free(m);
}
