/* app_db.c - WAL checkpoints on a libuv worker (see app_db.h). */
#include "app/app_db.h"

#include "base/base.h"

#include <stdlib.h>
#include <string.h>

struct app_db_ckpt {
	uv_loop_t *loop; /* borrowed */
	char *path;      /* owned */
	sqlite3 *own;    /* the worker's connection; owned */
	uv_work_t work;
	int pages;
	bool busy;    /* work queued or running */
	bool stopped; /* the owner is gone: free when the work is done */
	unsigned count;
};

static void ckpt_free(struct app_db_ckpt *c)
{
	sqlite3_close(c->own);
	free(c->path);
	free(c);
}

/* On a worker thread: only c->own and c->count are touched here, and the
 * loop thread leaves them alone while busy. */
static void ckpt_work(uv_work_t *w)
{
	struct app_db_ckpt *c = w->data;
	int rc;

	if (!c->own) {
		if (sqlite3_open_v2(c->path, &c->own, SQLITE_OPEN_READWRITE,
				    NULL) != SQLITE_OK)
			return;
		sqlite3_busy_timeout(c->own, 1000);
	}
	rc = sqlite3_wal_checkpoint_v2(c->own, NULL, SQLITE_CHECKPOINT_PASSIVE,
				       NULL, NULL);
	if (rc == SQLITE_OK)
		c->count++;
}

static void ckpt_done(uv_work_t *w, int status)
{
	struct app_db_ckpt *c = w->data;

	UNUSED(status);
	c->busy = false;
	if (c->stopped)
		ckpt_free(c);
}

/* sqlite3_wal_hook: after every commit of the owner's connection. */
static int on_wal(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct app_db_ckpt *c = arg;

	UNUSED(db);
	UNUSED(name);
	if (frames >= c->pages && !c->busy && !c->stopped) {
		c->busy = true;
		if (uv_queue_work(c->loop, &c->work, ckpt_work, ckpt_done))
			c->busy = false;
	}
	return SQLITE_OK;
}

struct app_db_ckpt *app_db_ckpt_start(uv_loop_t *loop, sqlite3 *db,
				      const char *path, int pages)
{
	struct app_db_ckpt *c;

	if (!path || !*path || !strcmp(path, ":memory:"))
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->loop = loop;
	c->path = xstrdup(path);
	c->pages = pages > 0 ? pages : 1000;
	c->work.data = c;
	sqlite3_wal_hook(db, on_wal, c);
	return c;
}

void app_db_ckpt_stop(struct app_db_ckpt *c, sqlite3 *db)
{
	if (!c)
		return;
	sqlite3_wal_hook(db, NULL, NULL);
	c->stopped = true;
	if (!c->busy)
		ckpt_free(c);
}

unsigned app_db_ckpt_count(const struct app_db_ckpt *c)
{
	return c ? c->count : 0;
}
