/* store.c - the S-CSCF's registrations in SQLite, written through on every
 * change (prepared statements) and loaded at start, so a restarted S-CSCF
 * still knows who is registered.
 *
 * Group commit: the first change of an event-loop turn opens a
 * transaction, each change runs as a savepoint in it, and a uv_check
 * handle commits once the turn's I/O is done. A burst of registrations
 * thus costs one WAL commit, not one each. Replies sent while the
 * transaction is open wait for its commit (scscf__store_defer): a 200 OK
 * never announces a binding that a killed S-CSCF would forget (WAL with
 * synchronous=NORMAL survives a killed process). */
#include "scscf_int.h"

#include "app/app_db.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* The implicit set is kept as its IMPUs joined by newlines (an IMPU never
 * contains one), in P-Associated-URI order. */
static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS registration ("
	" impu TEXT NOT NULL, impi TEXT NOT NULL, user_data TEXT,"
	" iset TEXT NOT NULL, PRIMARY KEY (impu, impi));"
	"CREATE TABLE IF NOT EXISTS binding ("
	" impu TEXT NOT NULL, impi TEXT NOT NULL, contact TEXT NOT NULL,"
	" expires_at INTEGER NOT NULL, path TEXT NOT NULL,"
	" call_id TEXT NOT NULL, cseq INTEGER NOT NULL,"
	" instance TEXT, reg_id TEXT);"
	"CREATE INDEX IF NOT EXISTS binding_reg ON binding (impu, impi);"
	"CREATE TABLE IF NOT EXISTS secret ("
	" name TEXT PRIMARY KEY, value BLOB NOT NULL);";

enum {
	ST_BEGIN = 0,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_UNDO,
	ST_PUT_REG,
	ST_DEL_REG,
	ST_DEL_BIND,
	ST_PUT_BIND,
	ST__COUNT
};

static const char *const sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT change",
	[ST_RELEASE] = "RELEASE change",
	[ST_UNDO] = "ROLLBACK TO change",
	[ST_PUT_REG] = "INSERT OR REPLACE INTO registration "
		       "(impu, impi, user_data, iset) VALUES (?, ?, ?, ?)",
	[ST_DEL_REG] = "DELETE FROM registration WHERE impu = ? AND impi = ?",
	[ST_DEL_BIND] = "DELETE FROM binding WHERE impu = ? AND impi = ?",
	[ST_PUT_BIND] = "INSERT INTO binding (impu, impi, contact, "
			"expires_at, path, call_id, cseq, instance, reg_id) "
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
};

/* A reply held until the turn's commit. */
struct deferred {
	struct deferred *next;
	struct sipt_strans *st; /* owned reference */
	char *data;             /* owned */
	size_t len;
};

struct scscf_store {
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT];
	uv_loop_t *loop;    /* borrowed */
	uv_check_t *commit; /* owned (freed by its close); NULL until used */
	bool in_tx;         /* the turn's transaction is open */
	struct app_db_ckpt *ckpt; /* owned: checkpoints off the loop */
	struct deferred *held, **held_tail; /* replies waiting for it */
};

static int fail(struct scscf_store *st, const char *what)
{
	log_error("scscf db: %s: %s", what, sqlite3_errmsg(st->db));
	return -EIO;
}

/* Runs a prepared statement to completion and resets it. */
static int step(struct scscf_store *st, int which)
{
	int rc = sqlite3_step(st->st[which]);

	sqlite3_reset(st->st[which]);
	sqlite3_clear_bindings(st->st[which]);
	return rc == SQLITE_DONE ? 0 : fail(st, sql[which]);
}

static void bind_text(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

static void bind_key(sqlite3_stmt *q, const struct scscf_reg *r)
{
	bind_text(q, 1, r->impu);
	bind_text(q, 2, r->impi);
}

static int save(struct scscf_store *st, const struct scscf_reg *r)
{
	sqlite3_stmt *q;
	struct buf set;
	int rc;

	buf_init(&set);
	for (size_t i = 0; i < r->nset; i++)
		buf_printf(&set, "%s%s", i ? "\n" : "", r->set[i]);
	q = st->st[ST_PUT_REG];
	bind_key(q, r);
	bind_text(q, 3, r->user_data);
	bind_text(q, 4, set.len ? set.data : "");
	rc = step(st, ST_PUT_REG);
	if (!rc) {
		bind_key(st->st[ST_DEL_BIND], r);
		rc = step(st, ST_DEL_BIND);
	}
	for (size_t i = 0; !rc && i < r->nb; i++) {
		const struct scscf_binding *b = &r->b[i];

		q = st->st[ST_PUT_BIND];
		bind_key(q, r);
		bind_text(q, 3, b->contact);
		sqlite3_bind_int64(q, 4, b->expires_at);
		bind_text(q, 5, b->path);
		bind_text(q, 6, b->call_id);
		sqlite3_bind_int64(q, 7, b->cseq);
		bind_text(q, 8, b->instance);
		bind_text(q, 9, b->reg_id);
		rc = step(st, ST_PUT_BIND);
	}
	buf_close(&set);
	return rc;
}

/* Commits the turn's transaction, then sends the replies it held. */
static void commit_and_release(struct scscf_store *st)
{
	struct deferred *d;

	if (st->in_tx && step(st, ST_COMMIT))
		step(st, ST_ROLLBACK);
	st->in_tx = false;
	while ((d = st->held)) {
		st->held = d->next;
		sipt_strans_reply(d->st, d->data, d->len);
		obj_unref(d->st);
		free(d->data);
		free(d);
	}
	st->held_tail = &st->held;
}

static void on_commit(uv_check_t *c)
{
	commit_and_release(c->data);
	uv_check_stop(c);
}

bool scscf__store_defer(struct scscf_store *st, struct sipt_strans *t,
			struct buf *reply)
{
	struct deferred *d;

	if (!st || !st->in_tx)
		return false;
	d = xcalloc(1, sizeof(*d));
	d->st = obj_ref(t);
	d->data = buf_steal(reply, &d->len);
	*st->held_tail = d;
	st->held_tail = &d->next;
	return true;
}

/* Opens the turn's transaction if needed, then a savepoint for one
 * change. */
static int change_begin(struct scscf_store *st)
{
	int rc;

	if (!st->in_tx) {
		rc = step(st, ST_BEGIN);
		if (rc)
			return rc;
		st->in_tx = true;
		if (!st->commit) {
			st->commit = xcalloc(1, sizeof(*st->commit));
			uv_check_init(st->loop, st->commit);
			st->commit->data = st;
		}
		uv_check_start(st->commit, on_commit);
	}
	return step(st, ST_SAVEPOINT);
}

/* Releases the change's savepoint, or undoes the change alone. */
static int change_end(struct scscf_store *st, int rc)
{
	if (rc)
		step(st, ST_UNDO);
	step(st, ST_RELEASE);
	return rc;
}

int scscf__store_save(struct scscf_store *st, const struct scscf_reg *r)
{
	int rc;

	if (!st)
		return 0;
	rc = change_begin(st);
	if (!rc)
		rc = change_end(st, save(st, r));
	return rc;
}

int scscf__store_delete(struct scscf_store *st, const struct scscf_reg *r)
{
	int rc;

	if (!st)
		return 0;
	rc = change_begin(st);
	if (rc)
		return rc;
	bind_key(st->st[ST_DEL_BIND], r);
	rc = step(st, ST_DEL_BIND);
	if (!rc) {
		bind_key(st->st[ST_DEL_REG], r);
		rc = step(st, ST_DEL_REG);
	}
	return change_end(st, rc);
}

static const char *col_text(sqlite3_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q, i);
}

/* Registrations first (with their sets, so bindings find them). */
static int load_regs(struct scscf *s, struct scscf_store *st)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT impu, impi, user_data, iset "
			       "FROM registration",
			       -1, &q, NULL) != SQLITE_OK)
		return fail(st, "load registrations");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *ud = col_text(q, 2), *iset = col_text(q, 3);
		struct scscf_reg *r =
			scscf__reg_new(s, col_text(q, 0), col_text(q, 1));
		struct sv rest = sv_from_cstr(iset ? iset : ""), el;
		char **set = xcalloc(strlen(iset ? iset : "") + 2,
				     sizeof(*set));
		size_t n = 0;
		bool have = false;

		while (rest.len) {
			rest = sv_split(rest, '\n', &el);
			if (!el.len)
				continue;
			set[n] = sv_dup(el);
			have |= strcmp(set[n++], r->impu) == 0;
		}
		if (!have)
			set[n++] = xstrdup(r->impu);
		scscf__reg_set_replace(s, r, set, n);
		while (n)
			free(set[--n]);
		free(set);
		r->user_data = ud ? xstrdup(ud) : NULL;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : fail(st, "load registrations");
}

static int load_bindings(struct scscf *s, struct scscf_store *st)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT impu, impi, contact, expires_at, path, "
			       "call_id, cseq, instance, reg_id FROM binding "
			       "ORDER BY rowid",
			       -1, &q, NULL) != SQLITE_OK)
		return fail(st, "load bindings");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct scscf_reg *r =
			scscf__reg_find(s, sv_from_cstr(col_text(q, 0)),
					sv_from_cstr(col_text(q, 1)));
		struct scscf_binding *b;
		const char *inst = col_text(q, 7), *regid = col_text(q, 8);

		if (!r || !col_text(q, 2) || !col_text(q, 5))
			continue; /* orphan row: dropped at the next save */
		r->b = xrealloc(r->b, (r->nb + 1) * sizeof(*r->b));
		b = &r->b[r->nb++];
		b->contact = xstrdup(col_text(q, 2));
		b->expires_at = sqlite3_column_int64(q, 3);
		b->path = xstrdup(col_text(q, 4) ? col_text(q, 4) : "");
		b->call_id = xstrdup(col_text(q, 5));
		b->cseq = (uint32_t)sqlite3_column_int64(q, 6);
		b->instance = inst ? xstrdup(inst) : NULL;
		b->reg_id = regid ? xstrdup(regid) : NULL;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : fail(st, "load bindings");
}

/* The Digest nonce key lives as long as the bindings: a UE that
 * refreshes with the nonce it holds (next nc, RFC 7616 §3.3) after the
 * S-CSCF restarted or crashed is not challenged again. Kept if stored,
 * else the one drawn at start is stored. */
static int nonce_key_keep(struct scscf *s, struct scscf_store *st)
{
	static const char *const q_sql[] = {
		"SELECT value FROM secret WHERE name = 'nonce_key'",
		"INSERT OR REPLACE INTO secret (name, value) "
		"VALUES ('nonce_key', ?)",
	};
	unsigned char *key = s->nkey.key;
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(st->db, q_sql[0], -1, &q, NULL) != SQLITE_OK)
		return fail(st, "load secret");
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW &&
	    sqlite3_column_bytes(q, 0) == (int)sizeof(s->nkey.key)) {
		memcpy(key, sqlite3_column_blob(q, 0), sizeof(s->nkey.key));
		sqlite3_finalize(q);
		return 0;
	}
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(st->db, q_sql[1], -1, &q, NULL) != SQLITE_OK)
		return fail(st, "save secret");
	sqlite3_bind_blob(q, 1, key, (int)sizeof(s->nkey.key), SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : fail(st, "save secret");
}

static void on_commit_closed(uv_handle_t *h)
{
	free(h);
}

void scscf__store_close(struct scscf_store *st)
{
	if (!st)
		return;
	commit_and_release(st);
	app_db_ckpt_stop(st->ckpt, st->db);
	if (st->commit)
		uv_close((uv_handle_t *)st->commit, on_commit_closed);
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(st->st[i]);
	sqlite3_close(st->db);
	free(st);
}

int scscf__store_open(struct scscf *s, const char *path,
		      struct scscf_store **out)
{
	struct scscf_store *st = xcalloc(1, sizeof(*st));
	int rc = -EIO;

	st->loop = s->loop;
	st->held_tail = &st->held;
	if (sqlite3_open(path, &st->db) != SQLITE_OK) {
		fail(st, path);
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 500);
	if (sqlite3_exec(st->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		fail(st, "schema");
		goto fail;
	}
	for (int i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v2(st->db, sql[i], -1, &st->st[i],
				       NULL) != SQLITE_OK) {
			fail(st, sql[i]);
			goto fail;
		}
	}
	rc = load_regs(s, st);
	if (!rc)
		rc = load_bindings(s, st);
	if (!rc)
		rc = nonce_key_keep(s, st);
	if (rc)
		goto fail;
	log_info("db %s: %zu registration(s) loaded", path, s->nregs);
	st->ckpt = app_db_ckpt_start(s->loop, st->db, path, 1000);
	*out = st;
	return 0;
fail:
	scscf__store_close(st);
	return rc;
}
