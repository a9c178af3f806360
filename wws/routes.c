/*
 * routes.c - what the WWS answers: the page and its script, /config.json,
 * the JWK Set, and POST /login (the token half and /introspect are in
 * token.c). The password check runs PBKDF2 on the libuv thread pool, so
 * the loop never waits for it.
 */
#include "wws_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "ims/ims.h"

#define NO_STORE "Cache-Control: no-store\r\n"
#define NOSNIFF	 "X-Content-Type-Options: nosniff\r\n"
/* The page talks to its own origin (login) and to the WSF (WebSocket). */
#define PAGE_HDRS                                                              \
	"Cache-Control: no-cache\r\n" NOSNIFF                                  \
	"Content-Security-Policy: default-src 'self'; connect-src 'self' "     \
	"wss: ws:; style-src 'self' 'unsafe-inline'\r\n"
#define WWW_AUTH_LOGIN "WWW-Authenticate: Bearer realm=\"wws\"\r\n"

struct wws_login {
	uv_work_t work;
	struct wws_login *prev, *next; /* in wws.logins */
	struct wws *w;
	struct http_conn *c; /* a reference */
	char *password;	     /* owned; wiped when done */
	struct wws_user usr; /* the stored hash, or a stand-in */
	bool known;
	bool ok; /* written by the worker, read after it */
};

void wws__error(struct http_conn *c, int status, const char *error,
		const char *desc, const char *extra)
{
	json_t *j = json_pack("{s:s}", "error", error);
	struct buf h;

	buf_init(&h);
	if (desc)
		json_object_set_new(j, "error_description", json_string(desc));
	/* RFC 6749 §5.1: answers about credentials are not cached. */
	buf_puts(&h, NO_STORE);
	if (extra)
		buf_puts(&h, extra);
	http_respond_json(c, status, j, h.data);
	buf_close(&h);
}

/* ---- identities ---------------------------------------------------------- */

/* user@host of a canonical sip:/sips: URI whose host is ims_domain. */
static void impi_from_sip(struct sv uri, const char *ims_domain,
			  struct buf *impi)
{
	struct sv rest, user, host;
	struct buf b;

	rest = sv_split(uri, ':', &user); /* drop the scheme */
	sv_split(rest, ';', &rest);
	sv_split(rest, '?', &rest);
	if (!sv_chr(rest, '@'))
		return;
	host = sv_split(rest, '@', &user);
	sv_split(host, ':', &host); /* no port in an NAI */
	if (!sv_casecmp_cstr(host, ims_domain))
		return;
	buf_init(&b);
	buf_printf(&b, "%.*s@%.*s", SV_ARG(user), SV_ARG(host));
	if (!ims_impi_check((struct sv){ b.data, b.len }, NULL))
		buf_putsv(impi, (struct sv){ b.data, b.len });
	buf_close(&b);
}

int wws_id_classify(const char *id, const char *ims_domain,
		    enum wws_id_kind *kind, struct buf *impu, struct buf *impi)
{
	struct sv s = sv_from_cstr(id);
	const char *at = strrchr(id, '@');

	*kind = WWS_ID_WEB;
	if (sv_case_starts_with(s, "sip:") || sv_case_starts_with(s, "sips:") ||
	    sv_case_starts_with(s, "tel:")) {
		*kind = WWS_ID_IMPU;
		if (ims_impu_normalize(s, impu))
			return -EBADMSG;
		if (!sv_case_starts_with(s, "tel:"))
			impi_from_sip((struct sv){ impu->data, impu->len },
				      ims_domain, impi);
		return 0;
	}
	if (at && strcasecmp(at + 1, ims_domain) == 0) {
		/* An IMPI of the home domain (TS 23.003 §13.3); the IMPU a
		 * UE without ISIM would use is sip:<IMPI> (§13.4B). */
		*kind = WWS_ID_IMPI;
		if (ims_impi_check(s, NULL))
			return -EBADMSG;
		buf_puts(impi, id);
		buf_printf(impu, "sip:%s", id);
	}
	return 0;
}

/* Figure 6.X.2.1.2.2-1 step 3: an IMS identity is the IMS core's to
 * authenticate. */
static void ims_required(struct http_conn *c, const char *id,
			 const struct buf *impu, const struct buf *impi)
{
	json_t *j = json_pack(
		"{s:s,s:s,s:o,s:o,s:s}", "result", "ims_auth_required", "id",
		id, "impu", impu->len ? json_string(impu->data) : json_null(),
		"impi", impi->len ? json_string(impi->data) : json_null(),
		"error_description",
		"authentication must be done in the IMS core");

	log_info("login %s: an IMS identity: ims_auth_required", id);
	http_respond_json(c, 200, j, NO_STORE);
}

/* ---- login --------------------------------------------------------------- */

static void login_work(uv_work_t *req)
{
	struct wws_login *l = req->data;
	unsigned char h[WWS_HASH_LEN];

	/* The same work for an unknown web id: no timing oracle. */
	wws_pw_hash(l->password, strlen(l->password), l->usr.salt,
		    l->usr.iterations, h);
	l->ok = l->known && CRYPTO_memcmp(h, l->usr.hash, sizeof(h)) == 0;
	OPENSSL_cleanse(h, sizeof(h));
}

static void login_free(struct wws_login *l)
{
	struct wws *w = l->w;

	if (l->prev)
		l->prev->next = l->next;
	else
		w->logins = l->next;
	if (l->next)
		l->next->prev = l->prev;
	OPENSSL_cleanse(l->password, strlen(l->password));
	free(l->password);
	obj_unref(l->c);
	free(l);
	wws__maybe_free(w);
}

static void login_done(uv_work_t *req, int status)
{
	struct wws_login *l = req->data;
	struct wws *w = l->w;
	int rc;

	if (status || w->closing) {
		login_free(l); /* cancelled at shutdown: nobody to answer */
		return;
	}
	if (l->ok && w->block && (rc = wws__block_assign(w, &l->usr))) {
		/* [range] Figure 6.X.2.1.3.3-1: no IMPU of the block, no
		 * token */
		log_warn("login %s: no IMPU of the block: %s", l->usr.webid,
			 rc == -ENOSPC	 ? "all are held"
			 : rc == -ENOTSUP ? "the block cannot be enumerated"
					  : "database error");
		wws__error(l->c, 503, "temporarily_unavailable",
			   rc == -ENOSPC ? "no free IMPU in the block"
					 : "no IMPU of the block for this user",
			   NULL);
	} else if (l->ok) {
		wws__login_ok(w, l->c, &l->usr);
	} else {
		log_info("login %s: refused (%s)", l->usr.webid,
			 l->known ? "wrong password" : "unknown web id");
		wws__error(l->c, 401, "invalid_credentials",
			   "unknown web id or wrong password", WWW_AUTH_LOGIN);
	}
	login_free(l);
}

bool wws__logins_cancel(struct wws *w)
{
	/* Those already running finish; login_done then frees them. */
	for (struct wws_login *l = w->logins; l; l = l->next)
		uv_cancel((uv_req_t *)&l->work);
	return !w->logins;
}

static void login(struct wws *w, struct http_conn *c,
		  const struct http_req *req)
{
	const json_t *id, *pw;
	struct buf impu, impi;
	struct wws_login *l;
	enum wws_id_kind kind;
	json_t *j = NULL;
	char why[160] = "body is not JSON";
	int rc;

	buf_init(&impu);
	buf_init(&impi);
	if (!http_is_json(&req->hdrs)) {
		wws__error(c, 415, "invalid_request",
			   "Content-Type must be application/json", NULL);
		goto out;
	}
	if (http_json_parse(req->body, (size_t)w->conf->max_body, &j, why,
			    sizeof(why)) ||
	    !json_is_object(j)) {
		wws__error(c, 400, "invalid_request",
			   j ? "body is not a JSON object" : why, NULL);
		goto out;
	}
	id = json_object_get(j, "id");
	pw = json_object_get(j, "password");
	if (!json_is_string(id) || !json_string_length(id) ||
	    json_string_length(id) >= WWS_ID_MAX) {
		wws__error(c, 400, "invalid_request",
			   "id: a string of 1 to 255 bytes", NULL);
		goto out;
	}
	if (wws_id_classify(json_string_value(id), w->conf->ims_domain, &kind,
			    &impu, &impi)) {
		wws__error(c, 400, "invalid_request",
			   "id: a malformed IMS identity", NULL);
		goto out;
	}
	if (kind != WWS_ID_WEB) {
		ims_required(c, json_string_value(id), &impu, &impi);
		goto out;
	}
	if (!json_is_string(pw) || !json_string_length(pw) ||
	    json_string_length(pw) >= WWS_PASSWORD_MAX) {
		wws__error(c, 400, "invalid_request",
			   "password: a string of 1 to 1023 bytes", NULL);
		goto out;
	}
	l = xcalloc(1, sizeof(*l));
	rc = wws_users_get(w->users, json_string_value(id), &l->usr);
	if (rc && rc != -ENOENT) {
		free(l);
		wws__error(c, 503, "temporarily_unavailable",
			   "user database unavailable", NULL);
		goto out;
	}
	l->known = rc == 0;
	if (!l->known) {
		snprintf(l->usr.webid, sizeof(l->usr.webid), "%s",
			 json_string_value(id));
		rng_fill(w->rng, l->usr.salt, sizeof(l->usr.salt));
		l->usr.iterations = w->conf->pbkdf2_iterations;
	}
	l->w = w;
	l->c = obj_ref(c);
	l->password = xstrdup(json_string_value(pw));
	l->work.data = l;
	l->next = w->logins;
	if (l->next)
		l->next->prev = l;
	w->logins = l;
	rc = uv_queue_work(w->loop, &l->work, login_work, login_done);
	if (rc) { /* cannot happen with a valid loop and callbacks */
		wws__error(c, 500, "server_error", uv_strerror(rc), NULL);
		login_free(l);
	}
out:
	json_decref(j);
	buf_close(&impu);
	buf_close(&impi);
}

/* ---- dispatch ------------------------------------------------------------ */

enum route_id { R_JWKS, R_CONFIG, R_LOGIN, R_INTROSPECT, R_RANGE, R_LOGOUT };

static const struct {
	const char *path;
	bool post; /* else GET and HEAD */
	enum route_id id;
} routes[] = {
	{ "/.well-known/jwks.json", false, R_JWKS },
	{ "/config.json", false, R_CONFIG },
	{ "/login", true, R_LOGIN },
	{ "/introspect", true, R_INTROSPECT },
	{ "/range.json", false, R_RANGE },
	{ "/logout", true, R_LOGOUT },
};

static bool method_ok(const struct http_req *req, bool post)
{
	if (post)
		return sv_eq_cstr(req->method, "POST");
	return sv_eq_cstr(req->method, "GET") ||
	       sv_eq_cstr(req->method, "HEAD");
}

/* RFC 9110 §15.5.6: a 405 names what is allowed. */
static void not_allowed(struct http_conn *c, bool post)
{
	wws__error(c, 405, "invalid_request", "method not allowed here",
		   post ? "Allow: POST\r\n" : "Allow: GET, HEAD\r\n");
}

void wws__handle(struct http_conn *c, const struct http_req *req, void *arg)
{
	struct wws *w = arg;
	size_t i;

	for (i = 0; i < wws_nassets; i++) {
		const struct wws_asset *a = &wws_assets[i];

		if (!sv_eq_cstr(req->path, a->path))
			continue;
		if (!method_ok(req, false))
			not_allowed(c, false);
		else
			http_respond(
				c, 200, a->ctype, a->data, a->len,
				strncmp(a->ctype, "text/html", 9)
					? "Cache-Control: no-cache\r\n" NOSNIFF
					: PAGE_HDRS);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(routes); i++) {
		if (sv_eq_cstr(req->path, routes[i].path))
			break;
	}
	if (i == ARRAY_SIZE(routes)) {
		wws__error(c, 404, "not_found", "no such resource", NULL);
		return;
	}
	if (!method_ok(req, routes[i].post)) {
		not_allowed(c, routes[i].post);
		return;
	}
	switch (routes[i].id) {
	case R_JWKS:
		http_respond(c, 200, "application/json", w->jwks.data,
			     w->jwks.len, "Cache-Control: max-age=60\r\n");
		break;
	case R_CONFIG:
		http_respond(c, 200, "application/json", w->config.data,
			     w->config.len, "Cache-Control: no-cache\r\n");
		break;
	case R_LOGIN:
		login(w, c, req);
		break;
	case R_INTROSPECT:
		wws__introspect(w, c, req);
		break;
	case R_RANGE:
		wws__block_json(w, c);
		break;
	case R_LOGOUT:
		wws__logout(w, c, req);
		break;
	}
}
