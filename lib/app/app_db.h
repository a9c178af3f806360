/*
 * app_db.h - SQLite WAL checkpoints off the event loop.
 *
 * A WAL database is checkpointed by whichever connection commits past
 * the threshold (wal_autocheckpoint): that copies ~1000 pages into the
 * database file and, with synchronous=NORMAL, fsyncs it, on the loop,
 * for milliseconds to tens of them: every request queued behind it waits
 * (the registrars' p99). Here the committing connection only notices the
 * WAL's size; a libuv worker checkpoints (PASSIVE: never blocks writers)
 * on its own connection to the same file.
 */
#ifndef IMSTB_APP_DB_H
#define IMSTB_APP_DB_H

#include <sqlite3.h>
#include <uv.h>

struct app_db_ckpt;

/* Takes over db's checkpoints (its wal_autocheckpoint is replaced) once
 * its WAL holds `pages` frames. path: the database file. NULL for an
 * in-memory database (nothing to do). */
struct app_db_ckpt *app_db_ckpt_start(uv_loop_t *loop, sqlite3 *db,
				      const char *path, int pages);
/* Before sqlite3_close(db); a checkpoint in flight finishes on its own
 * and frees the rest. NULL is accepted. */
void app_db_ckpt_stop(struct app_db_ckpt *c, sqlite3 *db);
/* Checkpoints run so far (tests). */
unsigned app_db_ckpt_count(const struct app_db_ckpt *c);

#endif
