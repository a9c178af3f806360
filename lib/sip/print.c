/*
 * print.c - building messages as text (RFC 3261 §7, §8.2.6) and the quick
 * error answer for bytes that did not parse.
 */
#include "sip/sip_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void sip_print_request_line(struct buf *b, const char *method,
			    struct sv ruri)
{
	buf_puts(b, method);
	buf_puts(b, " ");
	buf_putsv(b, ruri);
	buf_puts(b, " SIP/2.0\r\n");
}

/* Reason-Phrase = *(reserved / unreserved / escaped / UTF8 / SP / HTAB):
 * never CR, LF or another control byte, whatever the caller passes. */
static void print_phrase(struct buf *b, const char *s)
{
	for (; *s; s++) {
		char c = (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s;

		buf_append(b, &c, 1);
	}
}

void sip_print_status_line(struct buf *b, int status, const char *reason)
{
	buf_append(b, "SIP/2.0 ", 8);
	buf_put_u(b, (unsigned long)(status < 0 ? 0 : status), 3);
	buf_append(b, " ", 1);
	print_phrase(b, reason ? reason : sip_reason_phrase(status));
	buf_puts(b, "\r\n");
}

/* Headers are built with plain appends: they are most of every message
 * and printf's format parsing cost more than the copying. */
void sip_print_hdr(struct buf *b, const char *name, struct sv value)
{
	buf_puts(b, name);
	buf_append(b, ": ", 2);
	buf_putsv(b, value);
	buf_append(b, "\r\n", 2);
}

void sip_print_hdrf(struct buf *b, const char *name, const char *fmt, ...)
{
	va_list ap;

	buf_puts(b, name);
	buf_puts(b, ": ");
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	buf_puts(b, "\r\n");
}

void sip_print_hdr_raw(struct buf *b, const struct sip_hdr *h)
{
	buf_putsv(b, h->name);
	buf_append(b, ": ", 2);
	buf_putsv(b, h->value);
	buf_append(b, "\r\n", 2);
}

void sip_print_end(struct buf *b, const char *body_type, const void *body,
		   size_t body_len)
{
	if (body_type)
		sip_print_hdr(b, "Content-Type", sv_from_cstr(body_type));
	buf_append(b, "Content-Length: ", 16);
	buf_put_u(b, body_len, 1);
	buf_append(b, "\r\n\r\n", 4);
	if (body_len)
		buf_append(b, body, body_len);
}

/* To value with ";tag=" appended (§8.2.6.2) unless it has one. */
static void print_to(struct buf *b, struct sv to, bool has_tag,
		     const char *tag)
{
	if (tag && !has_tag) {
		buf_append(b, "To: ", 4);
		buf_putsv(b, to);
		buf_append(b, ";tag=", 5);
		buf_puts(b, tag);
		buf_append(b, "\r\n", 2);
	} else
		sip_print_hdr(b, "To", to);
}

void sip_print_response_start(struct buf *b, const struct sip_msg *req,
			      int status, const char *reason,
			      const char *to_tag)
{
	const struct sip_hdr *h;

	sip_print_status_line(b, status, reason);
	/* §8.2.6.2: every Via, in order; then From, To, Call-ID, CSeq. */
	for (h = sip_hdr_find(req, SIP_HDR_VIA); h; h = sip_hdr_next(req, h))
		sip_print_hdr(b, "Via", h->value);
	h = sip_hdr_find(req, SIP_HDR_FROM);
	if (h)
		sip_print_hdr(b, "From", h->value);
	h = sip_hdr_find(req, SIP_HDR_TO);
	if (h)
		print_to(b, h->value, req->to_tag.len > 0, to_tag);
	h = sip_hdr_find(req, SIP_HDR_CALL_ID);
	if (h)
		sip_print_hdr(b, "Call-ID", h->value);
	h = sip_hdr_find(req, SIP_HDR_CSEQ);
	if (h)
		sip_print_hdr(b, "CSeq", h->value);
}

void sip_print_response(struct buf *b, const struct sip_msg *req, int status,
			const char *reason, const char *to_tag)
{
	sip_print_response_start(b, req, status, reason, to_tag);
	sip_print_end(b, NULL, NULL, 0);
}

/* ---- error answer from raw bytes ----------------------------------------- */

/* One physical header line found by the loose scan. */
struct raw_line {
	enum sip_hdr_id id;
	struct sv value;
};

/* Next physical line of r (CRLF or bare LF), without its end. False at the
 * end of r or at the empty line that ends the header part. */
static bool raw_line_next(struct sv *r, struct sv *line)
{
	const char *nl;

	if (!r->len)
		return false;
	nl = sv_chr(*r, '\n');
	*line = (struct sv){ r->p, nl ? (size_t)(nl - r->p) : r->len };
	*r = sip__from(*r, nl ? line->len + 1 : line->len);
	if (line->len && line->p[line->len - 1] == '\r')
		line->len--;
	return line->len > 0;
}

/* "Name: value" loosely: any known name, full or compact; the value is cut
 * at the first control byte so nothing unsafe is echoed. */
static bool raw_line_parse(struct sv line, struct raw_line *out)
{
	const char *colon = sv_chr(line, ':');
	struct sv v;

	if (!colon || sip__is_wsp(line.p[0]))
		return false;
	out->id = sip_hdr_id_of(
		sip__trim_wsp((struct sv){ line.p, (size_t)(colon - line.p) }));
	v = sip__from(line, (size_t)(colon - line.p) + 1);
	for (size_t i = 0; i < v.len; i++) {
		if ((unsigned char)v.p[i] < 0x20 && v.p[i] != '\t') {
			v.len = i;
			break;
		}
	}
	out->value = sip__trim_wsp(v);
	return out->value.len > 0;
}

/* A To tag for an answer we make without any state: FNV-1a of the bytes
 * that identify the request, so a retransmission gets the same tag. */
static unsigned long raw_tag(struct sv call_id, struct sv cseq)
{
	uint32_t h = 2166136261u;
	struct sv parts[2] = { call_id, cseq };

	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < parts[k].len; i++) {
			h ^= (unsigned char)parts[k].p[i];
			h *= 16777619u;
		}
	}
	return h;
}

int sip_print_error_for_raw(struct buf *b, const char *p, size_t len,
			    const struct perr *why)
{
	struct sv r, line, first, found[SIP_HDR__COUNT] = { { 0 } };
	static const enum sip_hdr_id need[] = { SIP_HDR_VIA, SIP_HDR_FROM,
						SIP_HDR_TO, SIP_HDR_CALL_ID,
						SIP_HDR_CSEQ };
	struct raw_line rl;
	struct sip_addr to;
	int status;

	if (!b || !p)
		return -EINVAL;
	r = (struct sv){ p, len < SIP_MAX_MSG ? len : SIP_MAX_MSG };
	while (r.len && (r.p[0] == '\r' || r.p[0] == '\n'))
		r = sip__from(r, 1);
	/* Never answer a response, nor an ACK (§17.2.1, §17.2.3). */
	if (!raw_line_next(&r, &first) || sv_case_starts_with(first, "SIP/") ||
	    sv_starts_with(first, "ACK "))
		return -EBADMSG;
	while (raw_line_next(&r, &line))
		if (raw_line_parse(line, &rl) && !found[rl.id].len)
			found[rl.id] = rl.value;
	for (size_t i = 0; i < ARRAY_SIZE(need); i++)
		if (!found[need[i]].len)
			return -EBADMSG;

	status = why && why->status >= 300 && why->status <= 699 ? why->status
								  : 400;
	sip_print_status_line(b, status, why ? why->why : NULL);
	/* Second pass: every Via line, in order. */
	r = (struct sv){ first.p, (size_t)(p + len - first.p) };
	if (r.len > SIP_MAX_MSG)
		r.len = SIP_MAX_MSG;
	raw_line_next(&r, &line);
	while (raw_line_next(&r, &line))
		if (raw_line_parse(line, &rl) && rl.id == SIP_HDR_VIA)
			sip_print_hdr(b, "Via", rl.value);
	sip_print_hdr(b, "From", found[SIP_HDR_FROM]);
	if (sip_addr_parse(&to, found[SIP_HDR_TO], NULL) == 0 &&
	    !sip_param_has(to.params, "tag")) {
		char tag[16];

		snprintf(tag, sizeof(tag), "%08lx",
			 raw_tag(found[SIP_HDR_CALL_ID], found[SIP_HDR_CSEQ]));
		print_to(b, found[SIP_HDR_TO], false, tag);
	} else {
		sip_print_hdr(b, "To", found[SIP_HDR_TO]);
	}
	sip_print_hdr(b, "Call-ID", found[SIP_HDR_CALL_ID]);
	sip_print_hdr(b, "CSeq", found[SIP_HDR_CSEQ]);
	sip_print_end(b, NULL, NULL, 0);
	return 0;
}
