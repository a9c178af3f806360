/*
 * scn_check.c - the lines under a step: which field of the message they
 * read (field table), the operator (operator table) and the value, with
 * `capture` lines and $variables; plus the symbolic values of enumerated
 * Diameter AVPs (TS 29.229 §6.3, RFC 6733 §7.1).
 */
#include "scn_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diam/diam.h"

#define P_SIP  (1u << SCN_SIP)
#define P_DIAM (1u << SCN_DIAM)
#define P_HTTP (1u << SCN_HTTP)
#define P_WS   (1u << SCN_WS)
#define P_ALL  (P_SIP | P_DIAM | P_HTTP | P_WS)

static const struct {
	const char *word;
	enum scn_field_kind kind;
	int nargs;	 /* 0; 1: NAME[N]; 2: NAME[N] SUB */
	unsigned protos; /* where it applies */
	bool countable;	 /* `count` may precede it */
} fields[] = {
	{ "startline", SCN_F_START, 0, P_ALL, false },
	{ "method", SCN_F_METHOD, 0, P_SIP | P_HTTP | P_WS, false },
	{ "status", SCN_F_STATUS, 0, P_SIP | P_HTTP | P_WS, false },
	{ "reason", SCN_F_REASON, 0, P_SIP | P_HTTP | P_WS, false },
	{ "ruri", SCN_F_RURI, 0, P_SIP, false },
	{ "header", SCN_F_HEADER, 1, P_SIP | P_HTTP | P_WS, true },
	{ "param", SCN_F_PARAM, 2, P_SIP | P_HTTP | P_WS, false },
	{ "uri", SCN_F_URI, 1, P_SIP, false },
	{ "uriparam", SCN_F_URIPARAM, 2, P_SIP, false },
	{ "body", SCN_F_BODY, 0, P_SIP | P_HTTP | P_WS, false },
	{ "transport", SCN_F_TRANSPORT, 0, P_ALL, false },
	{ "avp", SCN_F_AVP, 1, P_DIAM, true },
	{ "cmd", SCN_F_CMD, 0, P_DIAM, false },
	{ "result", SCN_F_RESULT, 0, P_DIAM, false },
	{ "json", SCN_F_JSON, 1, P_HTTP, false },
	{ "jwt", SCN_F_JWT, 2, P_SIP | P_HTTP, false },
};

static const struct {
	const char *word;
	enum scn_op op;
	bool arg;
	bool numeric;
} ops[] = {
	{ "present", SCN_OP_PRESENT, false, false },
	{ "absent", SCN_OP_ABSENT, false, false },
	{ "==", SCN_OP_EQ, true, false },
	{ "!=", SCN_OP_NE, true, false },
	{ "~", SCN_OP_RE, true, false },
	{ "!~", SCN_OP_NRE, true, false },
	{ "<", SCN_OP_LT, true, true },
	{ "<=", SCN_OP_LE, true, true },
	{ ">", SCN_OP_GT, true, true },
	{ ">=", SCN_OP_GE, true, true },
};

/* Enumerated AVP values by name. Code 0 marks the pseudo field `result`,
 * which takes the names of both Result-Code and Experimental-Result-Code. */
static const struct {
	uint32_t code;
	long value;
	const char *name;
} enums[] = {
	{ 277, 0, "STATE_MAINTAINED" },
	{ 277, 1, "NO_STATE_MAINTAINED" },
	{ 614, 0, "NO_ASSIGNMENT" },
	{ 614, 1, "REGISTRATION" },
	{ 614, 2, "RE_REGISTRATION" },
	{ 614, 3, "UNREGISTERED_USER" },
	{ 614, 4, "TIMEOUT_DEREGISTRATION" },
	{ 614, 5, "USER_DEREGISTRATION" },
	{ 614, 6, "TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME" },
	{ 614, 7, "USER_DEREGISTRATION_STORE_SERVER_NAME" },
	{ 614, 8, "ADMINISTRATIVE_DEREGISTRATION" },
	{ 614, 9, "AUTHENTICATION_FAILURE" },
	{ 614, 10, "AUTHENTICATION_TIMEOUT" },
	{ 614, 11, "DEREGISTRATION_TOO_MUCH_DATA" },
	{ 623, 0, "REGISTRATION" },
	{ 623, 1, "DE_REGISTRATION" },
	{ 623, 2, "REGISTRATION_AND_CAPABILITIES" },
	{ 624, 0, "USER_DATA_NOT_AVAILABLE" },
	{ 624, 1, "USER_DATA_ALREADY_AVAILABLE" },
	{ 268, 2001, "DIAMETER_SUCCESS" },
	{ 268, 2002, "DIAMETER_LIMITED_SUCCESS" },
	{ 268, 3001, "DIAMETER_COMMAND_UNSUPPORTED" },
	{ 268, 3002, "DIAMETER_UNABLE_TO_DELIVER" },
	{ 268, 3003, "DIAMETER_REALM_NOT_SERVED" },
	{ 268, 3004, "DIAMETER_TOO_BUSY" },
	{ 268, 3007, "DIAMETER_APPLICATION_UNSUPPORTED" },
	{ 268, 5001, "DIAMETER_AVP_UNSUPPORTED" },
	{ 268, 5003, "DIAMETER_AUTHORIZATION_REJECTED" },
	{ 268, 5004, "DIAMETER_INVALID_AVP_VALUE" },
	{ 268, 5005, "DIAMETER_MISSING_AVP" },
	{ 268, 5006, "DIAMETER_RESOURCES_EXCEEDED" },
	{ 268, 5012, "DIAMETER_UNABLE_TO_COMPLY" },
	{ 298, 2001, "DIAMETER_FIRST_REGISTRATION" },
	{ 298, 2002, "DIAMETER_SUBSEQUENT_REGISTRATION" },
	{ 298, 2003, "DIAMETER_UNREGISTERED_SERVICE" },
	{ 298, 2004, "DIAMETER_SUCCESS_SERVER_NAME_NOT_STORED" },
	{ 298, 5001, "DIAMETER_ERROR_USER_UNKNOWN" },
	{ 298, 5002, "DIAMETER_ERROR_IDENTITIES_DONT_MATCH" },
	{ 298, 5003, "DIAMETER_ERROR_IDENTITY_NOT_REGISTERED" },
	{ 298, 5004, "DIAMETER_ERROR_ROAMING_NOT_ALLOWED" },
	{ 298, 5005, "DIAMETER_ERROR_IDENTITY_ALREADY_REGISTERED" },
	{ 298, 5006, "DIAMETER_ERROR_AUTH_SCHEME_NOT_SUPPORTED" },
	{ 298, 5007, "DIAMETER_ERROR_IN_ASSIGNMENT_TYPE" },
	{ 298, 5008, "DIAMETER_ERROR_TOO_MUCH_DATA" },
	{ 298, 5009, "DIAMETER_ERROR_NOT_SUPPORTED_USER_DATA" },
	{ 298, 5011, "DIAMETER_ERROR_FEATURE_UNSUPPORTED" },
};

static bool enum_code_match(uint32_t want, uint32_t code)
{
	return want == code || (want == 0 && (code == 268 || code == 298));
}

const char *scn_avp_enum_name(uint32_t code, long value)
{
	for (size_t i = 0; i < ARRAY_SIZE(enums); i++)
		if (enum_code_match(code, enums[i].code) &&
		    enums[i].value == value)
			return enums[i].name;
	return NULL;
}

int scn_avp_enum_value(uint32_t code, const char *name, long *value)
{
	for (size_t i = 0; i < ARRAY_SIZE(enums); i++) {
		if (enum_code_match(code, enums[i].code) &&
		    !strcasecmp(enums[i].name, name)) {
			*value = enums[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

static bool has_enums(uint32_t code)
{
	for (size_t i = 0; i < ARRAY_SIZE(enums); i++)
		if (enum_code_match(code, enums[i].code))
			return true;
	return false;
}

int scn_avp_code(const char *name, uint32_t *code)
{
	/* Codes in our dictionary are unique and below 1024. */
	for (uint32_t c = 1; c < 1024; c++) {
		const struct diam_avp_def *d = diam_avp_def_by_code(c);

		if (d && !strcasecmp(d->name, name)) {
			*code = c;
			return 0;
		}
	}
	return -ENOENT;
}

const char *scn_op_name(enum scn_op op)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (ops[i].op == op)
			return ops[i].word;
	return "?";
}

static const char *field_word(enum scn_field_kind k)
{
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (fields[i].kind == k)
			return fields[i].word;
	return "?";
}

void scn_field_print(const struct scn_field *f, char *dst, size_t n)
{
	char idx[16] = "";

	if (f->idx)
		snprintf(idx, sizeof(idx), "[%u]", f->idx);
	snprintf(dst, n, "%s%s%s%s%s%s%s", f->count ? "count " : "",
		 field_word(f->kind), f->name ? " " : "",
		 f->name ? f->name : "", idx, f->sub ? " " : "",
		 f->sub ? f->sub : "");
}

bool scn__check_word(const char *w)
{
	if (!strcmp(w, "count") || !strcmp(w, "capture"))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (!strcmp(fields[i].word, w))
			return true;
	return false;
}

void scn__check_free(struct scn_check *c)
{
	free(c->text);
	free(c->var);
	free(c->f.name);
	free(c->f.sub);
	free(c->arg);
	if (c->re_ok)
		regfree(&c->re);
}

static bool ident_ok(const char *w, size_t n)
{
	if (!n || !(isalpha((unsigned char)w[0]) || w[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)w[i]) && w[i] != '_')
			return false;
	return true;
}

/* NAME or NAME[N] */
static int parse_name(struct scn_parser *p, const char *w, struct scn_field *f)
{
	const char *br = strchr(w, '[');
	uint64_t v = 0;
	size_t n = br ? (size_t)(br - w) : strlen(w);

	if (br) {
		size_t len = strlen(br);

		if (len < 3 || br[len - 1] != ']' ||
		    sv_to_u64((struct sv){ br + 1, len - 2 }, 1000, &v) || !v)
			return scn__fail(p,
					 "bad index in '%s' (NAME[1] is "
					 "the first)",
					 w);
	}
	if (!n)
		return scn__fail(p, "a name is missing before '['");
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)w[i]))
			return scn__fail(p, "bad name '%s'", w);
	f->name = sv_dup((struct sv){ w, n });
	f->idx = (unsigned)v;
	return 0;
}

/* Turns a whole-word $V into ${V} and checks every ${V} is known. */
static int parse_value(struct scn_parser *p, struct scn_check *c, const char *w,
		       bool quoted)
{
	const char *r;

	if (!quoted && w[0] == '$' && ident_ok(w + 1, strlen(w + 1))) {
		struct buf b;

		buf_init(&b);
		buf_printf(&b, "${%s}", w + 1);
		c->arg = buf_steal(&b, NULL);
	} else {
		c->arg = xstrdup(w);
	}
	for (r = strstr(c->arg, "${"); r; r = strstr(r + 2, "${")) {
		const char *end = strchr(r, '}');
		size_t n = end ? (size_t)(end - r - 2) : 0;
		bool known = false;

		if (!end || !ident_ok(r + 2, n))
			return scn__fail(p,
					 "bad variable reference in '%s' "
					 "(${name})",
					 w);
		for (size_t i = 0; i < p->nvars; i++)
			known |= strlen(p->vars[i]) == n &&
				 !strncmp(p->vars[i], r + 2, n);
		if (!known)
			return scn__fail(p,
					 "$%.*s is not captured before this "
					 "line",
					 (int)n, r + 2);
		c->has_vars = true;
	}
	return 0;
}

/*
 * glibc's regcomp copies the tree of an atom once per repetition ('+' is
 * "x x*", {m,n} up to n copies), so nested repetitions grow as a product:
 * "(((a+)+)+)..." or "a{99}{99}" take gigabytes (found by fuzz_scn). Before
 * compiling, refuse stacked repetition symbols (POSIX 9.4.6: undefined in
 * an ERE) and any pattern whose estimated node count passes RE_MAX_NODES.
 * ${var} is one atom (its value is escaped when it is expanded).
 */
#define RE_MAX_NODES 100000
#define RE_MAX_DEPTH 32

static uint64_t re_cap(uint64_t v)
{
	return v > RE_MAX_NODES ? RE_MAX_NODES + 1 : v;
}

static const char *re_check(const char *r)
{
	uint64_t sum[RE_MAX_DEPTH + 1] = { 0 }, last = 0, f;
	unsigned d = 0;
	bool dup = false; /* the previous token was a repetition */

	while (*r) {
		char ch = *r++;

		f = 0;
		if (ch == '*' || ch == '?' || ch == '+') {
			f = ch == '+' ? 2 : 1;
		} else if (ch == '{' && isdigit((unsigned char)*r)) {
			unsigned long m = strtoul(r, (char **)&r, 10), n = m;

			if (*r == ',')
				n = isdigit((unsigned char)*++r)
					    ? strtoul(r, (char **)&r, 10)
					    : m + 1;
			if (*r++ != '}')
				return "bad interval";
			f = n > m ? n : m;
			f = f ? re_cap(f) : 1;
		}
		if (f) {
			if (dup)
				return "stacked repetitions (undefined in "
				       "POSIX, and exponential here)";
			dup = true;
			sum[d] = re_cap(sum[d] + last * (f - 1));
			last = re_cap(last * f);
		} else {
			dup = false;
			if (ch == '(') {
				if (d == RE_MAX_DEPTH)
					return "groups nested too deep";
				sum[++d] = 0;
				continue;
			}
			last = 1;
			if (ch == ')' && d) {
				last = re_cap(sum[d--] + 1);
			} else if (ch == '\\' && *r) {
				r++;
			} else if (ch == '$' && *r == '{') {
				r += strcspn(r, "}");
				r += *r == '}';
			} else if (ch == '[') {
				/* a bracket expression is one atom */
				r += *r == '^';
				r += *r == ']';
				while (*r && *r != ']') {
					size_t k = 1;

					if (*r == '[' && r[1] == ':')
						k = 2 + strcspn(r + 2, "]");
					r += k + (k > 1 && r[k] == ']');
				}
				r += *r == ']';
			}
			sum[d] = re_cap(sum[d] + last);
		}
		if (sum[d] > RE_MAX_NODES)
			return "too many repetitions (over 100000 nodes)";
	}
	return NULL;
}

static int compile(struct scn_parser *p, struct scn_check *c)
{
	const char *bad = re_check(c->arg);
	char why[160];
	int rc;

	if (bad)
		return scn__fail(p, "bad regular expression '%.80s': %s",
				 c->arg, bad);
	if (c->has_vars)
		return 0;
	rc = regcomp(&c->re, c->arg, REG_EXTENDED);
	if (rc) {
		regerror(rc, &c->re, why, sizeof(why));
		return scn__fail(p, "bad regular expression '%s': %s", c->arg,
				 why);
	}
	c->re_ok = true;
	return 0;
}

static bool is_int(const char *w)
{
	if (*w == '-')
		w++;
	if (!*w)
		return false;
	for (; *w; w++)
		if (!isdigit((unsigned char)*w))
			return false;
	return true;
}

/* The value checks an operator allows, now that field and op are known. */
static int check_arg(struct scn_parser *p, struct scn_check *c, bool numeric)
{
	const struct scn_field *f = &c->f;
	uint32_t code = f->kind == SCN_F_RESULT ? 0 : f->avp;
	long v;

	if (c->op == SCN_OP_RE || c->op == SCN_OP_NRE)
		return compile(p, c);
	if (c->has_vars)
		return 0;
	if ((numeric || f->count) && !is_int(c->arg))
		return scn__fail(p, "'%s' wants a number, not '%s'",
				 scn_op_name(c->op), c->arg);
	if (!f->count && (f->kind == SCN_F_RESULT || f->kind == SCN_F_AVP) &&
	    has_enums(code) && !is_int(c->arg) &&
	    scn_avp_enum_value(code, c->arg, &v)) {
		struct buf b;
		int rc;

		buf_init(&b);
		for (size_t i = 0; i < ARRAY_SIZE(enums); i++)
			if (enum_code_match(code, enums[i].code))
				buf_printf(&b, "%s%s", b.len ? ", " : "",
					   enums[i].name);
		rc = scn__fail(p, "'%s' is not a value of %s (%s)", c->arg,
			       f->kind == SCN_F_RESULT ? "result" : f->name,
			       b.data);
		buf_close(&b);
		return rc;
	}
	return 0;
}

static int parse_field(struct scn_parser *p, struct scn_toks *t, int *i,
		       struct scn_field *f, enum scn_proto proto)
{
	size_t k;

	if (*i < t->n && !strcmp(t->v[*i], "count")) {
		f->count = true;
		(*i)++;
	}
	for (k = 0; k < ARRAY_SIZE(fields); k++)
		if (*i < t->n && !strcmp(fields[k].word, t->v[*i]))
			break;
	if (k == ARRAY_SIZE(fields))
		return scn__fail(
			p,
			"'%s' is not a field (header, param, uri, "
			"uriparam, status, method, reason, ruri, "
			"startline, body, transport, avp, cmd, result, "
			"json, jwt)",
			*i < t->n ? t->v[*i] : "");
	f->kind = fields[k].kind;
	if (!(fields[k].protos & (1u << proto)))
		return scn__fail(p, "'%s' does not apply to %s messages",
				 fields[k].word, scn_proto_name(proto));
	if (f->count && !fields[k].countable)
		return scn__fail(p, "count applies to header and avp only");
	(*i)++;
	if (*i + fields[k].nargs > t->n) {
		const char *what = fields[k].nargs == 1 ? "a name"
				   : f->kind == SCN_F_JWT
					   ? "claim NAME or header NAME"
					   : "a header and a name";

		return scn__fail(p, "'%s' wants %s", fields[k].word, what);
	}
	if (fields[k].nargs >= 1 && parse_name(p, t->v[(*i)++], f))
		return -EINVAL;
	if (fields[k].nargs == 2)
		f->sub = xstrdup(t->v[(*i)++]);
	if (f->kind == SCN_F_JWT &&
	    (f->idx || (strcmp(f->name, "claim") && strcmp(f->name, "header"))))
		return scn__fail(p,
				 "usage: jwt claim NAME | jwt header NAME "
				 "(e.g. jwt claim iss, jwt header alg)");
	if (f->kind == SCN_F_AVP && scn_avp_code(f->name, &f->avp))
		return scn__fail(p,
				 "unknown AVP '%s' (names as in TS 29.229 "
				 "and RFC 6733: User-Name, Public-Identity, "
				 "Server-Assignment-Type...)",
				 f->name);
	return 0;
}

int scn__check_parse(struct scn_parser *p, struct scn_toks *t, const char *text)
{
	struct scn_step *st = &p->s->steps[p->cur];
	struct scn_check c = { .line = p->line };
	bool numeric = false;
	int i = 0, rc;
	size_t k;

	while (*text == ' ' || *text == '\t')
		text++;
	c.text = xstrdup(text);
	if (!strcmp(t->v[0], "capture")) {
		if (t->n < 4 || strcmp(t->v[2], "=") ||
		    !ident_ok(t->v[1], strlen(t->v[1]))) {
			rc = scn__fail(p, "usage: capture NAME = FIELD "
					  "[~ REGEX]");
			goto out;
		}
		c.capture = true;
		c.var = xstrdup(t->v[1]);
		i = 3;
	}
	rc = parse_field(p, t, &i, &c.f, st->proto);
	if (rc)
		goto out;
	if (c.capture) {
		c.op = SCN_OP_PRESENT;
		if (i < t->n && (strcmp(t->v[i], "~") || i + 2 != t->n)) {
			rc = scn__fail(p, "a capture takes only `~ REGEX` "
					  "after its field");
			goto out;
		}
		if (i < t->n) {
			c.op = SCN_OP_RE;
			rc = parse_value(p, &c, t->v[i + 1], t->quoted[i + 1]);
			if (!rc)
				rc = compile(p, &c);
		}
		goto out;
	}
	for (k = 0; k < ARRAY_SIZE(ops); k++)
		if (i < t->n && !strcmp(ops[k].word, t->v[i]))
			break;
	if (k == ARRAY_SIZE(ops)) {
		rc = scn__fail(p,
			       "expected an operator (present, absent, ==, "
			       "!=, ~, !~, <, <=, >, >=)%s%s",
			       i < t->n ? ", not " : " at the end",
			       i < t->n ? t->v[i] : "");
		goto out;
	}
	c.op = ops[k].op;
	numeric = ops[k].numeric;
	i++;
	if (ops[k].arg != (i < t->n) || i + (ops[k].arg ? 1 : 0) != t->n) {
		rc = scn__fail(p,
			       ops[k].arg ? "'%s' wants exactly one value "
					    "(quote it if it has spaces)"
					  : "'%s' takes no value",
			       ops[k].word);
		goto out;
	}
	if (ops[k].arg) {
		rc = parse_value(p, &c, t->v[i], t->quoted[i]);
		if (!rc)
			rc = check_arg(p, &c, numeric);
	}
out:
	if (rc) {
		scn__check_free(&c);
		return rc;
	}
	st->checks = xrealloc(st->checks, (st->nchecks + 1) * sizeof(c));
	st->checks[st->nchecks++] = c;
	if (c.capture) {
		p->vars = xrealloc(p->vars, (p->nvars + 1) * sizeof(char *));
		p->vars[p->nvars++] = xstrdup(c.var);
	}
	return 0;
}
