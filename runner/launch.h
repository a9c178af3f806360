/*
 * launch.h - the processes the runner starts: the node table (which
 * program runs a node, which of its config keys take ports, peers and the
 * database), starting a node with its --set overrides, knowing when it
 * listens, freezing and stopping it, and picking free ports.
 *
 * A node runs in its own process group with PR_SET_PDEATHSIG, so a
 * Ctrl-C reaches only imstb (which then stops the nodes in order) and no
 * node outlives imstb. Stopping is SIGTERM, then SIGKILL after the grace
 * period; every child is reaped.
 *
 * Errors: 0 or a negative errno.
 */
#ifndef IMSTB_RUNNER_LAUNCH_H
#define IMSTB_RUNNER_LAUNCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/base.h"

#define LAUNCH_UDP 1u /* listens on `port` over UDP */
#define LAUNCH_TCP 2u /* ... and/or TCP */
#define LAUNCH_GRACE_MS 5000

/* A listening port beyond the main one (wsf: the plain WebSocket and the
 * SIP side). */
struct launch_port {
	const char *key;  /* config key taking it */
	uint16_t def;	  /* default port plan (imstb up) */
	unsigned listen;  /* LAUNCH_UDP | LAUNCH_TCP */
};

/* A setting derived from another node's port, when that node is in the
 * run: set is printf'ed with the port ("pcscf_port=%u",
 * "allowed_origins=https://127.0.0.1:%u"; "%1$u" to use it twice), or
 * takes none (a switch that only makes sense with that peer:
 * "trust_auth_done=true"). */
struct launch_peer {
	const char *node;
	const char *set;
	unsigned port; /* 0: the peer's main port; i: its extra[i - 1] */
};

#define LAUNCH_EXTRA 2
#define LAUNCH_PEERS 5
#define LAUNCH_FILES 3
#define LAUNCH_PRESETS 8

/* One kind of node (table in launch.c, in start order). */
struct launch_kind {
	const char *name;     /* node name in scenarios and traces */
	const char *prog;     /* program beside imstb */
	const char *port_key; /* config key of the main port; NULL: "port" */
	uint16_t def_port;    /* default port plan (imstb up); 0: none */
	unsigned listen;      /* LAUNCH_UDP | LAUNCH_TCP; 0: listens on no
				 fixed port (client-sim: port 0) */
	struct launch_port extra[LAUNCH_EXTRA]; /* key NULL: none */
	/* "key=value" settings it always gets, first (and for its
	 * provisioning commands): what makes a second wws the enterprise
	 * one. NULL-terminated. */
	const char *presets[LAUNCH_PRESETS];
	const char *db_key;   /* config key of its database, or NULL */
	/* "key=file": a file in the node's own directory of the run
	 * (<dir>/<node>/file), e.g. the TLS certificate it makes on first
	 * start. */
	const char *files[LAUNCH_FILES];
	bool sip_timers;      /* has t1_ms, t2_ms, t4_ms */
	bool stdio;           /* commands on stdin, JSON events on stdout */
	bool up;              /* started by `imstb up` */
	const char *fast;     /* more `timers fast` settings, or NULL */
	struct launch_peer peers[LAUNCH_PEERS];
};

const struct launch_kind *launch_kind_find(const char *name);
/* The i-th kind in start order, NULL past the end. */
const struct launch_kind *launch_kind_at(size_t i);

struct launch_proc {
	const struct launch_kind *kind; /* borrowed */
	char **argv;      /* owned, NULL-terminated; argv[0]: program path */
	size_t argc;
	char *log;        /* owned: where its stderr (and stdout) go */
	uint16_t port;    /* its listening port; 0 if none */
	uint16_t extra_port[LAUNCH_EXTRA]; /* kind->extra[i]'s; 0 if none */
	pid_t pid;        /* 0: not running */
	int in_fd, out_fd; /* stdio kinds: pipes to its stdin/stdout */
	bool frozen;      /* SIGSTOP'ed */
	bool exited;
	int status;       /* exit status, 128 + N after signal N */
};

void launch_proc_init(struct launch_proc *p, const struct launch_kind *k,
		      const char *prog_path, const char *log);
/* Appends one argument, printf-style. */
void launch_proc_arg(struct launch_proc *p, const char *fmt, ...)
	PRINTF_LIKE(2, 3);
/* Appends "--set" and the formatted key=value. */
void launch_proc_set(struct launch_proc *p, const char *fmt, ...)
	PRINTF_LIKE(2, 3);
/* Forks and execs it (log truncated unless append). -errno. */
int launch_proc_start(struct launch_proc *p, bool append);
/* Reaps it if it has exited; true while it runs. */
bool launch_proc_alive(struct launch_proc *p);
/* Until it listens on its ports (UDP and/or TCP, as its kind says):
 * -ECHILD if it exits first, -ETIMEDOUT, -EINTR on SIGINT/SIGTERM. */
int launch_proc_wait_listen(struct launch_proc *p, int timeout_ms);
/* SIGSTOP / SIGCONT. */
void launch_proc_freeze(struct launch_proc *p, bool frozen);
/* Thaws, SIGTERMs, waits up to grace_ms, then SIGKILLs. 0 if it exited
 * with status 0; -ECHILD (status in p->status) or -ETIMEDOUT (killed). */
int launch_proc_stop(struct launch_proc *p, int grace_ms);
/* Waits up to ms for it to exit by itself (after `quit`). */
int launch_proc_wait(struct launch_proc *p, int ms);
/* Kills it if still running; frees argv, log; closes the pipes. */
void launch_proc_close(struct launch_proc *p);

/* Runs argv to completion (stdout and stderr to log), at most timeout_ms;
 * 0 with *status, -ETIMEDOUT (killed), -errno. */
int launch_run(char *const *argv, const char *log, int timeout_ms,
	       int *status);

/* A port free on 127.0.0.1 for both UDP and TCP, outside the OS's
 * ephemeral range, not in avoid[0..n). -EADDRINUSE after many tries. */
int launch_port_pick(struct rng *rng, const uint16_t *avoid, size_t n,
		     uint16_t *port);
/* Is something listening on 127.0.0.1 (any address) at this port? */
bool launch_port_busy(uint16_t port, unsigned listen);

/* The directory imstb runs from (dirname of /proc/self/exe); heap. */
char *launch_bindir(void);
/* Last non-empty line of a file, "" if none. */
void launch_log_tail(const char *path, char *dst, size_t n);

/* SIGINT/SIGTERM handling for imstb itself: the handlers only set a flag
 * that every wait here checks (and SIGPIPE is ignored). */
void launch_signals_init(void);
/* The signal received (SIGINT, SIGTERM), 0 if none. */
int launch_interrupted(void);
/* Sleeps ms, returning early (-EINTR) on SIGINT/SIGTERM. */
int launch_sleep(int ms);
/* Monotonic milliseconds. */
int64_t launch_now_ms(void);

#endif
