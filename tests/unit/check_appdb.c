/* check_appdb.c - WAL checkpoints on a libuv worker (lib/app/app_db.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app_db.h"

static sqlite3 *open_wal(const char *path)
{
	sqlite3 *db = NULL;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
				      "PRAGMA journal_mode=WAL;"
				      "PRAGMA synchronous=NORMAL;"
				      "CREATE TABLE t (k INTEGER, v BLOB);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	return db;
}

static void insert(sqlite3 *db, int n)
{
	static const char sql[] = "INSERT INTO t VALUES (?, zeroblob(3000))";
	sqlite3_stmt *q;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	for (int i = 0; i < n; i++) {
		sqlite3_bind_int(q, 1, i);
		ck_assert_int_eq(sqlite3_step(q), SQLITE_DONE);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
}

static long count_rows(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	long n = -1;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &q, NULL);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* Commits past the threshold get checkpointed by the worker; every row is
 * there afterwards, and stopping mid-checkpoint leaks nothing. */
START_TEST(test_checkpoints_off_loop)
{
	char dir[] = "/tmp/imstb-appdb.XXXXXX", path[128];
	struct app_db_ckpt *c;
	uv_loop_t loop;
	sqlite3 *db;
	uint64_t t0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	uv_loop_init(&loop);
	db = open_wal(path);
	c = app_db_ckpt_start(&loop, db, path, 16);
	ck_assert_ptr_nonnull(c);
	t0 = uv_now(&loop);
	while (app_db_ckpt_count(c) < 3 && uv_now(&loop) - t0 < 10000) {
		insert(db, 20);
		uv_run(&loop, UV_RUN_NOWAIT);
		uv_sleep(5);
		uv_update_time(&loop);
	}
	ck_assert_uint_ge(app_db_ckpt_count(c), 3);
	/* stopped with a checkpoint maybe in flight: it finishes, frees */
	insert(db, 20);
	app_db_ckpt_stop(c, db);
	sqlite3_close(db);
	ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	ck_assert_int_gt(count_rows(path), 60);
	ck_assert_ptr_null(app_db_ckpt_start(&loop, db, ":memory:", 16));
	app_db_ckpt_stop(NULL, db);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.db-shm", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("appdb");
	TCase *tc = tcase_create("appdb");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_checkpoints_off_loop);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
