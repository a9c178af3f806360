/* check_sipt_timer.c - lib/sipt's timer heap: order, stop, restart. */
#include <check.h>
#include <stdlib.h>
#include <uv.h>

#include "sipt/sipt_int.h"

#define NTMR 2000

struct ttest {
	struct sipt__tmr t;
	uint64_t due;
	bool stopped;
	int fired;
};

static struct ttest tt[NTMR];
static uint64_t last_due;
static int nfired, out_of_order;

static void on_fire(void *arg)
{
	struct ttest *x = arg;

	x->fired++;
	nfired++;
	if (x->due < last_due)
		out_of_order++;
	last_due = x->due;
}

START_TEST(test_heap_fires_in_order_and_honours_stop)
{
	struct sipt_conf conf = { 0 };
	struct sipt *s;
	struct rng rng;
	uv_loop_t loop;
	int expected = 0;

	uv_loop_init(&loop);
	rng_init(&rng, 7);
	conf.rng = &rng;
	conf.via_host = "127.0.0.1"; /* no listener: only the timers */
	conf.via_port = 5060;
	ck_assert_int_eq(sipt_new(&s, &loop, &conf), 0);
	for (int i = 0; i < NTMR; i++) {
		uint64_t ms = rng_u64(&rng) % 60;

		tt[i] = (struct ttest){ .due = uv_now(&loop) + ms };
		sipt__tmr_start(s, &tt[i].t, ms, on_fire, &tt[i]);
	}
	/* Stop a third, restart a third later (moves them in the heap). */
	for (int i = 0; i < NTMR; i += 3) {
		sipt__tmr_stop(s, &tt[i].t);
		tt[i].stopped = true;
	}
	for (int i = 1; i < NTMR; i += 3) {
		tt[i].due = uv_now(&loop) + 70;
		sipt__tmr_start(s, &tt[i].t, 70, on_fire, &tt[i]);
	}
	for (int i = 0; i < NTMR; i++)
		expected += !tt[i].stopped;
	while (nfired < expected)
		uv_run(&loop, UV_RUN_ONCE);
	ck_assert_int_eq(out_of_order, 0);
	for (int i = 0; i < NTMR; i++)
		ck_assert_int_eq(tt[i].fired, tt[i].stopped ? 0 : 1);
	ck_assert_uint_eq(s->tmr_n, 0);
	sipt_free(s);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("sipt_timer");
	TCase *tc = tcase_create("heap");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_heap_fires_in_order_and_honours_stop);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
