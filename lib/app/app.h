/*
 * app.h - what every imstb process main() shares: SIGINT/SIGTERM turned
 * into an orderly stop on the loop, and the common settings (log level,
 * trace sink, seed) every config table includes.
 *
 * Shutdown contract: on the first SIGINT/SIGTERM, stop_cb runs on the loop;
 * the role closes its handles; uv_run returns when nothing is left; main
 * exits 0. A second signal while stopping exits at once with status 1, so a
 * wedged process can still be killed from the keyboard.
 */
#ifndef IMSTB_APP_H
#define IMSTB_APP_H

#include <uv.h>

#include "base/base.h"

typedef void(app_stop_cb)(void *arg);

struct app {
	uv_loop_t *loop;  /* borrowed */
	uv_signal_t sigint;
	uv_signal_t sigterm;
	app_stop_cb *stop_cb;
	void *arg;
	bool stopping;
};

/* Installs the handlers. 0 or a negative libuv error. */
int app_signals_start(struct app *a, uv_loop_t *loop, app_stop_cb *cb,
		      void *arg);
/* Closes the signal handles (call from the stop path). */
void app_signals_close(struct app *a);

/*
 * Runs the loop to completion, then closes it. If handles are still open
 * after the role's stop (a bug), it lists them on stderr and returns -EBUSY.
 */
int app_run(uv_loop_t *loop);

/* Makes sure the parent directory of `path` exists (mkdir -p). */
int app_mkdir_parent(const char *path);

#endif
