/*
 * addr.c - name-addr / addr-spec with header parameters (RFC 3261 §20.10,
 * §25.1) and Via values (§20.42, §18.2.1; RFC 3581 rport).
 */
#include "sip/sip_int.h"

#include <errno.h>
#include <string.h>

/* gen-value = token / host / quoted-string; loosely every visible char
 * that cannot end a parameter or a list element. */
static bool is_value_char(char c)
{
	return sip__is_vchar(c) && c != ';' && c != ',' && c != '"' &&
	       c != '<' && c != '>';
}

static size_t skip_wsp(struct sv s, size_t i)
{
	while (i < s.len && sip__is_wsp(s.p[i]))
		i++;
	return i;
}

int sip__params_check(struct sv s, size_t *bad)
{
	size_t i = 0, start;

	/* generic-param *( SEMI generic-param ), SEMI = SWS ";" SWS */
	for (;;) {
		i = skip_wsp(s, i);
		start = i;
		while (i < s.len && sip__is_token(s.p[i]))
			i++;
		if (i == start)
			goto bad;
		i = skip_wsp(s, i);
		if (i < s.len && s.p[i] == '=') {
			i = skip_wsp(s, i + 1);
			if (i < s.len && s.p[i] == '"') {
				size_t end = sip__quoted_end(s, i);

				if (!end)
					goto bad;
				i = end;
			} else {
				start = i;
				while (i < s.len && is_value_char(s.p[i]))
					i++;
				if (i == start)
					goto bad;
			}
			i = skip_wsp(s, i);
		}
		if (i == s.len)
			return 0;
		if (s.p[i] != ';')
			goto bad;
		i++;
	}
bad:
	*bad = i;
	return -EBADMSG;
}

/* display-name = *(token LWS) / quoted-string; the unquoted form. */
static int display_check(struct sv d, size_t *bad)
{
	for (size_t i = 0; i < d.len; i++) {
		if (!sip__is_token(d.p[i]) && !sip__is_wsp(d.p[i])) {
			*bad = i;
			return -EBADMSG;
		}
	}
	return 0;
}

/* After the URI: SWS, then nothing or ";" params. `i` indexes s. */
static int addr_params_parse(struct sip_addr *a, struct sv s, size_t i,
			     size_t *bad)
{
	i = skip_wsp(s, i);
	if (i == s.len)
		return 0;
	if (s.p[i] != ';') {
		*bad = i;
		return -EBADMSG;
	}
	a->params = sip__trim_wsp(sip__from(s, i + 1));
	if (sip__params_check(a->params, bad)) {
		*bad += (size_t)(a->params.p - s.p);
		return -EBADMSG;
	}
	return 0;
}

/*
 * (name-addr / addr-spec) *(SEMI generic-param), as in From, To, Contact
 * (§20.10), Route, Path and P-Associated-URI; name-addr = [display-name]
 * "<" addr-spec ">" (§25.1). A view per part, no copies.
 */
int sip_addr_parse(struct sip_addr *a, struct sv s, struct perr *e)
{
	const char *why = "Bad address";
	size_t i = 0, lt, base, bad = 0;
	struct perr ue;
	int err = -EBADMSG, status = 400;

	memset(a, 0, sizeof(*a));
	base = (size_t)(sv_trim(s).p - s.p);
	s = sv_trim(s);
	if (s.len == 1 && s.p[0] == '*') {
		a->star = true; /* Contact: * (RFC 3261 §10.2.2) */
		err = 0;
		goto out;
	}
	if (s.len && s.p[0] == '"') {
		size_t end = sip__quoted_end(s, 0);

		if (!end) {
			why = "Unterminated quote";
			goto out;
		}
		a->display = (struct sv){ s.p + 1, end - 2 };
		i = lt = skip_wsp(s, end);
		if (lt == s.len || s.p[lt] != '<')
			goto out;
	} else {
		/* '<' first means name-addr; a ':' first means addr-spec
		 * (a display name has no ':', a URI scheme does). */
		for (lt = 0; lt < s.len; lt++)
			if (strchr("<;:\"", s.p[lt]))
				break;
		if (lt == s.len || (s.p[lt] != '<' && s.p[lt] != ':')) {
			i = lt;
			goto out;
		}
		if (s.p[lt] == '<') {
			a->display = sip__trim_wsp((struct sv){ s.p, lt });
			if (display_check(a->display, &bad)) {
				i = (size_t)(a->display.p - s.p) + bad;
				why = "Bad display name";
				goto out;
			}
		}
	}
	if (lt < s.len && s.p[lt] == '<') {
		const char *gt = sv_chr(sip__from(s, lt + 1), '>');

		i = lt;
		if (!gt)
			goto out;
		a->uri_str = (struct sv){ s.p + lt + 1,
					  (size_t)(gt - s.p) - lt - 1 };
		i = (size_t)(gt - s.p) + 1;
	} else {
		/* addr-spec: a URI with ',', '?' or ';' must be in <>, so
		 * a ';' starts the header params (§20.10). */
		const char *semi = sv_chr(s, ';');

		i = semi ? (size_t)(semi - s.p) : s.len;
		a->uri_str = sip__trim_wsp((struct sv){ s.p, i });
	}
	if (sip_uri_parse(&a->uri, a->uri_str, &ue)) {
		i = (size_t)(a->uri_str.p - s.p) + ue.offset;
		why = ue.why;
		status = ue.status;
		goto out;
	}
	if (addr_params_parse(a, s, i, &bad)) {
		i = bad;
		why = "Bad parameter";
		goto out;
	}
	err = 0;
out:
	if (err)
		perr_set(e, base + i, why, status);
	return err;
}

/* branch, received and rport in one walk over the (checked) parameters,
 * the first of each winning, as sip_param_get would pick them: a Via is
 * parsed on every hop of every message. */
static void via_params_pick(struct sip_via *v, struct sv *rport)
{
	struct sv rest = v->params, n, val;
	bool has, got_branch = false, got_received = false;

	*rport = SV_NULL;
	while (sip__param_next(&rest, &n, &val, &has)) {
		if (!got_branch && sv_casecmp_cstr(n, "branch")) {
			v->branch = val;
			got_branch = true;
		} else if (!got_received && sv_casecmp_cstr(n, "received")) {
			v->received = val;
			got_received = true;
		} else if (!v->has_rport && sv_casecmp_cstr(n, "rport")) {
			*rport = val;
			v->has_rport = true;
		}
	}
}

int sip_via_parse(struct sip_via *v, struct sv s, struct perr *e)
{
	const char *why = "Bad sent-protocol";
	size_t i = 0, start, base, bad = 0;
	struct sv tok = SV_NULL, sent_by, rp;
	bool v6;
	uint64_t n;
	int err = -EBADMSG;

	memset(v, 0, sizeof(*v));
	base = (size_t)(sv_trim(s).p - s.p);
	s = sv_trim(s);
	/* sent-protocol = "SIP" SLASH "2.0" SLASH transport, where
	 * SLASH = SWS "/" SWS (§25.1) */
	for (int part = 0; part < 3; part++) {
		i = skip_wsp(s, i);
		if (part) {
			if (i == s.len || s.p[i] != '/')
				goto out;
			i = skip_wsp(s, i + 1);
		}
		start = i;
		while (i < s.len && sip__is_token(s.p[i]))
			i++;
		tok = (struct sv){ s.p + start, i - start };
		if (!tok.len || (part == 0 && !sv_casecmp_cstr(tok, "SIP")) ||
		    (part == 1 && !sv_eq_cstr(tok, "2.0"))) {
			i = start;
			goto out;
		}
	}
	v->transport = tok;
	/* LWS sent-by *( SEMI via-params ) */
	why = "Bad sent-by";
	if (i == s.len || !sip__is_wsp(s.p[i]))
		goto out;
	i = skip_wsp(s, i);
	start = i;
	while (i < s.len && s.p[i] != ';')
		i++;
	sent_by = sip__trim_wsp((struct sv){ s.p + start, i - start });
	if (sip__hostport_parse(sent_by, true, &v->host, &v6, &v->port, &bad,
				&why)) {
		i = start + bad;
		goto out;
	}
	if (i < s.len) {
		v->params = sip__trim_wsp(sip__from(s, i + 1));
		why = "Bad Via parameter";
		if (sip__params_check(v->params, &bad)) {
			i = (size_t)(v->params.p - s.p) + bad;
			goto out;
		}
	}
	via_params_pick(v, &rp);
	/* RFC 3581 §3: rport is a flag in requests, a port in responses. */
	if (v->has_rport) {
		if (rp.len) {
			why = "Bad rport";
			i = (size_t)(rp.p - s.p);
			if (sv_to_u64(rp, 65535, &n) || n == 0)
				goto out;
			v->rport = (uint16_t)n;
		}
	}
	err = 0;
out:
	if (err)
		perr_set(e, base + i, why, 400);
	return err;
}
