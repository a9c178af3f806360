/*
 * users.c - the WWS user table and issued tokens, in SQLite.
 *
 * A web user: web id (primary key, compared case-insensitively), a random
 * 16-byte salt, the PBKDF2-HMAC-SHA256 hash of the password (RFC 8018
 * §5.2; iterations stored per user so pbkdf2_iterations may change), and
 * the IMPU and IMPI the web id maps to (TR 23.701 steps 6-7: "the WWS
 * determines the IMPU/IMPI assigned to the user by querying a database").
 * Issued tokens: jti -> web id, iat, exp, revoked. [range] The IMPUs of
 * an enterprise block held by web users: impu (primary key) -> web id
 * (unique), the block's text and the IMPU's index in it (block.c).
 *
 * The server's calls run on the loop: each is one indexed statement,
 * prepared at open. WAL mode with a busy timeout lets `wws user add` write
 * while wws serves the same file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "ims/ims.h"
#include "wws_int.h"

#define PRUNE_AFTER_S 86400 /* keep expired jtis a day, then forget them */

/* synchronous = NORMAL: in WAL mode a commit no longer waits for an
 * fsync (only a power loss can forget the last issued tokens, never
 * corrupt the file): the token of every login is written on the loop. */
static const char schema[] =
	"PRAGMA journal_mode = WAL;"
	"PRAGMA synchronous = NORMAL;"
	"CREATE TABLE IF NOT EXISTS users ("
	" webid TEXT PRIMARY KEY COLLATE NOCASE,"
	" salt BLOB NOT NULL, hash BLOB NOT NULL,"
	" iterations INTEGER NOT NULL,"
	" impu TEXT NOT NULL, impi TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS tokens ("
	" jti TEXT PRIMARY KEY, webid TEXT NOT NULL,"
	" iat INTEGER NOT NULL, exp INTEGER NOT NULL,"
	" revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS tokens_exp ON tokens(exp);"
	/* [range]: who holds which IMPU of the block (one each, never two) */
	"CREATE TABLE IF NOT EXISTS range_impus ("
	" impu TEXT PRIMARY KEY,"
	" webid TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	" block TEXT NOT NULL, idx INTEGER NOT NULL, at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS range_impus_idx ON range_impus(block, idx);"
	"PRAGMA user_version = 1;";

enum stmt_id {
	ST_GET,
	ST_ADD,
	ST_REMOVE,
	ST_LIST,
	ST_TOK_ADD,
	ST_TOK_FIND,
	ST_TOK_REVOKE,
	ST_TOK_PRUNE,
	ST_IMPU_GET,
	ST_IMPU_FREE,
	ST_IMPU_ADD,
	ST_IMPU_DEL,
	ST_IMPU_LIST,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_GET] = "SELECT webid, salt, hash, iterations, impu, impi "
		   "FROM users WHERE webid = ?1",
	[ST_ADD] = "INSERT INTO users (webid, salt, hash, iterations, impu, "
		   "impi) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_REMOVE] = "DELETE FROM users WHERE webid = ?1",
	[ST_LIST] = "SELECT webid, salt, hash, iterations, impu, impi "
		    "FROM users ORDER BY webid",
	/* A fixed --seed replays jtis: the newest issue wins. */
	[ST_TOK_ADD] = "INSERT OR REPLACE INTO tokens (jti, webid, iat, exp) "
		       "VALUES (?1, ?2, ?3, ?4)",
	[ST_TOK_FIND] = "SELECT webid FROM tokens WHERE jti = ?1 AND "
			"revoked = 0",
	[ST_TOK_REVOKE] = "UPDATE tokens SET revoked = 1 WHERE jti = ?1",
	[ST_TOK_PRUNE] = "DELETE FROM tokens WHERE exp < ?1",
	[ST_IMPU_GET] = "SELECT impu, block, idx FROM range_impus "
			"WHERE webid = ?1",
	/* The lowest index of the block no one holds: 0, or one above a
	 * held index whose successor is free (indexed lookups). */
	[ST_IMPU_FREE] = "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM "
			 "range_impus WHERE block = ?1 AND idx = 0) THEN 0 "
			 "ELSE (SELECT MIN(a.idx) + 1 FROM range_impus a "
			 "WHERE a.block = ?1 AND a.idx >= 0 AND NOT EXISTS "
			 "(SELECT 1 FROM range_impus b WHERE b.block = ?1 "
			 "AND b.idx = a.idx + 1)) END",
	[ST_IMPU_ADD] = "INSERT INTO range_impus (impu, webid, block, idx, at) "
			"VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_IMPU_DEL] = "DELETE FROM range_impus WHERE webid = ?1",
	[ST_IMPU_LIST] = "SELECT impu, webid FROM range_impus ORDER BY block, "
			 "idx, impu",
};

struct wws_users {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
};

static int db_fail(struct wws_users *u, const char *what)
{
	log_error("wws db: %s: %s", what, sqlite3_errmsg(u->db));
	return sqlite3_errcode(u->db) == SQLITE_BUSY ? -EBUSY : -EIO;
}

int wws_users_open(struct wws_users **out, const char *path, bool *created,
		   char *err, size_t errlen)
{
	struct wws_users *u = xcalloc(1, sizeof(*u));
	int rc = -EIO, i;

	*out = NULL;
	*created = false;
	/* Is it new? Opening without CREATE says so without a race that
	 * matters here (one process provisions at first start). */
	if (sqlite3_open_v2(path, &u->db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(u->db);
		u->db = NULL;
		*created = true;
		if (sqlite3_open_v2(path, &u->db,
				    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
				    NULL) != SQLITE_OK)
			goto fail;
	}
	sqlite3_busy_timeout(u->db, WWS_BUSY_MS);
	if (sqlite3_exec(u->db, schema, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(u->db, stmt_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &u->st[i],
				       NULL) != SQLITE_OK)
			goto fail;
	}
	*out = u;
	return 0;
fail:
	snprintf(err, errlen, "db %s: %s", path,
		 u->db ? sqlite3_errmsg(u->db) : "cannot open");
	wws_users_close(u);
	return rc;
}

void wws_users_close(struct wws_users *u)
{
	if (!u)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(u->st[i]);
	sqlite3_close(u->db);
	free(u);
}

void wws_pw_hash(const char *password, size_t len, const unsigned char *salt,
		 long iterations, unsigned char out[WWS_HASH_LEN])
{
	if (!PKCS5_PBKDF2_HMAC(password, (int)len, salt, WWS_SALT_LEN,
			       (int)iterations, EVP_sha256(), WWS_HASH_LEN,
			       out))
		abort(); /* only fails on allocation */
}

static bool printable(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n >= max)
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x21 || s[i] == 0x7f)
			return false;
	}
	return true;
}

const char *wws_user_check(const char *webid, const char *password,
			   const char *impu, const char *impi,
			   const char *ims_domain)
{
	const char *at = webid ? strrchr(webid, '@') : NULL;
	struct buf b;
	int rc;

	if (!webid || !printable(webid, WWS_ID_MAX) || !at || at == webid ||
	    !at[1])
		return "web id: user@domain, printable, at most 255 bytes";
	if (strncasecmp(webid, "sip:", 4) == 0 ||
	    strncasecmp(webid, "sips:", 5) == 0 ||
	    strncasecmp(webid, "tel:", 4) == 0 ||
	    (ims_domain && strcasecmp(at + 1, ims_domain) == 0))
		return "web id: that is an IMS identity (ims_domain)";
	if (!password || !password[0] || strlen(password) >= WWS_PASSWORD_MAX)
		return "password: 1 to 1023 bytes";
	if (!impu || strlen(impu) >= WWS_ID_MAX)
		return "IMPU: at most 255 bytes";
	buf_init(&b);
	rc = ims_impu_normalize(sv_from_cstr(impu), &b);
	buf_close(&b);
	if (rc)
		return "IMPU: not a sip:, sips: or tel: URI";
	if (!impi || strlen(impi) >= WWS_ID_MAX ||
	    ims_impi_check(sv_from_cstr(impi), NULL))
		return "IMPI: not a user@realm NAI";
	return NULL;
}

static void text_get(sqlite3_stmt *st, int col, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

static void blob_get(sqlite3_stmt *st, int col, unsigned char *dst, size_t n)
{
	const void *p = sqlite3_column_blob(st, col);

	memset(dst, 0, n);
	if (p && (size_t)sqlite3_column_bytes(st, col) == n)
		memcpy(dst, p, n);
}

static void row_get(sqlite3_stmt *st, struct wws_user *out)
{
	text_get(st, 0, out->webid, sizeof(out->webid));
	blob_get(st, 1, out->salt, sizeof(out->salt));
	blob_get(st, 2, out->hash, sizeof(out->hash));
	out->iterations = (long)sqlite3_column_int64(st, 3);
	text_get(st, 4, out->impu, sizeof(out->impu));
	text_get(st, 5, out->impi, sizeof(out->impi));
}

int wws_users_add(struct wws_users *u, const char *webid, const char *password,
		  const char *impu, const char *impi, long iterations)
{
	sqlite3_stmt *st = u->st[ST_ADD];
	unsigned char salt[WWS_SALT_LEN], hash[WWS_HASH_LEN];
	char *canon = NULL;
	int rc = -EINVAL;

	if (wws_user_check(webid, password, impu, impi, NULL) || iterations < 1)
		goto out;
	canon = ims_impu_canon(impu);
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		abort();
	wws_pw_hash(password, strlen(password), salt, iterations, hash);
	sqlite3_bind_text(st, 1, webid, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, salt, sizeof(salt), SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, hash, sizeof(hash), SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, iterations);
	sqlite3_bind_text(st, 5, canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, impi, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (sqlite3_extended_errcode(u->db) ==
		 SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = -EEXIST;
	else
		rc = db_fail(u, "add user");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
out:
	free(canon);
	return rc;
}

int wws_users_bulk(struct wws_users *u, const struct wws_bulk *b)
{
	char webid[WWS_ID_MAX], pw[32], impu[WWS_ID_MAX], impi[WWS_ID_MAX];
	int rc = 0;

	/* One transaction: a fsync per user would take minutes for 10^5. */
	if (sqlite3_exec(u->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(u, "bulk begin");
	for (unsigned i = b->first; i < b->first + b->count && !rc; i++) {
		snprintf(webid, sizeof(webid), "%s%05u@%s", b->prefix, i,
			 b->domain);
		snprintf(pw, sizeof(pw), "pass-%05u", i);
		snprintf(impu, sizeof(impu), "sip:%s%05u@%s", b->prefix, i,
			 b->ims_domain);
		snprintf(impi, sizeof(impi), "%s%05u@%s", b->prefix, i,
			 b->ims_domain);
		rc = wws_users_add(u, webid, pw, impu, impi, b->iterations);
	}
	if (rc)
		sqlite3_exec(u->db, "ROLLBACK", NULL, NULL, NULL);
	else if (sqlite3_exec(u->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = db_fail(u, "bulk commit");
	return rc;
}

int wws_users_get(struct wws_users *u, const char *webid, struct wws_user *out)
{
	sqlite3_stmt *st = u->st[ST_GET];
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_text(st, 1, webid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row_get(st, out);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	} else {
		rc = db_fail(u, "get user");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* One-shot write statement with one text parameter: -ENOENT if it
 * changed nothing. */
static int write1(struct wws_users *u, enum stmt_id id, const char *arg)
{
	sqlite3_stmt *st = u->st[id];
	int rc;

	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rc = sqlite3_changes(u->db) ? 0 : -ENOENT;
	else
		rc = db_fail(u, stmt_sql[id]);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int wws_users_remove(struct wws_users *u, const char *webid)
{
	int rc = write1(u, ST_REMOVE, webid);

	/* its IMPU of the block is free again */
	if (!rc && write1(u, ST_IMPU_DEL, webid) == -EIO)
		rc = -EIO;
	return rc;
}

int wws_users_impu_get(struct wws_users *u, const char *webid,
		       char impu[WWS_ID_MAX], char block[WWS_ID_MAX],
		       int64_t *idx)
{
	sqlite3_stmt *st = u->st[ST_IMPU_GET];
	int rc;

	sqlite3_bind_text(st, 1, webid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		text_get(st, 0, impu, WWS_ID_MAX);
		text_get(st, 1, block, WWS_ID_MAX);
		*idx = sqlite3_column_int64(st, 2);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : db_fail(u, "get impu");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int wws_users_impu_free(struct wws_users *u, const char *block, int64_t *idx)
{
	sqlite3_stmt *st = u->st[ST_IMPU_FREE];
	int rc;

	sqlite3_bind_text(st, 1, block, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*idx = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = db_fail(u, "free impu");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int wws_users_impu_add(struct wws_users *u, const char *impu,
		       const char *webid, const char *block, int64_t idx,
		       int64_t now)
{
	sqlite3_stmt *st = u->st[ST_IMPU_ADD];
	int rc;

	sqlite3_bind_text(st, 1, impu, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, webid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, block, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, idx);
	sqlite3_bind_int64(st, 5, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (sqlite3_extended_errcode(u->db) ==
			 SQLITE_CONSTRAINT_PRIMARYKEY ||
		 sqlite3_extended_errcode(u->db) == SQLITE_CONSTRAINT_UNIQUE)
		rc = -EEXIST;
	else
		rc = db_fail(u, "add impu");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int wws_users_impu_del(struct wws_users *u, const char *webid)
{
	return write1(u, ST_IMPU_DEL, webid);
}

int wws_users_impu_list(struct wws_users *u, wws_impu_cb *cb, void *arg)
{
	sqlite3_stmt *st = u->st[ST_IMPU_LIST];
	char impu[WWS_ID_MAX], webid[WWS_ID_MAX];
	int rc, stop = 0;

	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		text_get(st, 0, impu, sizeof(impu));
		text_get(st, 1, webid, sizeof(webid));
		stop = cb(impu, webid, arg);
	}
	if (stop)
		rc = stop;
	else
		rc = rc == SQLITE_DONE ? 0 : db_fail(u, "list impus");
	sqlite3_reset(st);
	return rc;
}

int wws_users_list(struct wws_users *u, wws_user_cb *cb, void *arg)
{
	sqlite3_stmt *st = u->st[ST_LIST];
	struct wws_user usr;
	int rc, stop = 0;

	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_get(st, &usr);
		stop = cb(&usr, arg);
	}
	if (stop)
		rc = stop;
	else
		rc = rc == SQLITE_DONE ? 0 : db_fail(u, "list users");
	sqlite3_reset(st);
	return rc;
}

int wws_users_token_add(struct wws_users *u, const char *jti, const char *webid,
			int64_t iat, int64_t exp)
{
	sqlite3_stmt *st = u->st[ST_TOK_PRUNE];
	int rc;

	sqlite3_bind_int64(st, 1, iat - PRUNE_AFTER_S);
	if (sqlite3_step(st) != SQLITE_DONE)
		db_fail(u, "prune tokens");
	sqlite3_reset(st);
	st = u->st[ST_TOK_ADD];
	sqlite3_bind_text(st, 1, jti, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, webid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, iat);
	sqlite3_bind_int64(st, 4, exp);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(u, "add token");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int wws_users_token_find(struct wws_users *u, const char *jti,
			 char webid[WWS_ID_MAX])
{
	sqlite3_stmt *st = u->st[ST_TOK_FIND];
	int rc;

	webid[0] = '\0';
	sqlite3_bind_text(st, 1, jti, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		text_get(st, 0, webid, WWS_ID_MAX);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : db_fail(u, "find token");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int wws_users_token_revoke(struct wws_users *u, const char *jti)
{
	return write1(u, ST_TOK_REVOKE, jti);
}
