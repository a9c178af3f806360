/*
 * hdr_table.c - the name tables of the SIP codec (STYLE rule 12): header
 * names with their compact forms, methods, and reason phrases.
 *
 * Lookups never walk the whole table: a header name is found by a switch on
 * its length, then at most four case-insensitive compares of equal-length
 * strings; a compact form by a switch on its one letter.
 */
#include "sip/sip_int.h"

#include <string.h>
#include <strings.h>

/* Canonical spelling, as we print it (RFC 3261 §20 and the RFCs/TSs that
 * define each P- header). Indexed by enum sip_hdr_id. */
static const char *const hdr_names[SIP_HDR__COUNT] = {
	[SIP_HDR_OTHER] = "",
	[SIP_HDR_ACCEPT] = "Accept",
	[SIP_HDR_ALLOW] = "Allow",
	[SIP_HDR_AUTHENTICATION_INFO] = "Authentication-Info",
	[SIP_HDR_AUTHORIZATION] = "Authorization",
	[SIP_HDR_CALL_ID] = "Call-ID",
	[SIP_HDR_CONTACT] = "Contact",
	[SIP_HDR_CONTENT_ENCODING] = "Content-Encoding",
	[SIP_HDR_CONTENT_LENGTH] = "Content-Length",
	[SIP_HDR_CONTENT_TYPE] = "Content-Type",
	[SIP_HDR_CSEQ] = "CSeq",
	[SIP_HDR_EVENT] = "Event",
	[SIP_HDR_EXPIRES] = "Expires",
	[SIP_HDR_FROM] = "From",
	[SIP_HDR_MAX_FORWARDS] = "Max-Forwards",
	[SIP_HDR_MIN_EXPIRES] = "Min-Expires",
	[SIP_HDR_P_ASSERTED_IDENTITY] = "P-Asserted-Identity",
	[SIP_HDR_P_ASSOCIATED_URI] = "P-Associated-URI",
	[SIP_HDR_P_CHARGING_VECTOR] = "P-Charging-Vector",
	[SIP_HDR_P_VISITED_NETWORK_ID] = "P-Visited-Network-ID",
	[SIP_HDR_PATH] = "Path",
	[SIP_HDR_PROXY_AUTHENTICATE] = "Proxy-Authenticate",
	[SIP_HDR_PROXY_AUTHORIZATION] = "Proxy-Authorization",
	[SIP_HDR_PROXY_REQUIRE] = "Proxy-Require",
	[SIP_HDR_RECORD_ROUTE] = "Record-Route",
	[SIP_HDR_REQUIRE] = "Require",
	[SIP_HDR_ROUTE] = "Route",
	[SIP_HDR_SERVER] = "Server",
	[SIP_HDR_SERVICE_ROUTE] = "Service-Route",
	[SIP_HDR_SUPPORTED] = "Supported",
	[SIP_HDR_TO] = "To",
	[SIP_HDR_UNSUPPORTED] = "Unsupported",
	[SIP_HDR_USER_AGENT] = "User-Agent",
	[SIP_HDR_VIA] = "Via",
	[SIP_HDR_WWW_AUTHENTICATE] = "WWW-Authenticate",
};

/* Candidates by name length; each list ends with SIP_HDR_OTHER. The unit
 * test checks that every name in hdr_names is found through these. */
static const enum sip_hdr_id len2[] = { SIP_HDR_TO, 0 };
static const enum sip_hdr_id len3[] = { SIP_HDR_VIA, 0 };
static const enum sip_hdr_id len4[] = { SIP_HDR_CSEQ, SIP_HDR_FROM,
					SIP_HDR_PATH, 0 };
static const enum sip_hdr_id len5[] = { SIP_HDR_ALLOW, SIP_HDR_EVENT,
					SIP_HDR_ROUTE, 0 };
static const enum sip_hdr_id len6[] = { SIP_HDR_ACCEPT, SIP_HDR_SERVER, 0 };
static const enum sip_hdr_id len7[] = { SIP_HDR_CALL_ID, SIP_HDR_CONTACT,
					SIP_HDR_EXPIRES, SIP_HDR_REQUIRE, 0 };
static const enum sip_hdr_id len9[] = { SIP_HDR_SUPPORTED, 0 };
static const enum sip_hdr_id len10[] = { SIP_HDR_USER_AGENT, 0 };
static const enum sip_hdr_id len11[] = { SIP_HDR_MIN_EXPIRES,
					 SIP_HDR_UNSUPPORTED, 0 };
static const enum sip_hdr_id len12[] = { SIP_HDR_CONTENT_TYPE,
					 SIP_HDR_MAX_FORWARDS,
					 SIP_HDR_RECORD_ROUTE, 0 };
static const enum sip_hdr_id len13[] = { SIP_HDR_AUTHORIZATION,
					 SIP_HDR_PROXY_REQUIRE,
					 SIP_HDR_SERVICE_ROUTE, 0 };
static const enum sip_hdr_id len14[] = { SIP_HDR_CONTENT_LENGTH, 0 };
static const enum sip_hdr_id len16[] = { SIP_HDR_CONTENT_ENCODING,
					 SIP_HDR_P_ASSOCIATED_URI,
					 SIP_HDR_WWW_AUTHENTICATE, 0 };
static const enum sip_hdr_id len17[] = { SIP_HDR_P_CHARGING_VECTOR, 0 };
static const enum sip_hdr_id len18[] = { SIP_HDR_PROXY_AUTHENTICATE, 0 };
static const enum sip_hdr_id len19[] = { SIP_HDR_AUTHENTICATION_INFO,
					 SIP_HDR_P_ASSERTED_IDENTITY,
					 SIP_HDR_PROXY_AUTHORIZATION, 0 };
static const enum sip_hdr_id len20[] = { SIP_HDR_P_VISITED_NETWORK_ID, 0 };

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Compact forms with an id of their own: RFC 3261 §7.3.3 and RFC 6665 §8.2.1
 * ("o" Event). */
static enum sip_hdr_id hdr_compact_id(char c)
{
	switch (lower(c)) {
	case 'c': return SIP_HDR_CONTENT_TYPE;
	case 'e': return SIP_HDR_CONTENT_ENCODING;
	case 'f': return SIP_HDR_FROM;
	case 'i': return SIP_HDR_CALL_ID;
	case 'k': return SIP_HDR_SUPPORTED;
	case 'l': return SIP_HDR_CONTENT_LENGTH;
	case 'm': return SIP_HDR_CONTACT;
	case 'o': return SIP_HDR_EVENT;
	case 't': return SIP_HDR_TO;
	case 'v': return SIP_HDR_VIA;
	default: return SIP_HDR_OTHER;
	}
}

enum sip_hdr_id sip_hdr_id_of(struct sv name)
{
	const enum sip_hdr_id *c;

	switch (name.len) {
	case 1: return hdr_compact_id(name.p[0]);
	case 2: c = len2; break;
	case 3: c = len3; break;
	case 4: c = len4; break;
	case 5: c = len5; break;
	case 6: c = len6; break;
	case 7: c = len7; break;
	case 9: c = len9; break;
	case 10: c = len10; break;
	case 11: c = len11; break;
	case 12: c = len12; break;
	case 13: c = len13; break;
	case 14: c = len14; break;
	case 16: c = len16; break;
	case 17: c = len17; break;
	case 18: c = len18; break;
	case 19: c = len19; break;
	case 20: c = len20; break;
	default: return SIP_HDR_OTHER;
	}
	for (; *c != SIP_HDR_OTHER; c++) {
		const char *n = hdr_names[*c];

		if (lower(n[0]) == lower(name.p[0]) &&
		    strncasecmp(n, name.p, name.len) == 0)
			return *c;
	}
	return SIP_HDR_OTHER;
}

const char *sip_hdr_name(enum sip_hdr_id id)
{
	if ((unsigned)id >= SIP_HDR__COUNT)
		return "";
	return hdr_names[id];
}

/* Compact forms of headers we give no id (so that sip_hdr_find_name finds
 * "s" for "Subject"): RFC 3261 §7.3.3, RFC 6665 (u), RFC 3515 (r),
 * RFC 3892 (b), RFC 4028 (x), RFC 3841 (a, j, d), RFC 4474 (y, n). */
const char *sip__compact_expand(char c)
{
	enum sip_hdr_id id = hdr_compact_id(c);

	if (id != SIP_HDR_OTHER)
		return hdr_names[id];
	switch (lower(c)) {
	case 'a': return "Accept-Contact";
	case 'b': return "Referred-By";
	case 'd': return "Request-Disposition";
	case 'j': return "Reject-Contact";
	case 'n': return "Identity-Info";
	case 'r': return "Refer-To";
	case 's': return "Subject";
	case 'u': return "Allow-Events";
	case 'x': return "Session-Expires";
	case 'y': return "Identity";
	default: return NULL;
	}
}

/* ---- methods (RFC 3261 §7.1: case-sensitive) ---------------------------- */

static const char *const method_names[] = {
	[SIP_METHOD_OTHER] = "",
	[SIP_METHOD_ACK] = "ACK",
	[SIP_METHOD_BYE] = "BYE",
	[SIP_METHOD_CANCEL] = "CANCEL",
	[SIP_METHOD_INFO] = "INFO",
	[SIP_METHOD_INVITE] = "INVITE",
	[SIP_METHOD_MESSAGE] = "MESSAGE",
	[SIP_METHOD_NOTIFY] = "NOTIFY",
	[SIP_METHOD_OPTIONS] = "OPTIONS",
	[SIP_METHOD_PRACK] = "PRACK",
	[SIP_METHOD_PUBLISH] = "PUBLISH",
	[SIP_METHOD_REFER] = "REFER",
	[SIP_METHOD_REGISTER] = "REGISTER",
	[SIP_METHOD_SUBSCRIBE] = "SUBSCRIBE",
	[SIP_METHOD_UPDATE] = "UPDATE",
};

enum sip_method sip_method_of(struct sv name)
{
	static const enum sip_method m3[] = { SIP_METHOD_ACK, SIP_METHOD_BYE,
					      0 };
	static const enum sip_method m4[] = { SIP_METHOD_INFO, 0 };
	static const enum sip_method m5[] = { SIP_METHOD_PRACK,
					      SIP_METHOD_REFER, 0 };
	static const enum sip_method m6[] = { SIP_METHOD_CANCEL,
					      SIP_METHOD_INVITE,
					      SIP_METHOD_NOTIFY,
					      SIP_METHOD_UPDATE, 0 };
	static const enum sip_method m7[] = { SIP_METHOD_MESSAGE,
					      SIP_METHOD_OPTIONS,
					      SIP_METHOD_PUBLISH, 0 };
	static const enum sip_method m8[] = { SIP_METHOD_REGISTER, 0 };
	static const enum sip_method m9[] = { SIP_METHOD_SUBSCRIBE, 0 };
	const enum sip_method *c;

	switch (name.len) {
	case 3: c = m3; break;
	case 4: c = m4; break;
	case 5: c = m5; break;
	case 6: c = m6; break;
	case 7: c = m7; break;
	case 8: c = m8; break;
	case 9: c = m9; break;
	default: return SIP_METHOD_OTHER;
	}
	for (; *c != SIP_METHOD_OTHER; c++)
		if (memcmp(method_names[*c], name.p, name.len) == 0)
			return *c;
	return SIP_METHOD_OTHER;
}

const char *sip_method_name(enum sip_method m)
{
	if ((unsigned)m >= ARRAY_SIZE(method_names))
		return "";
	return method_names[m];
}

/* ---- reason phrases ------------------------------------------------------ */

/* RFC 3261 §21 plus the extensions IMS peers send; sorted by code. */
static const struct {
	short code;
	const char *phrase;
} reasons[] = {
	{ 100, "Trying" },
	{ 180, "Ringing" },
	{ 181, "Call Is Being Forwarded" },
	{ 182, "Queued" },
	{ 183, "Session Progress" },
	{ 199, "Early Dialog Terminated" },    /* RFC 6228 */
	{ 200, "OK" },
	{ 202, "Accepted" },                   /* RFC 3265 */
	{ 204, "No Notification" },            /* RFC 5839 */
	{ 300, "Multiple Choices" },
	{ 301, "Moved Permanently" },
	{ 302, "Moved Temporarily" },
	{ 305, "Use Proxy" },
	{ 380, "Alternative Service" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 402, "Payment Required" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 407, "Proxy Authentication Required" },
	{ 408, "Request Timeout" },
	{ 410, "Gone" },
	{ 412, "Conditional Request Failed" }, /* RFC 3903 */
	{ 413, "Request Entity Too Large" },
	{ 414, "Request-URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 416, "Unsupported URI Scheme" },
	{ 417, "Unknown Resource-Priority" },  /* RFC 4412 */
	{ 420, "Bad Extension" },
	{ 421, "Extension Required" },
	{ 422, "Session Interval Too Small" }, /* RFC 4028 */
	{ 423, "Interval Too Brief" },
	{ 428, "Use Identity Header" },        /* RFC 4474 */
	{ 429, "Provide Referrer Identity" },  /* RFC 3892 */
	{ 430, "Flow Failed" },                /* RFC 5626 */
	{ 433, "Anonymity Disallowed" },       /* RFC 5079 */
	{ 436, "Bad Identity-Info" },
	{ 437, "Unsupported Certificate" },
	{ 438, "Invalid Identity Header" },
	{ 439, "First Hop Lacks Outbound Support" },
	{ 440, "Max-Breadth Exceeded" },       /* RFC 5393 */
	{ 469, "Bad Info Package" },           /* RFC 6086 */
	{ 470, "Consent Needed" },             /* RFC 5360 */
	{ 480, "Temporarily Unavailable" },
	{ 481, "Call/Transaction Does Not Exist" },
	{ 482, "Loop Detected" },
	{ 483, "Too Many Hops" },
	{ 484, "Address Incomplete" },
	{ 485, "Ambiguous" },
	{ 486, "Busy Here" },
	{ 487, "Request Terminated" },
	{ 488, "Not Acceptable Here" },
	{ 489, "Bad Event" },                  /* RFC 6665 */
	{ 491, "Request Pending" },
	{ 493, "Undecipherable" },
	{ 494, "Security Agreement Required" }, /* RFC 3329 */
	{ 500, "Server Internal Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Server Time-out" },
	{ 505, "Version Not Supported" },
	{ 513, "Message Too Large" },
	{ 580, "Precondition Failure" },       /* RFC 3312 */
	{ 600, "Busy Everywhere" },
	{ 603, "Decline" },
	{ 604, "Does Not Exist Anywhere" },
	{ 606, "Not Acceptable" },
	{ 607, "Unwanted" },                   /* RFC 8197 */
	{ 608, "Rejected" },                   /* RFC 8688 */
};

const char *sip_reason_phrase(int status)
{
	size_t lo = 0, hi = ARRAY_SIZE(reasons);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (reasons[mid].code == status)
			return reasons[mid].phrase;
		if (reasons[mid].code < status)
			lo = mid + 1;
		else
			hi = mid;
	}
	return "Unknown";
}
