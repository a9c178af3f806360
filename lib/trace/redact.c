/*
 * redact.c - secrets out of traces and logs (issue 9: no password, HA1 or
 * token unless the operator asks with trace_secrets = true).
 *
 * Every rewrite keeps the length, so a redacted SIP or HTTP message keeps
 * its Content-Length and a Diameter message its AVP lengths: the runner
 * still parses it, and what was there stays visible:
 *   - a JWT keeps its header and claims (the runner asserts on them); its
 *     signature becomes "REDACTEDREDA..." (base64url letters), so the token
 *     in a trace can no longer be presented anywhere;
 *   - Bearer tokens that are not JWTs and HTTP Basic credentials become
 *     "REDACTED..." too;
 *   - password="..." / password=... (X-IMS-Credential, forms) and JSON
 *     "password": "..." become '*'s;
 *   - Diameter Digest-HA1 (RFC 4740 AVP 121) and Alternate-Digest-HA1,
 *     SIP-Authorization (610, XRES), Confidentiality-Key and Integrity-Key
 *     (TS 29.229) become "<redacted N bytes>***" (or '*'s if shorter).
 */
#include "trace/trace.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define V3GPP 10415u

static bool b64url(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static void fill_word(char *p, size_t n)
{
	static const char w[] = "REDACTED";

	for (size_t i = 0; i < n; i++)
		p[i] = w[i % (sizeof(w) - 1)];
}

static void fill_stars(char *p, size_t n)
{
	memset(p, '*', n);
}

/* "<redacted N bytes>" then '*' up to n; only '*' if that does not fit. */
static void fill_tagged(char *p, size_t n)
{
	char tag[40];
	int k = snprintf(tag, sizeof(tag), "<redacted %zu bytes>", n);

	fill_stars(p, n);
	if (k > 0 && (size_t)k <= n)
		memcpy(p, tag, (size_t)k);
}

/* Signatures of JWTs anywhere in p: "eyJ<b64url>.<b64url>.<b64url>". */
static void jwt_sigs(char *p, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		size_t j = i, dots = 0, sig = 0;

		if (memcmp(p + i, "eyJ", 3) ||
		    (i && b64url((unsigned char)p[i - 1])))
			continue;
		while (j < n && (b64url((unsigned char)p[j]) ||
				 (p[j] == '.' && dots < 2))) {
			if (p[j] == '.' && ++dots == 2)
				sig = j + 1;
			j++;
		}
		if (dots == 2 && j > sig)
			fill_word(p + sig, j - sig);
		i = j;
	}
}

/* The end of the line starting at i (index of '\r', '\n' or n). */
static size_t eol(const char *p, size_t n, size_t i)
{
	while (i < n && p[i] != '\r' && p[i] != '\n')
		i++;
	return i;
}

static bool starts_ci(const char *p, size_t n, const char *w)
{
	size_t k = strlen(w);

	return n >= k && strncasecmp(p, w, k) == 0;
}

/* Authorization / Proxy-Authorization line [i, e): Basic credentials and
 * opaque Bearer tokens (JWTs are left to jwt_sigs). */
static void auth_line(char *p, size_t i, size_t e)
{
	size_t v = i, t;

	while (v < e && p[v] != ':')
		v++;
	for (v++; v < e && (p[v] == ' ' || p[v] == '\t'); v++)
		;
	if (starts_ci(p + v, e - v, "Basic ")) {
		v += 6;
	} else if (starts_ci(p + v, e - v, "Bearer ")) {
		v += 7;
		if (starts_ci(p + v, e - v, "access_token="))
			v += 13;
		if (v < e && p[v] == '"')
			v++;
		if (memchr(p + v, '.', e - v))
			return; /* a JWT */
	} else {
		return; /* Digest: a hash, no secret */
	}
	for (t = v; t < e && p[t] != '"' && p[t] != ',' && p[t] != ' '; t++)
		;
	fill_word(p + v, t - v);
}

/* password=VALUE or password="VALUE" (any case), VALUE up to , ; & or
 * space; and JSON "password" : "VALUE". */
static void passwords(char *p, size_t n)
{
	static const char key[] = "password";
	const size_t k = sizeof(key) - 1;

	for (size_t i = 0; i + k < n; i++) {
		size_t v = i + k, s;
		bool json;

		if (strncasecmp(p + i, key, k) ||
		    (i && (b64url((unsigned char)p[i - 1]) && p[i - 1] != '_')))
			continue;
		json = v < n && p[v] == '"';
		if (json)
			v++;
		while (v < n && (p[v] == ' ' || p[v] == '\t'))
			v++;
		if (v >= n || (p[v] != '=' && p[v] != ':'))
			continue;
		for (v++; v < n && (p[v] == ' ' || p[v] == '\t'); v++)
			;
		if (v < n && p[v] == '"') {
			for (s = ++v; s < n && p[s] != '"'; s++)
				if (p[s] == '\\' && s + 1 < n)
					s++;
		} else if (json) {
			continue; /* "password": null, true, ... */
		} else {
			for (s = v; s < n && !strchr(",;& \t\r\n", p[s]); s++)
				;
		}
		fill_stars(p + v, s - v);
		i = s;
	}
}

static void text(char *p, size_t n)
{
	size_t i = 0, e;

	/* Header lines until the empty one. */
	while (i < n) {
		e = eol(p, n, i);
		if (e == i)
			break;
		if (starts_ci(p + i, e - i, "Authorization:") ||
		    starts_ci(p + i, e - i, "Proxy-Authorization:"))
			auth_line(p, i, e);
		i = e;
		if (i < n && p[i] == '\r')
			i++;
		if (i < n && p[i] == '\n')
			i++;
	}
	jwt_sigs(p, n);
	passwords(p, n);
}

static uint32_t be(const unsigned char *b, size_t k)
{
	uint32_t v = 0;

	for (size_t i = 0; i < k; i++)
		v = v << 8 | b[i];
	return v;
}

static void avps(unsigned char *p, size_t n, unsigned depth)
{
	size_t i = 0;

	while (i + 8 <= n) {
		uint32_t code = be(p + i, 4), len = be(p + i + 5, 3),
			 vendor = 0, h = 8;

		if (p[i + 4] & 0x80) {
			if (i + 12 > n)
				return;
			vendor = be(p + i + 8, 4);
			h = 12;
		}
		if (len < h || len > n - i)
			return;
		if ((code == 121 && !vendor) ||
		    (vendor == V3GPP && (code == 663 || code == 610 ||
					 code == 625 || code == 626)))
			fill_tagged((char *)p + i + h, len - h);
		else if (vendor == V3GPP && (code == 612 || code == 635) &&
			 depth < 4)
			avps(p + i + h, len - h, depth + 1);
		i += (len + 3u) & ~3u;
	}
}

void trace_redact(const char *proto, char *p, size_t n)
{
	if (!proto || !p)
		return;
	if (strcmp(proto, "diameter") == 0) {
		if (n >= 20)
			avps((unsigned char *)p + 20, n - 20, 0);
	} else {
		text(p, n);
	}
}

bool trace_redact_needed(const char *proto, const char *p, size_t n)
{
	static const char *const marks[] = { "uthorization", "UTHORIZATION",
					     "eyJ", "assword", "ASSWORD",
					     NULL };

	if (!proto || !p)
		return false;
	if (strcmp(proto, "diameter") == 0)
		return true;
	for (size_t m = 0; marks[m]; m++)
		if (memmem(p, n, marks[m], strlen(marks[m])))
			return true;
	return false;
}
