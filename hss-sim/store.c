/*
 * store.c - hss-sim subscriber store on SQLite (see store.h).
 *
 * Every statement is prepared once at open (table `sql` below) and only
 * bound, stepped and reset afterwards. Writes run in one transaction per
 * call (BEGIN IMMEDIATE, so a writer never fails half-way on a lock
 * upgrade); calls built on other calls nest as savepoints.
 */
#include "store.h"

#include "app/app_db.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sqlite3.h>

/* The HA1s are those of the subscriber's realm. The implicit set carries
 * the registration state (23.228 §4.3.3.3). identity holds distinct
 * IMPUs/PSIs and wildcarded IMPU ranges (id_type IMS_ID_WILDCARDED_IMPU,
 * text = the normalized wildcard): one namespace for both; seq keeps the
 * provisioning order. ON DELETE CASCADE removes a subscriber's tree; the
 * trigger drops a set with its last identity. Idempotent, run at every
 * open; user_version marks the layout for future migrations. */
static const char schema_sql[] =
	"BEGIN IMMEDIATE;"
	"CREATE TABLE IF NOT EXISTS subscriber (impi TEXT PRIMARY KEY NOT NULL,"
	" realm TEXT NOT NULL, password TEXT NOT NULL, ha1_md5 TEXT NOT NULL,"
	" ha1_sha256 TEXT NOT NULL, schemes INTEGER NOT NULL, scscf TEXT);"
	"CREATE TABLE IF NOT EXISTS implicit_set (id INTEGER PRIMARY KEY,"
	" impi TEXT NOT NULL REFERENCES subscriber ON DELETE CASCADE,"
	" reg_state INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS implicit_set_impi ON implicit_set (impi);"
	"CREATE TABLE IF NOT EXISTS identity (seq INTEGER PRIMARY KEY,"
	" text TEXT NOT NULL UNIQUE,"
	" impi TEXT NOT NULL REFERENCES subscriber ON DELETE CASCADE,"
	" iset INTEGER NOT NULL REFERENCES implicit_set ON DELETE CASCADE,"
	" barred INTEGER NOT NULL, is_default INTEGER NOT NULL,"
	" id_type INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS identity_impi ON identity (impi);"
	"CREATE INDEX IF NOT EXISTS identity_iset ON identity (iset);"
	"CREATE INDEX IF NOT EXISTS identity_range ON identity (seq)"
	" WHERE id_type = 4;"
	"CREATE TRIGGER IF NOT EXISTS identity_gc AFTER DELETE ON identity"
	" BEGIN DELETE FROM implicit_set WHERE id = OLD.iset AND NOT EXISTS"
	" (SELECT 1 FROM identity WHERE iset = OLD.iset); END;"
	"PRAGMA user_version = 1;"
	"COMMIT;";

enum sid {
	S_BEGIN, S_COMMIT, S_ROLLBACK, S_SAVE, S_RELEASE, S_UNDO,
	S_DATA_VERSION, S_SUB_ADD, S_SUB_GET, S_SUB_LIST, S_SUB_DEL,
	S_SCSCF_PUT, S_AUTH_GET, S_SET_NEW, S_SET_OWNER,
	S_STATE_PUT, S_STATE_GET, S_SET_MEMBERS, S_PROFILE,
	S_ID_ADD, S_ID_UNDEFAULT, S_ID_GET, S_ID_DEL, S_RANGES,
	S_COUNT
};

#define ID_COLS "text, impi, iset, barred, is_default, id_type"
#define SUB_COLS "impi, realm, password, scscf, schemes"
/* default first, ranges after distinct identities, then in order */
#define ID_ORDER "is_default DESC, id_type = 4, seq"

static const char *const sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE", [S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK", [S_SAVE] = "SAVEPOINT sp",
	[S_RELEASE] = "RELEASE sp", [S_UNDO] = "ROLLBACK TO sp",
	[S_DATA_VERSION] = "PRAGMA data_version",
	[S_SUB_ADD] = "INSERT INTO subscriber (impi, realm, password, ha1_md5,"
		      " ha1_sha256, schemes) VALUES (?, ?, ?, ?, ?, ?)",
	[S_SUB_GET] = "SELECT " SUB_COLS " FROM subscriber WHERE impi = ?",
	[S_SUB_LIST] = "SELECT " SUB_COLS " FROM subscriber ORDER BY impi",
	[S_SUB_DEL] = "DELETE FROM subscriber WHERE impi = ?",
	[S_SCSCF_PUT] = "UPDATE subscriber SET scscf = ? WHERE impi = ?",
	[S_AUTH_GET] = "SELECT ha1_md5, ha1_sha256, password, schemes"
		       " FROM subscriber WHERE impi = ? AND"
		       " realm = coalesce(?, realm) COLLATE NOCASE",
	[S_SET_NEW] = "INSERT INTO implicit_set (impi) VALUES (?)",
	[S_SET_OWNER] = "SELECT impi FROM implicit_set WHERE id = ?",
	[S_STATE_PUT] = "UPDATE implicit_set SET reg_state = ? WHERE id = ?",
	[S_STATE_GET] = "SELECT reg_state FROM implicit_set WHERE id = ?",
	[S_SET_MEMBERS] = "SELECT " ID_COLS " FROM identity WHERE iset = ?"
			  " ORDER BY " ID_ORDER,
	[S_PROFILE] = "SELECT " ID_COLS " FROM identity WHERE impi = ?"
		      " ORDER BY iset, " ID_ORDER,
	[S_ID_ADD] = "INSERT INTO identity (" ID_COLS ")"
		     " VALUES (?, ?, ?, ?, ?, ?)",
	[S_ID_UNDEFAULT] = "UPDATE identity SET is_default = 0 WHERE iset = ?",
	[S_ID_GET] = "SELECT " ID_COLS " FROM identity WHERE text = ?",
	[S_ID_DEL] = "DELETE FROM identity"
		     " WHERE text = ? AND (id_type = 4) = ?",
	[S_RANGES] = "SELECT " ID_COLS " FROM identity WHERE id_type = 4"
		     " ORDER BY seq",
};

struct hss_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	int depth; /* transaction nesting */
	bool batch; /* depth 1 is a batch (hss_store_batch_begin) */
	struct app_db_ckpt *ckpt; /* owned; NULL: SQLite checkpoints */
	/* the wildcard table, compiled: wcs tags are indexes in ranges */
	struct hss_impu_list ranges;
	struct ims_wcset *wcs;
	bool ranges_stale;
	int64_t data_version; /* at the last load, see ranges_fresh() */
};

/* ---- statement helpers ------------------------------------------------ */

static int db_err(struct hss_store *st, int rc)
{
	if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
	    rc == SQLITE_CONSTRAINT_UNIQUE)
		return -EEXIST;
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return -ENOENT;
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return -EBUSY;
	log_error("hss store: %s (%d)", sqlite3_errmsg(st->db), rc);
	return -EIO;
}

/* Binds args by the letters of fmt: 't' text (NULL binds NULL), 'i'
 * int64_t, 'u' unsigned. Text is bound SQLITE_STATIC: the caller keeps it
 * alive until the statement is reset. */
static sqlite3_stmt *bindv(struct hss_store *st, enum sid id, const char *fmt,
			   ...)
{
	sqlite3_stmt *s = st->stmt[id];
	va_list ap;

	va_start(ap, fmt);
	for (int i = 1; *fmt; fmt++, i++) {
		if (*fmt == 't')
			sqlite3_bind_text(s, i, va_arg(ap, const char *), -1,
					  SQLITE_STATIC);
		else if (*fmt == 'i')
			sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
		else
			sqlite3_bind_int64(s, i, va_arg(ap, unsigned));
	}
	va_end(ap);
	return s;
}

static void done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Steps a statement run for its effect; *changes (if asked) = rows hit. */
static int run(struct hss_store *st, sqlite3_stmt *s, int *changes)
{
	int err = db_err(st, sqlite3_step(s));

	if (changes)
		*changes = err ? 0 : sqlite3_changes(st->db);
	done(s);
	return err;
}

/* One step of a query: 0 with a row, -ENOENT at the end, or an error. */
static int row(struct hss_store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT
							: db_err(st, rc);
}

static const char *col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	return col(s, i) ? xstrdup(col(s, i)) : NULL;
}

static int tx_begin(struct hss_store *st)
{
	int err = run(st, st->stmt[st->depth ? S_SAVE : S_BEGIN], NULL);

	st->depth += !err;
	return err;
}

/* Commits (or rolls back when err) the innermost level; returns err. */
static int tx_end(struct hss_store *st, int err)
{
	int e2;

	if (--st->depth) {
		if (err)
			run(st, st->stmt[S_UNDO], NULL);
		e2 = run(st, st->stmt[S_RELEASE], NULL);
	} else {
		e2 = run(st, st->stmt[err ? S_ROLLBACK : S_COMMIT], NULL);
	}
	if (err)
		st->ranges_stale = true; /* the cache may hold undone rows */
	return err ? err : e2;
}

bool hss_store_batch_begin(struct hss_store *st)
{
	if (st->batch || st->depth || tx_begin(st))
		return false;
	st->batch = true;
	return true;
}

void hss_store_offload_checkpoints(struct hss_store *st, uv_loop_t *loop,
				   const char *path)
{
	if (!st->ckpt)
		st->ckpt = app_db_ckpt_start(loop, st->db, path, 1000);
}

int hss_store_batch_end(struct hss_store *st, int err)
{
	if (!st->batch)
		return err;
	st->batch = false;
	return tx_end(st, err);
}

/* ---- rows ------------------------------------------------------------- */

void hss_impu_close(struct hss_impu *p)
{
	free(p->impu);
	free(p->impi);
	free(p->wildcard);
	memset(p, 0, sizeof(*p));
}

void hss_impu_list_close(struct hss_impu_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		hss_impu_close(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Reads an ID_COLS row. */
static void impu_read(sqlite3_stmt *s, struct hss_impu *p)
{
	p->impu = col_dup(s, 0);
	p->impi = col_dup(s, 1);
	p->iset = sqlite3_column_int64(s, 2);
	p->barred = sqlite3_column_int(s, 3) != 0;
	p->is_default = sqlite3_column_int(s, 4) != 0;
	p->type = (enum ims_id_type)sqlite3_column_int(s, 5);
	p->wildcard = p->type == IMS_ID_WILDCARDED_IMPU ? xstrdup(p->impu)
							: NULL;
}

/* All rows of a bound query into *out (empty on error). */
static int list_query(struct hss_store *st, sqlite3_stmt *s,
		      struct hss_impu_list *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	while (!(err = row(st, s))) {
		out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		impu_read(s, &out->v[out->n++]);
	}
	done(s);
	if (err != -ENOENT)
		hss_impu_list_close(out);
	return err == -ENOENT ? 0 : err;
}

/* ---- the compiled ranges ------------------------------------------------ */

/* Reloads the ranges if this connection changed them, or another one
 * committed anything since the last load (PRAGMA data_version moves only
 * on other connections' commits). */
static int ranges_fresh(struct hss_store *st)
{
	sqlite3_stmt *s = st->stmt[S_DATA_VERSION];
	int err = row(st, s);
	int64_t v = err ? -1 : sqlite3_column_int64(s, 0);

	done(s);
	if (err || (!st->ranges_stale && v == st->data_version))
		goto out;
	hss_impu_list_close(&st->ranges);
	ims_wcset_free(st->wcs);
	st->wcs = ims_wcset_new();
	err = list_query(st, st->stmt[S_RANGES], &st->ranges);
	for (size_t i = 0; !err && i < st->ranges.n; i++) {
		struct ims_wildcard *w = NULL;

		/* checked on insert; skip a foreign tool's bad row rather
		 * than fail every lookup */
		if (!ims_wildcard_parse(sv_from_cstr(st->ranges.v[i].impu), &w,
					NULL))
			ims_wcset_add(st->wcs, w, i);
	}
	st->data_version = v;
	st->ranges_stale = false;
out:
	return err;
}

/* ---- open / close ------------------------------------------------------- */

int hss_store_open(const char *path, struct hss_store **out)
{
	struct hss_store *st = xcalloc(1, sizeof(*st));
	int err;

	st->ranges_stale = true;
	err = db_err(st, sqlite3_open_v2(path, &st->db,
					 SQLITE_OPEN_READWRITE |
						 SQLITE_OPEN_CREATE,
					 NULL));
	if (err)
		goto out;
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, HSS_STORE_BUSY_MS);
	/* WAL lets readers run beside a writer; NORMAL sync is safe in WAL
	 * (a crash may lose the last commits, never corrupt). A 32 MiB page
	 * cache and in-memory savepoint journals keep a 100k-user bulk
	 * transaction off the disk until its commit. */
	err = db_err(st, sqlite3_exec(st->db,
				      "PRAGMA journal_mode = WAL;"
				      "PRAGMA synchronous = NORMAL;"
				      "PRAGMA cache_size = -32768;"
				      "PRAGMA temp_store = MEMORY;"
				      "PRAGMA foreign_keys = ON;",
				      NULL, NULL, NULL));
	/* a failed schema transaction is rolled back by the close */
	if (!err)
		err = db_err(st, sqlite3_exec(st->db, schema_sql, 0, 0, 0));
	for (int i = 0; !err && i < S_COUNT; i++)
		err = db_err(st, sqlite3_prepare_v3(st->db, sql[i], -1,
						    SQLITE_PREPARE_PERSISTENT,
						    &st->stmt[i], NULL));
	if (!err)
		err = ranges_fresh(st);
out:
	if (err) {
		hss_store_close(st);
		st = NULL;
	}
	*out = st;
	return err;
}

void hss_store_close(struct hss_store *st)
{
	if (!st)
		return;
	hss_store_batch_end(st, 0);
	app_db_ckpt_stop(st->ckpt, st->db);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	hss_impu_list_close(&st->ranges);
	ims_wcset_free(st->wcs);
	free(st);
}

/* ---- subscribers ------------------------------------------------------ */

/* HA1 = H(username ":" realm ":" password), RFC 7616 §3.4.2, in hex. */
static void ha1(const EVP_MD *md, const char *impi, const char *realm,
	       const char *pw, char *hex)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "%s:%s:%s", impi, realm, pw);
	if (!EVP_Digest(b.data, b.len, d, &n, md, NULL))
		abort(); /* only fails on OOM (STYLE rule 5) */
	hex_encode(d, n, hex);
	buf_close(&b);
}

int hss_store_sub_add(struct hss_store *st, const char *impi,
		      const char *realm, const char *password,
		      unsigned schemes)
{
	struct sv own = SV_NULL;
	char md5[33], sha[65];
	char *r = NULL;
	int err = -EINVAL;

	if (!impi || ims_impi_realm(sv_from_cstr(impi), &own) || !password ||
	    strlen(password) > HSS_PASSWORD_MAX || (realm && !*realm))
		goto out;
	r = realm ? xstrdup(realm) : sv_dup(own);
	ha1(EVP_md5(), impi, r, password, md5);
	ha1(EVP_sha256(), impi, r, password, sha);
	err = run(st,
		  bindv(st, S_SUB_ADD, "tttttu", impi, r, password, md5, sha,
			schemes),
		  NULL);
out:
	free(r);
	return err;
}

/* Reads a SUB_COLS row; the strings are copies if copy, else borrowed. */
static void sub_read(sqlite3_stmt *s, struct hss_sub *o, bool copy)
{
	char **f[] = { &o->impi, &o->realm, &o->password, &o->scscf };

	for (int i = 0; i < 4; i++)
		*f[i] = copy ? col_dup(s, i) : (char *)col(s, i);
	o->schemes = (unsigned)sqlite3_column_int64(s, 4);
}

int hss_store_sub_get(struct hss_store *st, const char *impi,
		      struct hss_sub *out)
{
	sqlite3_stmt *s = bindv(st, S_SUB_GET, "t", impi);
	int err = row(st, s);

	memset(out, 0, sizeof(*out));
	if (!err)
		sub_read(s, out, true);
	done(s);
	return err;
}

void hss_sub_close(struct hss_sub *s)
{
	free(s->impi);
	free(s->realm);
	free(s->password);
	free(s->scscf);
	memset(s, 0, sizeof(*s));
}

int hss_store_sub_list(struct hss_store *st, hss_sub_cb *cb, void *arg)
{
	sqlite3_stmt *s = st->stmt[S_SUB_LIST];
	struct hss_sub sub;
	int err, stop = 0;

	while (!stop && !(err = row(st, s))) {
		sub_read(s, &sub, false);
		stop = cb(&sub, arg);
	}
	done(s);
	return stop ? stop : err == -ENOENT ? 0 : err;
}

int hss_store_sub_remove(struct hss_store *st, const char *impi)
{
	int n = 0;
	int err = run(st, bindv(st, S_SUB_DEL, "t", impi), &n);

	st->ranges_stale = true;
	return err ? err : n ? 0 : -ENOENT;
}

int hss_store_auth_get(struct hss_store *st, const char *impi,
		       const char *realm, struct hss_auth *out)
{
	sqlite3_stmt *s = bindv(st, S_AUTH_GET, "tt", impi, realm);
	int err = row(st, s);

	memset(out, 0, sizeof(*out));
	if (!err) {
		sv_copy(sv_from_cstr(col(s, 0)), out->ha1_md5,
			sizeof(out->ha1_md5));
		sv_copy(sv_from_cstr(col(s, 1)), out->ha1_sha256,
			sizeof(out->ha1_sha256));
		sv_copy(sv_from_cstr(col(s, 2)), out->password,
			sizeof(out->password));
		out->schemes = (unsigned)sqlite3_column_int64(s, 3);
	}
	done(s);
	return err;
}

/* ---- public identities ------------------------------------------------ */

/* Resolves iset for an add: a new set of impi when 0, else checks that the
 * set exists (-ENOENT) and belongs to impi (-EINVAL). */
static int set_for(struct hss_store *st, const char *impi, int64_t *iset)
{
	sqlite3_stmt *s;
	int err;

	if (*iset == 0) {
		err = run(st, bindv(st, S_SET_NEW, "t", impi), NULL);
		if (!err)
			*iset = sqlite3_last_insert_rowid(st->db);
		goto out;
	}
	s = bindv(st, S_SET_OWNER, "i", *iset);
	err = row(st, s);
	if (!err && strcmp(col(s, 0), impi))
		err = -EINVAL;
	done(s);
out:
	return err;
}

/* Adds text (already checked and normalized) as one identity row. */
static int id_add(struct hss_store *st, const char *impi, const char *text,
		  int64_t iset, unsigned flags, enum ims_id_type type,
		  int64_t *iset_out)
{
	bool def = flags & HSS_IMPU_DEFAULT, new_set = iset == 0;
	int err = tx_begin(st);

	if (err)
		goto out;
	err = set_for(st, impi, &iset);
	if (!err && def && !new_set)
		err = run(st, bindv(st, S_ID_UNDEFAULT, "i", iset), NULL);
	if (!err)
		err = run(st, bindv(st, S_ID_ADD, "ttiuuu", text, impi, iset,
				   (unsigned)!!(flags & HSS_IMPU_BARRED),
				   (unsigned)def, (unsigned)type),
			  NULL);
	err = tx_end(st, err);
	if (!err && iset_out)
		*iset_out = iset;
out:
	return err;
}

/* Deletes a distinct identity or a range (the trigger drops its set if
 * it was the last one). */
static int id_remove(struct hss_store *st, const char *text, bool range)
{
	int n = 0;
	int err = run(st, bindv(st, S_ID_DEL, "tu", text, (unsigned)range), &n);

	return err ? err : n ? 0 : -ENOENT;
}

int hss_store_impu_add(struct hss_store *st, const char *impi,
		       const char *impu, int64_t iset, unsigned flags,
		       enum ims_id_type type, int64_t *iset_out)
{
	char *n = ims_impu_canon(impu);
	int err = -EINVAL;

	if (n && impi &&
	    (type == IMS_ID_PUBLIC_USER || type == IMS_ID_DISTINCT_PSI))
		err = id_add(st, impi, n, iset, flags, type, iset_out);
	free(n);
	return err;
}

int hss_store_impu_list(struct hss_store *st, const char *impi,
			struct hss_impu_list *out)
{
	return list_query(st, bindv(st, S_PROFILE, "t", impi), out);
}

int hss_store_impu_remove(struct hss_store *st, const char *impu)
{
	char *n = ims_impu_canon(impu);
	int err = n ? id_remove(st, n, false) : -EINVAL;

	free(n);
	return err;
}

int hss_store_wildcard_add(struct hss_store *st, const char *impi,
			   const char *wildcard, int64_t iset, unsigned flags,
			   int64_t *iset_out)
{
	struct ims_wildcard *w = NULL;
	int err = -EINVAL;

	if (impi && wildcard &&
	    !ims_wildcard_parse(sv_from_cstr(wildcard), &w, NULL))
		err = id_add(st, impi, ims_wildcard_text(w), iset,
			     flags & HSS_IMPU_BARRED, IMS_ID_WILDCARDED_IMPU,
			     iset_out);
	st->ranges_stale = true;
	ims_wildcard_free(w);
	return err;
}

int hss_store_wildcard_remove(struct hss_store *st, const char *wildcard)
{
	struct ims_wildcard *w = NULL;
	int err = -EINVAL;

	if (wildcard && !ims_wildcard_parse(sv_from_cstr(wildcard), &w, NULL))
		err = id_remove(st, ims_wildcard_text(w), true);
	st->ranges_stale = true;
	ims_wildcard_free(w);
	return err;
}

/* ---- Cx lookups ---------------------------------------------------------- */

int hss_store_impu_owner(struct hss_store *st, const char *impu,
			 struct hss_impu *out)
{
	char *n = ims_impu_canon(impu);
	const struct hss_impu *r;
	sqlite3_stmt *s;
	size_t i;
	int err = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (!n)
		goto out;
	/* a distinct identity, or a range named by itself (the text of a
	 * Wildcarded-IMPU AVP), else a range it falls in */
	s = bindv(st, S_ID_GET, "t", n);
	if (!(err = row(st, s)))
		impu_read(s, out);
	done(s);
	if (err != -ENOENT || (err = ranges_fresh(st)))
		goto out;
	err = ims_wcset_match(st->wcs, sv_from_cstr(n), &i);
	if (err)
		goto out;
	r = &st->ranges.v[i];
	*out = (struct hss_impu){
		.impu = n, .impi = xstrdup(r->impi), .iset = r->iset,
		.barred = r->barred, .wildcard = xstrdup(r->impu),
		.type = IMS_ID_NON_DISTINCT_IMPU,
	};
	n = NULL;
out:
	free(n);
	return err;
}

/* The implicit set impu belongs to. */
static int set_of(struct hss_store *st, const char *impu, int64_t *iset)
{
	struct hss_impu o;
	int err = hss_store_impu_owner(st, impu, &o);

	*iset = o.iset;
	hss_impu_close(&o);
	return err;
}

int hss_store_implicit_set(struct hss_store *st, const char *impu,
			   struct hss_impu_list *out)
{
	int64_t iset;
	int err = set_of(st, impu, &iset);

	memset(out, 0, sizeof(*out));
	return err ? err
		   : list_query(st, bindv(st, S_SET_MEMBERS, "i", iset), out);
}

int hss_store_scscf_get(struct hss_store *st, const char *impi, char **name)
{
	struct hss_sub sub;
	int err = hss_store_sub_get(st, impi, &sub);

	*name = sub.scscf;
	sub.scscf = NULL;
	hss_sub_close(&sub);
	return err;
}

int hss_store_scscf_set(struct hss_store *st, const char *impi,
			const char *name)
{
	int n = 0;
	int err = run(st, bindv(st, S_SCSCF_PUT, "tt", name, impi), &n);

	return err ? err : n ? 0 : -ENOENT;
}

int hss_store_reg_state_set(struct hss_store *st, const char *impu,
			    enum hss_reg_state state)
{
	int64_t iset;
	int err = set_of(st, impu, &iset);

	if (!err && (unsigned)state > HSS_REG_UNREGISTERED)
		err = -EINVAL;
	if (err)
		return err;
	return run(st, bindv(st, S_STATE_PUT, "ui", (unsigned)state, iset),
		   NULL);
}

int hss_store_reg_state_get(struct hss_store *st, const char *impu,
			    enum hss_reg_state *state)
{
	sqlite3_stmt *s;
	int64_t iset;
	int err = set_of(st, impu, &iset);

	if (err)
		goto out;
	s = bindv(st, S_STATE_GET, "i", iset);
	err = row(st, s);
	if (!err)
		*state = (enum hss_reg_state)sqlite3_column_int(s, 0);
	done(s);
out:
	return err;
}
