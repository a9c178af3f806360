/*
 * block.c - [range] the enterprise WWS's block of IMPUs (TR 23.701
 * §6.X.2.1.3, TS 24.371 scenario 3 "pool of IMPUs", TS 33.203 X.4): which
 * IMPU of the block each web user holds (SQLite, users.c), how a new one
 * is picked (ims_wildcard_nth), and GET /range.json.
 *
 * Figure 6.X.2.1.3.3-1: "the WWS keeps who holds which IMPU". A web user
 * keeps its IMPU across logins; no IMPU is ever held by two web users
 * (range_impus.impu is the primary key): a second user asking for a held
 * IMPU gets another one.
 */
#include "wws_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ims/ims.h"

/* A pinned IMPU is looked for among the first members only. */
#define PIN_SCAN_MAX 100000

int wws__block_setup(struct wws *w, char *err, size_t errlen)
{
	const struct wws_conf *c = w->conf;
	struct buf b;
	uint64_t n = 0;
	int rc;

	if (!c->enterprise)
		return 0;
	buf_init(&b);
	rc = ims_impu_normalize(sv_from_cstr(c->impu_range), &b);
	if (!rc)
		rc = ims_wildcard_parse((struct sv){ b.data, b.len }, &w->block,
					NULL);
	buf_close(&b);
	if (rc) {
		snprintf(err, errlen, "impu_range: '%s': not a wildcarded IMPU",
			 c->impu_range);
		return -EINVAL;
	}
	rc = ims_wildcard_count(w->block, &n);
	log_info("enterprise WWS: block %s (%s), IMPI %s",
		 ims_wildcard_text(w->block),
		 rc ? "not enumerable: only pinned IMPUs" : "enumerable",
		 c->range_impi);
	if (!rc)
		log_info("the block has %llu IMPUs", (unsigned long long)n);
	return 0;
}

/* The index of impu in the block (scanning at most PIN_SCAN_MAX). */
static int pin_index(struct wws *w, const char *impu, int64_t *idx)
{
	struct buf b;
	uint64_t n = 0;
	int rc = -ENOENT;

	if (ims_wildcard_count(w->block, &n))
		n = 0;
	buf_init(&b);
	for (uint64_t i = 0; i < n && i < PIN_SCAN_MAX; i++) {
		buf_reset(&b);
		if (ims_wildcard_nth(w->block, i, &b))
			break;
		if (strcmp(b.data, impu) == 0) {
			*idx = (int64_t)i;
			rc = 0;
			break;
		}
	}
	buf_close(&b);
	return rc;
}

/* The IMPU usr was provisioned with, when it is a member of the block. */
static bool pinned(struct wws *w, const struct wws_user *usr, char *canon,
		   size_t n)
{
	struct buf b;
	bool in = false;

	buf_init(&b);
	if (ims_impu_normalize(sv_from_cstr(usr->impu), &b) == 0 &&
	    strcmp(b.data, ims_wildcard_text(w->block)) != 0 &&
	    ims_wildcard_match(w->block, (struct sv){ b.data, b.len }))
		in = sv_copy((struct sv){ b.data, b.len }, canon, n) == 0;
	buf_close(&b);
	return in;
}

int wws__block_lookup(struct wws *w, struct wws_user *usr)
{
	char impu[WWS_ID_MAX], block[WWS_ID_MAX];
	int64_t idx;
	int rc = wws_users_impu_get(w->users, usr->webid, impu, block, &idx);

	/* One taken from another block (impu_range changed since) is
	 * not held any more. */
	if (!rc && strcmp(block, ims_wildcard_text(w->block)) != 0)
		rc = -ENOENT;
	if (!rc) {
		snprintf(usr->impu, sizeof(usr->impu), "%s", impu);
		snprintf(usr->impi, sizeof(usr->impi), "%s",
			 w->conf->range_impi);
	}
	return rc;
}

/* Takes the lowest free member; -ENOSPC past the end of the block. A
 * member pinned by another user may sit at the free index: its insert
 * fails and the next index is tried. */
static int take_next(struct wws *w, const char *webid, char *out, size_t n)
{
	const char *text = ims_wildcard_text(w->block);
	uint64_t count = 0;
	int64_t idx;
	struct buf b;
	int rc;

	if (ims_wildcard_count(w->block, &count))
		return -ENOTSUP;
	rc = wws_users_impu_free(w->users, text, &idx);
	if (rc)
		return rc;
	buf_init(&b);
	for (;; idx++) {
		if (idx < 0 || (uint64_t)idx >= count) {
			rc = -ENOSPC;
			break;
		}
		buf_reset(&b);
		rc = ims_wildcard_nth(w->block, (uint64_t)idx, &b);
		if (!rc)
			rc = wws_users_impu_add(w->users, b.data, webid, text,
						idx, wws__now(w));
		if (rc != -EEXIST)
			break;
	}
	if (!rc)
		rc = sv_copy((struct sv){ b.data, b.len }, out, n);
	buf_close(&b);
	return rc;
}

int wws__block_assign(struct wws *w, struct wws_user *usr)
{
	char want[WWS_ID_MAX];
	int64_t idx = -1;
	int rc = wws__block_lookup(w, usr);

	if (rc != -ENOENT)
		return rc; /* held already (0), or a database error */
	wws_users_impu_del(w->users, usr->webid); /* one of an old block */
	if (pinned(w, usr, want, sizeof(want))) {
		pin_index(w, want, &idx);
		rc = wws_users_impu_add(w->users, want, usr->webid,
					ims_wildcard_text(w->block), idx,
					wws__now(w));
		if (rc == -EEXIST)
			log_info("login %s: its IMPU %s is held by another "
				 "web user: it gets another one",
				 usr->webid, want);
		if (!rc)
			snprintf(usr->impu, sizeof(usr->impu), "%s", want);
	}
	if (rc)
		rc = take_next(w, usr->webid, usr->impu, sizeof(usr->impu));
	if (rc)
		return rc;
	snprintf(usr->impi, sizeof(usr->impi), "%s", w->conf->range_impi);
	log_info("login %s: IMPU %s of the block assigned", usr->webid,
		 usr->impu);
	return 0;
}

void wws__block_json(struct wws *w, struct http_conn *c)
{
	const char *state = "pending";
	struct buf aor;
	long expires = 0;
	int status = 0;
	json_t *j;

	if (!w->block) {
		wws__error(c, 404, "not_found", "not an enterprise WWS", NULL);
		return;
	}
	buf_init(&aor);
	ims_impu_escape(sv_from_cstr(ims_wildcard_text(w->block)), &aor);
	if (w->range)
		state = wws__range_state(w, &status, &expires);
	j = json_pack("{s:s,s:s,s:s,s:s,s:i,s:b}", "wildcard",
		      ims_wildcard_text(w->block), "aor", aor.data, "impi",
		      w->conf->range_impi, "state", state, "status", status,
		      "register_range", w->conf->register_range);
	if (expires)
		json_object_set_new(j, "expires", json_integer(expires));
	http_respond_json(c, 200, j, "Cache-Control: no-store\r\n");
	buf_close(&aor);
}
