/*
 * fuzz_sip.c - libFuzzer target for lib/sip (the SIP codec).
 *
 * The input is one byte stream. It is framed as a stream transport would
 * (sip_msg_frame, message after message, each then parsed with
 * stream=true), and parsed whole as a datagram (stream=false). Every
 * message that parses is walked with the accessors the processes use:
 * header lookups and lists, Via/addr/URI element parsers, params, URI
 * comparison, the copy a transaction keeps, the response printers. A
 * message that fails gets the quick error answer (sip_print_error_for_raw).
 * Each parse works on an exact-size heap copy, so ASan sees any read past
 * the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const param_names[] = {
	"tag", "branch", "lr", "transport", "expires", "q", "received",
	"rport", "user", "maddr", "+sip.instance", "reg-id", "ob", "gr",
};

static void walk_params(struct sv params)
{
	struct sv v;

	for (size_t i = 0; i < ARRAY_SIZE(param_names); i++) {
		if (!sip_param_get(params, param_names[i], &v) && v.len)
			(void)v.p[v.len - 1];
		(void)sip_param_has(params, param_names[i]);
	}
}

static void walk_addr_list(const struct sip_msg *m, enum sip_hdr_id id)
{
	struct sip_list_iter it = { 0 };
	struct sip_addr a, first;
	struct sv el;
	bool have_first = false;
	unsigned n = 0;

	while (n++ < SIP_MAX_HEADERS * 4 &&
	       sip_list_iter_next(m, id, &it, &el)) {
		if (sip_addr_parse(&a, el, NULL))
			continue;
		walk_params(a.params);
		walk_params(a.uri.params);
		if (!have_first) {
			first = a;
			have_first = true;
		}
		(void)sip_uri_eq(&first.uri, &a.uri);
	}
}

static void walk_msg(const struct sip_msg *m)
{
	struct sip_list_iter it = { 0 };
	struct sip_via via;
	struct sip_uri u;
	struct sv el;
	struct buf b;
	unsigned n = 0;

	for (int id = 1; id < SIP_HDR__COUNT; id++) {
		const struct sip_hdr *h = sip_hdr_find(m, (enum sip_hdr_id)id);
		size_t count = 0;

		for (; h && count <= SIP_MAX_HEADERS; h = sip_hdr_next(m, h))
			count++;
		if (count != sip_hdr_count(m, (enum sip_hdr_id)id))
			abort(); /* lookups disagree with the count */
		(void)sip_hdr_find_name(m, sip_hdr_name((enum sip_hdr_id)id));
	}
	(void)sip_hdr_find_name(m, "Subject");
	(void)sip_hdr_find_name(m, "X-Unknown");
	for (size_t i = 0; i < m->nhdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];

		if (h->id == SIP_HDR_OTHER && sip_hdr_next(m, h) == h)
			abort();
		if (sip_hdr_id_of(h->name) != h->id)
			abort();
	}
	while (n++ < SIP_MAX_HEADERS * 4 &&
	       sip_list_iter_next(m, SIP_HDR_VIA, &it, &el))
		if (!sip_via_parse(&via, el, NULL))
			walk_params(via.params);
	walk_addr_list(m, SIP_HDR_CONTACT);
	walk_addr_list(m, SIP_HDR_ROUTE);
	walk_addr_list(m, SIP_HDR_RECORD_ROUTE);
	walk_addr_list(m, SIP_HDR_PATH);
	walk_addr_list(m, SIP_HDR_SERVICE_ROUTE);
	walk_addr_list(m, SIP_HDR_P_ASSOCIATED_URI);
	walk_addr_list(m, SIP_HDR_P_ASSERTED_IDENTITY);
	(void)sip_msg_has_option(m, SIP_HDR_SUPPORTED, "path");
	(void)sip_msg_has_option(m, SIP_HDR_REQUIRE, "sec-agree");
	(void)sip_msg_has_option(m, SIP_HDR_PROXY_REQUIRE, "sec-agree");
	walk_params(m->via.params);
	walk_params(m->from.params);
	walk_params(m->to.params);
	if (m->is_request) {
		walk_params(m->ruri.params);
		if (!sip_uri_parse(&u, m->ruri_str, NULL))
			(void)sip_uri_eq(&u, &m->ruri);
		(void)sip_uri_eq(&m->to.uri, &m->from.uri);
	}
	(void)sip_method_name(m->method);
	(void)sip_reason_phrase(m->status);

	/* The copy a transaction keeps parses again, equal. */
	struct sip_msg *d = sip_msg_dup(m);
	if (!d || d->nhdrs != m->nhdrs || d->raw.len != m->raw.len ||
	    d->is_request != m->is_request)
		abort();
	sip_msg_free(d);

	buf_init(&b);
	if (m->is_request) {
		sip_print_response_start(&b, m, 401, NULL, "fuzz");
		sip_print_hdr(&b, "WWW-Authenticate", SV("Digest realm=\"x\""));
		sip_print_end(&b, NULL, NULL, 0);
		buf_reset(&b);
		sip_print_response(&b, m, 200, "OK", NULL);
	}
	for (size_t i = 0; i < m->nhdrs; i++)
		sip_print_hdr_raw(&b, &m->hdrs[i]);
	buf_close(&b);
}

static void parse_one(const char *p, size_t len, bool stream)
{
	char *copy = xmemdup(p, len ? len : 1);
	struct sip_msg *m = xmalloc(sizeof(*m));
	struct perr e = { 0 };
	struct buf b;
	int err;

	err = sip_msg_parse(m, copy, len, stream, &e);
	if (!err) {
		walk_msg(m);
	} else {
		if (err != -EBADMSG && err != -EAGAIN)
			abort(); /* the header promises only these */
		/* The answer is built from the original bytes (the parser
		 * may have rewritten folded lines in the copy). */
		memcpy(copy, p, len);
		buf_init(&b);
		(void)sip_print_error_for_raw(&b, copy, len, &e);
		buf_close(&b);
	}
	free(m);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t off = 0;

	/* Stream framing: one message after another, as a TCP flow. */
	for (unsigned i = 0; i < 64 && off < size; i++) {
		size_t skip = 0, mlen = 0;
		struct perr e = { 0 };
		int err;

		err = sip_msg_frame(p + off, size - off, &skip, &mlen, &e);
		if (err) {
			if (err != -EAGAIN && err != -EBADMSG)
				abort();
			break;
		}
		if (skip + mlen > size - off || !mlen)
			abort(); /* framing past the bytes it was given */
		parse_one(p + off + skip, mlen, true);
		off += skip + mlen;
	}
	/* The whole input as one datagram (UDP, or one WebSocket message). */
	parse_one(p, size, false);
	return 0;
}
