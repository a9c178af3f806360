/*
 * sip.h - the SIP message codec (RFC 3261 §7, §20, §25). Pure: no sockets,
 * no loop, no allocation while parsing. Parsing is zero-copy: struct
 * sip_msg holds views (struct sv) into the caller's buffer, which must
 * outlive the message; the parser writes into it only to turn a folded
 * line's CRLF (§7.3.1) into two spaces, so every value is one view.
 * Headers live in a fixed array inside the message. Limits are hard and
 * explicit (SIP_MAX_*). Building is text-based: the sip_print_* helpers
 * append to a struct buf. Errors: 0, -EAGAIN (stream input incomplete),
 * -EBADMSG (malformed; the struct perr says where, why and which status to
 * answer: 400, 413, 416, 505 or 513), -ENOENT (lookup found nothing).
 */
#ifndef IMSTB_SIP_H
#define IMSTB_SIP_H

#include "base/base.h"

/* Hard limits. Over SIP_MAX_MSG: 513 (datagram, or header part alone) or
 * 413 (stream, Content-Length too big); more headers than SIP_MAX_HEADERS,
 * or a line longer than SIP_MAX_LINE, 400 naming the limit. */
#define SIP_MAX_MSG 65535
#define SIP_MAX_HEADERS 128
#define SIP_MAX_LINE 8192

/* Known header names, with their compact forms (RFC 3261 §7.3.3). The table
 * lives in hdr_table.c. SIP_HDR_OTHER is every other name. */
enum sip_hdr_id {
	SIP_HDR_OTHER = 0,
	SIP_HDR_ACCEPT,
	SIP_HDR_ALLOW,
	SIP_HDR_AUTHENTICATION_INFO,
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_CALL_ID,          /* i */
	SIP_HDR_CONTACT,          /* m */
	SIP_HDR_CONTENT_ENCODING, /* e */
	SIP_HDR_CONTENT_LENGTH,   /* l */
	SIP_HDR_CONTENT_TYPE,     /* c */
	SIP_HDR_CSEQ,
	SIP_HDR_EVENT, /* o */
	SIP_HDR_EXPIRES,
	SIP_HDR_FROM, /* f */
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_MIN_EXPIRES,
	SIP_HDR_P_ASSERTED_IDENTITY,
	SIP_HDR_P_ASSOCIATED_URI,
	SIP_HDR_P_CHARGING_VECTOR,
	SIP_HDR_P_VISITED_NETWORK_ID,
	SIP_HDR_PATH,
	SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHORIZATION,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_REQUIRE,
	SIP_HDR_ROUTE,
	SIP_HDR_SERVER,
	SIP_HDR_SERVICE_ROUTE,
	SIP_HDR_SUPPORTED, /* k */
	SIP_HDR_TO,        /* t */
	SIP_HDR_UNSUPPORTED,
	SIP_HDR_USER_AGENT,
	SIP_HDR_VIA, /* v */
	SIP_HDR_WWW_AUTHENTICATE,
	SIP_HDR__COUNT
};

enum sip_method {
	SIP_METHOD_OTHER = 0,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_INFO,
	SIP_METHOD_INVITE,
	SIP_METHOD_MESSAGE,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_PRACK,
	SIP_METHOD_PUBLISH,
	SIP_METHOD_REFER,
	SIP_METHOD_REGISTER,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_UPDATE,
};

struct sip_hdr {
	enum sip_hdr_id id;
	struct sv name;  /* as received (may be compact) */
	struct sv value; /* trimmed; folding already turned into spaces */
};

/* A parsed URI (RFC 3261 §19.1, §25; RFC 3966 tel). Views into the input. */
enum sip_uri_scheme { SIP_URI_SIP = 1, SIP_URI_SIPS, SIP_URI_TEL };

struct sip_uri {
	enum sip_uri_scheme scheme;
	struct sv user;     /* sip/sips userinfo user; tel: the number */
	struct sv password; /* rarely present */
	struct sv host;     /* IPv6 reference without the brackets */
	bool host_is_v6;
	uint16_t port;      /* 0 if absent */
	struct sv params;   /* everything after the first ';' up to '?', raw */
	struct sv headers;  /* after '?', raw */
};

/* name-addr / addr-spec with header params (From, To, Contact, Route,
 * Path, Service-Route, P-Associated-URI ...). */
struct sip_addr {
	struct sv display; /* unquoted content view (escapes left as is) */
	struct sv uri_str; /* the URI text (inside <> if present) */
	struct sip_uri uri;
	struct sv params; /* header params after the URI, raw, without
			     leading ';' (e.g. "tag=abc;expires=60") */
	bool star;        /* Contact: * */
};

struct sip_via {
	struct sv transport; /* "UDP", "TCP", "WS", "WSS", "TLS" ... */
	struct sv host;      /* IPv6 without brackets */
	uint16_t port;       /* 0 if absent */
	struct sv params;    /* raw, without leading ';' */
	struct sv branch;
	struct sv received;
	bool has_rport;
	uint16_t rport; /* 0 if rport present without a value */
};

struct sip_msg {
	bool is_request;
	/* request line */
	enum sip_method method;
	struct sv method_str;
	struct sv ruri_str;
	struct sip_uri ruri;
	/* status line */
	int status;
	struct sv reason;

	struct sv raw;  /* the whole message, start line to end of body */
	struct sv body; /* Content-Length bytes (or the rest, on UDP) */

	size_t nhdrs;
	struct sip_hdr hdrs[SIP_MAX_HEADERS];
	/* index + 1 of the first header with each id; 0 if absent */
	uint16_t first[SIP_HDR__COUNT];

	/* Mandatory headers, parsed once (RFC 3261 §8.1.1). */
	struct sip_via via;    /* topmost Via value */
	struct sv call_id;
	uint32_t cseq;
	struct sv cseq_method;
	struct sv from_tag;    /* empty if absent */
	struct sv to_tag;      /* empty if absent */
	struct sip_addr from;
	struct sip_addr to;
	int max_forwards;      /* -1 if absent */
	long content_length;   /* -1 if absent */
};

/* ---- framing and parsing ----------------------------------------------- */

/*
 * On a stream (TCP, TLS): finds the end of the first message in p[0..len).
 * Leading CRLFs (RFC 5626 keep-alives) are reported in *skip and are not
 * part of the message. Returns 0 with *msg_len (counted from p + *skip),
 * -EAGAIN if more bytes are needed, -EBADMSG if the header part is
 * malformed, has no Content-Length (mandatory on streams, §20.14) or exceeds
 * the limits (as soon as bytes prove it). *skip is set on -EAGAIN too.
 */
int sip_msg_frame(const char *p, size_t len, size_t *skip, size_t *msg_len,
		  struct perr *e);

/*
 * Parses one complete message in p[0..len) into *m. The buffer must stay
 * alive and unmoved while *m is used; it may be modified (folding).
 * `stream`: true if the message came from a stream transport (then
 * Content-Length is required and must fit; on UDP a missing Content-Length
 * means "the rest of the datagram", §18.3).
 * Checks the mandatory headers: Via, From, To, Call-ID, CSeq (and that the
 * CSeq method matches a request's method), Max-Forwards range.
 */
int sip_msg_parse(struct sip_msg *m, char *p, size_t len, bool stream,
		  struct perr *e);

/* A request's method and top Via without parsing the rest (for a message
 * we built: a client transaction keys on them). -EBADMSG if none. */
int sip_msg_peek_request(const char *p, size_t len, struct sv *method,
			 struct sip_via *via);

/* ---- lookups ------------------------------------------------------------ */

/* First header with this id, or NULL (always for SIP_HDR_OTHER). */
const struct sip_hdr *sip_hdr_find(const struct sip_msg *m,
				   enum sip_hdr_id id);
/* Next header like h (same id; same name if SIP_HDR_OTHER), or NULL. */
const struct sip_hdr *sip_hdr_next(const struct sip_msg *m,
				   const struct sip_hdr *h);
/* First header with this (full, case-insensitive) name; for SIP_HDR_OTHER
 * names too, compact forms included ("Subject" finds "s:"). NULL if none. */
const struct sip_hdr *sip_hdr_find_name(const struct sip_msg *m,
					const char *name);
/* Count of headers with this id. */
size_t sip_hdr_count(const struct sip_msg *m, enum sip_hdr_id id);

/*
 * Iterates the comma-separated elements of a header value, honouring
 * quoted strings and <...> (so a comma inside a URI or a quoted display name
 * does not split). Usage:
 *   struct sv rest = h->value, el;
 *   while (sip_list_next(&rest, &el)) ...
 * Returns false when no element is left. Elements are trimmed.
 */
bool sip_list_next(struct sv *rest, struct sv *elem);
/*
 * The same across every header with this id (repeated headers and
 * comma-separated values are equivalent, §7.3.1). *it starts zeroed.
 */
struct sip_list_iter {
	const struct sip_hdr *h;
	struct sv rest;
	bool started;
};
bool sip_list_iter_next(const struct sip_msg *m, enum sip_hdr_id id,
			struct sip_list_iter *it, struct sv *elem);

/* Header enum from a name (full or compact, case-insensitive). */
enum sip_hdr_id sip_hdr_id_of(struct sv name);
/* Canonical full name of a known header ("Call-ID"). */
const char *sip_hdr_name(enum sip_hdr_id id);
enum sip_method sip_method_of(struct sv name);
const char *sip_method_name(enum sip_method m);
/* Default reason phrase for a status code ("Unauthorized"); "Unknown". */
const char *sip_reason_phrase(int status);

/* ---- element parsers (views into the input) ----------------------------- */

int sip_uri_parse(struct sip_uri *u, struct sv s, struct perr *e);
int sip_addr_parse(struct sip_addr *a, struct sv s, struct perr *e);
int sip_via_parse(struct sip_via *v, struct sv s, struct perr *e);

/*
 * Looks up `name` in a ';'-separated parameter list ("a=1;lr;b=\"x\"").
 * Returns 0 with *value (empty for a flag param; quotes stripped from a
 * quoted value), -ENOENT if absent. Case-insensitive name match.
 */
int sip_param_get(struct sv params, const char *name, struct sv *value);
bool sip_param_has(struct sv params, const char *name);

/* Does a Supported/Require/Proxy-Require style option list contain tag? */
bool sip_msg_has_option(const struct sip_msg *m, enum sip_hdr_id id,
			const char *tag);

/* Compares two URIs per RFC 3261 §19.1.4 (scheme, user, host, port,
 * transport/user/ttl/method/maddr params). */
bool sip_uri_eq(const struct sip_uri *a, const struct sip_uri *b);

/* Copy of a message into its own heap buffer (one block), re-parsed: a
 * transaction keeps one of these. Free with sip_msg_free. NULL if !m. */
struct sip_msg *sip_msg_dup(const struct sip_msg *m);
void sip_msg_free(struct sip_msg *m);

/* ---- printing ------------------------------------------------------------ */

void sip_print_request_line(struct buf *b, const char *method,
			    struct sv ruri);
void sip_print_status_line(struct buf *b, int status, const char *reason);
/* "Name: value\r\n" */
void sip_print_hdr(struct buf *b, const char *name, struct sv value);
void sip_print_hdrf(struct buf *b, const char *name, const char *fmt, ...)
	PRINTF_LIKE(3, 4);
/* Re-emits a parsed header as received (name and value). */
void sip_print_hdr_raw(struct buf *b, const struct sip_hdr *h);
/* Ends the header part: Content-Length (and Content-Type if body_type is
 * not NULL), the empty line and the body. */
void sip_print_end(struct buf *b, const char *body_type, const void *body,
		   size_t body_len);

/*
 * Starts a response to `req` (RFC 3261 §8.2.6.2): status line, every Via
 * in order, From, To (with ;tag=to_tag added if the request's To has no tag
 * and to_tag is not NULL), Call-ID, CSeq. The caller appends more headers
 * and calls sip_print_end. reason NULL means the default phrase.
 */
void sip_print_response_start(struct buf *b, const struct sip_msg *req,
			      int status, const char *reason,
			      const char *to_tag);
/* Whole response with no extra headers and no body. */
void sip_print_response(struct buf *b, const struct sip_msg *req, int status,
			const char *reason, const char *to_tag);

/*
 * Quick 400/413/513 answer for a message that failed sip_msg_parse: builds
 * it from whatever of Via/From/To/Call-ID/CSeq could be found in the raw
 * bytes. Returns -EBADMSG if not even those could be found (then on UDP the
 * message is dropped, §18.1.2 spirit), or for a response or an ACK. Status
 * why->status (else 400), reason why->why; a To tag is derived from
 * Call-ID and CSeq, so a retransmission gets the same answer.
 */
int sip_print_error_for_raw(struct buf *b, const char *p, size_t len,
			    const struct perr *why);

#endif
