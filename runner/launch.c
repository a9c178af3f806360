/* launch.c - the runner's child processes (see launch.h). */
#include "launch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The nodes, in start order: a node starts after the ones it talks to
 * (STYLE rule 12). wsf and wws are not in `imstb up` yet: their default
 * ports would clash with a second testbed.
 *
 * The trusted path of the token flow (TR 23.701 Figure 6.X.2.1.2.1-1,
 * steps 8-12; TS 24.229 §5.4.1.2.2 trusted node authentication) is wired
 * with the run's real ports, for every run, so scenarios stay declarative:
 * the P-CSCF keeps integrity-protected="auth-done" only from the wsf's SIP
 * port (trusted_edges), the S-CSCF honours it only from the P-CSCF's port
 * (trust_auth_done, trusted_peers), the wsf accepts tokens of the run's
 * wws (trusted_wws), whose issuer is its own URL. A scenario's `config`
 * lines come later on the command line and win (e.g. to show an
 * untrusted path refused).
 *
 * wws-ent ([range], TR 23.701 §6.X.2.1.3) is a second wws with the
 * settings of wws/enterprise.conf (as presets: the runner does not rely on
 * finding that file) and free ports; the wsf gets it as its enterprise
 * WWS (enterprise_wws: its Origin and issuer; the wsf adds them to
 * allowed_origins and trusted_wws itself) and the demo block of
 * static_ranges with its Origin. It starts last, once the wsf it
 * registers its block with listens (so the seeds of the others stay). */
/* The enterprise block of wws/enterprise.conf and hss-sim's demo. */
#define ENT_BLOCK "sip:+15551230![0-9]{3}!@ims.example.com"
#define ENT_IMPI  "enterprise@ims.example.com"
#define ENT_PASS  "enterprise-pass"

static const struct launch_kind kinds[] = {
	{ .name = "hss",
	  .prog = "hss-sim",
	  .def_port = 3868,
	  .listen = LAUNCH_TCP,
	  .db_key = "db",
	  .up = true },
	{ .name = "scscf",
	  .prog = "scscf-sim",
	  .def_port = 6060,
	  .listen = LAUNCH_UDP | LAUNCH_TCP,
	  .db_key = "db",
	  .sip_timers = true,
	  .up = true,
	  /* an HSS that never answers must not outlast the SIP timers */
	  .fast = "cx_timeout_ms=1000",
	  .peers = { { "hss", "hss_port=%u", 0 },
		     { "pcscf", "trust_auth_done=true", 0 },
		     { "pcscf", "trusted_peers=127.0.0.1:%u", 0 } } },
	{ .name = "pcscf",
	  .prog = "pcscf-sim",
	  .def_port = 5060,
	  .listen = LAUNCH_UDP | LAUNCH_TCP,
	  .sip_timers = true,
	  .up = true,
	  .peers = { { "scscf", "scscf_port=%u", 0 },
		     /* the wsf's SIP side: its extra[1] */
		     { "wsf", "trusted_edges=127.0.0.1:%u", 2 } } },
	{ .name = "wws",
	  .prog = "wws",
	  .def_port = 8443,
	  .listen = LAUNCH_TCP,
	  .db_key = "db",
	  .files = { "cert=cert.pem", "key=key.pem",
		     "signing_key=signing.pem" },
	  /* PBKDF2 stays slow by design; a run needs no 100000 rounds */
	  .fast = "pbkdf2_iterations=1000",
	  .peers = { { "wws", "issuer=https://127.0.0.1:%u", 0 },
		     { "wsf", "wsf_url=wss://127.0.0.1:%u", 0 } } },
	{ .name = "wsf",
	  .prog = "wsf",
	  .port_key = "wss_port",
	  .def_port = 7443,
	  .listen = LAUNCH_TCP,
	  .extra = { { "ws_port", 7080, LAUNCH_TCP },
		     { "sip_port", 5070, LAUNCH_UDP } },
	  .files = { "cert=cert.pem", "key=key.pem" },
	  .sip_timers = true,
	  .peers = { { "pcscf", "pcscf_port=%u", 0 },
		     { "wws", "allowed_origins=https://127.0.0.1:%u", 0 },
		     { "wws", "trusted_wws=https://127.0.0.1:%u", 0 },
		     { "wws-ent",
		       "enterprise_wws=https://127.0.0.1:%1$u="
		       "https://127.0.0.1:%1$u",
		       0 },
		     { "wws-ent",
		       "static_ranges=" ENT_BLOCK "|" ENT_IMPI "|" ENT_PASS
		       "|https://127.0.0.1:%u",
		       0 } } },
	{ .name = "client",
	  .prog = "client-sim",
	  .sip_timers = true,
	  .stdio = true,
	  .peers = { { "pcscf", "pcscf_port=%u", 0 },
		     { "wsf", "wsf_url=wss://127.0.0.1:%u", 0 },
		     { "wws", "wws_url=https://127.0.0.1:%u", 0 } } },
	{ .name = "wws-ent",
	  .prog = "wws",
	  .def_port = 9443,
	  .listen = LAUNCH_TCP,
	  .db_key = "db",
	  .files = { "cert=cert.pem", "key=key.pem",
		     "signing_key=signing.pem" },
	  .presets = { "domain=enterprise.example.org", "enterprise=true",
		       "impu_range=" ENT_BLOCK, "range_impi=" ENT_IMPI,
		       "range_password=" ENT_PASS, "register_range=true",
		       "range_expires=3600", NULL },
	  .fast = "pbkdf2_iterations=1000",
	  .peers = { { "wws-ent", "issuer=https://127.0.0.1:%u", 0 },
		     { "wsf", "wsf_url=wss://127.0.0.1:%u", 0 } } },
};

const struct launch_kind *launch_kind_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].name, name))
			return &kinds[i];
	return NULL;
}

const struct launch_kind *launch_kind_at(size_t i)
{
	return i < ARRAY_SIZE(kinds) ? &kinds[i] : NULL;
}

/* ---- signals and time -----------------------------------------------------
 */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

void launch_signals_init(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a blocking poll() returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int launch_interrupted(void)
{
	return got_signal;
}

int64_t launch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int launch_sleep(int ms)
{
	int64_t end = launch_now_ms() + ms;

	while (!got_signal) {
		int64_t left = end - launch_now_ms();

		if (left <= 0)
			return 0;
		poll(NULL, 0, left > 50 ? 50 : (int)left);
	}
	return -EINTR;
}

/* ---- processes --------------------------------------------------------------
 */

void launch_proc_init(struct launch_proc *p, const struct launch_kind *k,
		      const char *prog_path, const char *log)
{
	*p = (struct launch_proc){ .kind = k, .in_fd = -1, .out_fd = -1 };
	p->argv = xcalloc(2, sizeof(char *));
	p->argv[0] = xstrdup(prog_path);
	p->argc = 1;
	p->log = xstrdup(log);
}

static void arg_add(struct launch_proc *p, char *a)
{
	p->argv = xrealloc(p->argv, (p->argc + 2) * sizeof(char *));
	p->argv[p->argc++] = a;
	p->argv[p->argc] = NULL;
}

void launch_proc_arg(struct launch_proc *p, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_puts(&b, "");
	arg_add(p, buf_steal(&b, NULL));
}

void launch_proc_set(struct launch_proc *p, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	arg_add(p, xstrdup("--set"));
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_puts(&b, "");
	arg_add(p, buf_steal(&b, NULL));
}

/* In the child: own process group, dies with imstb, default signals. */
static void child_exec(char *const *argv, int in, int out, int err,
		       pid_t parent)
{
	sigset_t none;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	execv(argv[0], argv);
	dprintf(2, "imstb: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int spawn(char *const *argv, const char *log, bool append, int *in_fd,
		 int *out_fd, pid_t *pid)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, logfd, devnull = -1;
	pid_t parent = getpid();
	int rc = 0;

	logfd = open(log,
		     O_WRONLY | O_CREAT | O_CLOEXEC |
			     (append ? O_APPEND : O_TRUNC),
		     0644);
	if (logfd < 0)
		return -errno;
	if (in_fd && (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))) {
		rc = -errno;
		goto out;
	}
	if (!in_fd && (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		goto out;
	}
	*pid = fork();
	if (*pid < 0) {
		rc = -errno;
		goto out;
	}
	if (*pid == 0)
		child_exec(argv, in_fd ? in[0] : devnull,
			   in_fd ? out[1] : logfd, logfd, parent);
	if (in_fd) {
		*in_fd = in[1];
		*out_fd = out[0];
		in[1] = out[0] = -1;
		fcntl(*out_fd, F_SETFL, fcntl(*out_fd, F_GETFL) | O_NONBLOCK);
	}
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	if (devnull >= 0)
		close(devnull);
	close(logfd);
	return rc;
}

int launch_proc_start(struct launch_proc *p, bool append)
{
	p->exited = false;
	p->frozen = false;
	p->status = 0;
	return spawn(p->argv, p->log, append, p->kind->stdio ? &p->in_fd : NULL,
		     p->kind->stdio ? &p->out_fd : NULL, &p->pid);
}

static int status_of(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

bool launch_proc_alive(struct launch_proc *p)
{
	int st;

	if (!p->pid)
		return false;
	if (waitpid(p->pid, &st, WNOHANG) != p->pid)
		return true;
	p->status = status_of(st);
	p->exited = true;
	p->pid = 0;
	return false;
}

void launch_proc_freeze(struct launch_proc *p, bool frozen)
{
	if (!p->pid)
		return;
	kill(p->pid, frozen ? SIGSTOP : SIGCONT);
	p->frozen = frozen;
}

int launch_proc_wait(struct launch_proc *p, int ms)
{
	int64_t end = launch_now_ms() + ms;

	/* Not interruptible: this is the shutdown path itself. */
	while (launch_proc_alive(p)) {
		if (launch_now_ms() >= end)
			return -ETIMEDOUT;
		poll(NULL, 0, 10);
	}
	return p->status ? -ECHILD : 0;
}

int launch_proc_stop(struct launch_proc *p, int grace_ms)
{
	int st;

	if (!launch_proc_alive(p))
		return p->status ? -ECHILD : 0;
	kill(p->pid, SIGTERM);
	if (p->frozen)
		launch_proc_freeze(p, false);
	if (launch_proc_wait(p, grace_ms) != -ETIMEDOUT)
		return p->status ? -ECHILD : 0;
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &st, 0);
	p->status = status_of(st);
	p->exited = true;
	p->pid = 0;
	return -ETIMEDOUT;
}

void launch_proc_close(struct launch_proc *p)
{
	if (p->pid)
		launch_proc_stop(p, 0);
	if (p->in_fd >= 0)
		close(p->in_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	p->in_fd = p->out_fd = -1;
	for (size_t i = 0; p->argv && i < p->argc; i++)
		free(p->argv[i]);
	free(p->argv);
	free(p->log);
	p->argv = NULL;
	p->log = NULL;
}

int launch_run(char *const *argv, const char *log, int timeout_ms, int *status)
{
	struct launch_proc p = { .in_fd = -1, .out_fd = -1 };
	int rc = spawn(argv, log, true, NULL, NULL, &p.pid);

	if (rc)
		return rc;
	rc = launch_proc_wait(&p, timeout_ms);
	if (rc == -ETIMEDOUT)
		launch_proc_stop(&p, 0);
	*status = p.status;
	return rc == -ETIMEDOUT ? rc : 0;
}

/* ---- sockets --------------------------------------------------------------
 */

/* Inodes of the sockets bound to port: TCP ones listening, UDP any. */
static size_t port_inodes(uint16_t port, unsigned listen, unsigned long *ino,
			  size_t max)
{
	static const struct {
		const char *file;
		unsigned kind;
	} tables[] = {
		{ "/proc/net/tcp", LAUNCH_TCP },
		{ "/proc/net/tcp6", LAUNCH_TCP },
		{ "/proc/net/udp", LAUNCH_UDP },
		{ "/proc/net/udp6", LAUNCH_UDP },
	};
	size_t n = 0;
	char line[512];

	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		FILE *f;

		if (!(listen & tables[t].kind) ||
		    !(f = fopen(tables[t].file, "r")))
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned lport, state;
			unsigned long inode;

			if (sscanf(line,
				   " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x "
				   "%x %*s %*s %*s %*u %*u %lu",
				   &lport, &state, &inode) != 3 ||
			    lport != port)
				continue;
			if (tables[t].kind == LAUNCH_TCP && state != 0x0a)
				continue; /* TCP_LISTEN */
			if (n < max)
				ino[n++] = inode;
		}
		fclose(f);
	}
	return n;
}

bool launch_port_busy(uint16_t port, unsigned listen)
{
	unsigned long ino[8];

	return port_inodes(port, listen, ino, ARRAY_SIZE(ino)) > 0;
}

/* Does pid hold one of the socket inodes? */
static bool pid_has_inode(pid_t pid, const unsigned long *ino, size_t n)
{
	char dir[64], path[PATH_MAX], link[64];
	struct dirent *d;
	bool found = false;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	if (!(dp = opendir(dir)))
		return false;
	while (!found && (d = readdir(dp))) {
		ssize_t len;
		unsigned long v;

		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%lu]", &v) != 1)
			continue;
		for (size_t i = 0; i < n; i++)
			found |= ino[i] == v;
	}
	closedir(dp);
	return found;
}

static bool listens(pid_t pid, uint16_t port, unsigned listen)
{
	unsigned long ino[16];

	for (unsigned k = LAUNCH_UDP; k <= LAUNCH_TCP; k <<= 1) {
		size_t n;

		if (!(listen & k))
			continue;
		n = port_inodes(port, k, ino, ARRAY_SIZE(ino));
		if (!n || !pid_has_inode(pid, ino, n))
			return false;
	}
	return true;
}

int launch_proc_wait_listen(struct launch_proc *p, int timeout_ms)
{
	int64_t end = launch_now_ms() + timeout_ms;
	bool all;

	if (!p->kind->listen || !p->port)
		return launch_proc_alive(p) ? 0 : -ECHILD;
	for (;;) {
		if (!launch_proc_alive(p))
			return -ECHILD;
		all = listens(p->pid, p->port, p->kind->listen);
		for (size_t i = 0; all && i < LAUNCH_EXTRA; i++)
			all = !p->kind->extra[i].key || !p->extra_port[i] ||
			      listens(p->pid, p->extra_port[i],
				      p->kind->extra[i].listen);
		if (all)
			return 0;
		if (launch_now_ms() >= end)
			return -ETIMEDOUT;
		if (launch_sleep(20))
			return -EINTR;
	}
}

static bool can_bind(int type, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

int launch_port_pick(struct rng *rng, const uint16_t *avoid, size_t n,
		     uint16_t *port)
{
	/* 20000-32767: below Linux's ephemeral range (32768-60999), so an
	 * outgoing connection cannot take it between the check and the
	 * node's bind; random, so parallel runs rarely even try the same. */
	for (int tries = 0; tries < 500; tries++) {
		uint16_t p = (uint16_t)(20000 + rng_u64(rng) % 12768);
		bool used = false;

		for (size_t i = 0; i < n; i++)
			used |= avoid[i] == p;
		if (!used && can_bind(SOCK_STREAM, p) &&
		    can_bind(SOCK_DGRAM, p)) {
			*port = p;
			return 0;
		}
	}
	return -EADDRINUSE;
}

/* ---- files ------------------------------------------------------------------
 */

char *launch_bindir(void)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	char *slash;

	if (n <= 0)
		return xstrdup(".");
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (slash)
		*slash = '\0';
	return xstrdup(path[0] ? path : "/");
}

void launch_log_tail(const char *path, char *dst, size_t n)
{
	FILE *f = fopen(path, "r");
	char line[512];

	dst[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len)
			snprintf(dst, n, "%s", line);
	}
	fclose(f);
}
