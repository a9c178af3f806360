/*
 * imstb: replays 3GPP call flows across the imstb processes and checks
 * every numbered step of each figure against what crossed the wire.
 *   imstb run [options] FILE|DIR...   scenarios (scenarios/README.md)
 *   imstb check FILE|DIR...           parse only
 *   imstb up [--ports random] [--hub PORT] [--config F]
 *            [--set node.key=value]...
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drive.h"
#include "launch.h"

static const char usage[] =
	"Usage:\n"
	"  imstb run [options] FILE|DIR...  run scenarios (a DIR: every *.scn "
	"below it)\n"
	"  imstb check FILE|DIR...          only check that they parse\n"
	"  imstb up [--ports random] [--hub PORT] [--config F]\n"
	"           [--set node.key=value]...\n"
	"                                   the testbed in the foreground, "
	"with the\n"
	"                                   live ladder (imstb up --help)\n"
	"run options:\n"
	"  --seed N         seed of every node (node i gets N+i): tags, "
	"branches,\n"
	"                   Call-IDs and icids repeat from run to run\n"
	"  --junit F        JUnit XML, one testcase per scenario\n"
	"  --pcap F         pcapng of every message, for tshark/Wireshark\n"
	"  --html F         one page with an SVG ladder per scenario\n"
	"  --keep           keep each run's directory (trace, logs, "
	"databases)\n"
	"  --timeout S      seconds per scenario (default 30)\n"
	"  --no-ladder      no ladder diagram in the terminal\n"
	"  --color=auto|always|never\n"
	"Exit status: 0 all passed, 1 a scenario failed, 2 bad usage or an "
	"invalid\nscenario file (FILE:LINE: reason).\n";

struct files {
	char **v;
	size_t n;
};

static void files_add(struct files *f, const char *path)
{
	f->v = xrealloc(f->v, (f->n + 1) * sizeof(char *));
	f->v[f->n++] = xstrdup(path);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.scn below dir, recursively. */
static void files_dir(struct files *f, const char *dir)
{
	DIR *d = opendir(dir);
	size_t dn = strlen(dir);
	struct dirent *e;
	struct stat st;
	struct buf p;

	if (!d)
		return;
	while (dn > 1 && dir[dn - 1] == '/')
		dn--; /* "scenarios/" */
	buf_init(&p);
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		buf_reset(&p);
		buf_printf(&p, "%.*s/%s", (int)dn, dir, e->d_name);
		if (stat(p.data, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			files_dir(f, p.data);
		else if (n > 4 && !strcmp(e->d_name + n - 4, ".scn"))
			files_add(f, p.data);
	}
	closedir(d);
	buf_close(&p);
}

static int expand(struct files *f, char **args, int n)
{
	struct stat st;

	for (int i = 0; i < n; i++) {
		size_t first = f->n;

		if (!stat(args[i], &st) && S_ISDIR(st.st_mode)) {
			files_dir(f, args[i]);
			qsort(f->v + first, f->n - first, sizeof(char *),
			      by_name);
		} else {
			files_add(f, args[i]);
		}
	}
	return f->n ? 0 : -ENOENT;
}

/* Parses every file first: one invalid file and nothing runs. */
static int load_all(struct files *f, struct scn ***out)
{
	char err[SCN_ERR_LEN];

	*out = xcalloc(f->n + 1, sizeof(struct scn *));
	for (size_t i = 0; i < f->n; i++) {
		if (scn_load(&(*out)[i], f->v[i], err)) {
			fprintf(stderr, "%s\n", err);
			return -EINVAL;
		}
	}
	return 0;
}

struct run_opts {
	struct drive_opts d;
	struct report_opts rep;
	const char *junit, *pcap, *html;
};

static int term_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	uint64_t v;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col >= 40)
		return ws.ws_col;
	if (cols && !sv_to_u64(sv_from_cstr(cols), 1000, &v) && v >= 40)
		return (int)v;
	return 100;
}

static int parse_run(int argc, char **argv, struct run_opts *o)
{
	static const struct option longs[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "junit", required_argument, NULL, 'j' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "html", required_argument, NULL, 'h' },
		{ "keep", no_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 't' },
		{ "no-ladder", no_argument, NULL, 'n' },
		{ "color", optional_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *color = "auto", *term = getenv("TERM");
	uint64_t v;
	int c;

	o->d.timeout_ms = 30000;
	o->rep.ladder = true;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 's':
			if (sv_to_u64(sv_from_cstr(optarg), 1L << 40, &v))
				return -EINVAL;
			o->d.seed = (long)v;
			break;
		case 't':
			if (sv_to_u64(sv_from_cstr(optarg), 86400, &v) || !v)
				return -EINVAL;
			o->d.timeout_ms = (long)v * 1000;
			break;
		case 'j':
			o->junit = optarg;
			break;
		case 'p':
			o->pcap = optarg;
			break;
		case 'h':
			o->html = optarg;
			break;
		case 'k':
			o->d.keep = true;
			break;
		case 'n':
			o->rep.ladder = false;
			break;
		case 'c':
			color = optarg ? optarg : "always";
			if (strcmp(color, "auto") && strcmp(color, "always") &&
			    strcmp(color, "never"))
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	o->rep.color =
		!strcmp(color, "always") ||
		(!strcmp(color, "auto") && isatty(STDOUT_FILENO) &&
		 !getenv("NO_COLOR") && !(term && !strcmp(term, "dumb")));
	o->rep.width = term_width();
	return 0;
}

static int write_artefacts(const struct run_opts *o, struct rn_run **runs,
			   size_t n)
{
	int rc = 0, e;

	if (o->junit && (e = rn_junit_write(o->junit, runs, n)))
		rc = fprintf(stderr, "imstb: %s: %s\n", o->junit, strerror(-e));
	if (o->pcap && (e = rn_pcap_write(o->pcap, runs, n)))
		rc = fprintf(stderr, "imstb: %s: %s\n", o->pcap, strerror(-e));
	if (o->html && (e = rn_html_write(o->html, runs, n)))
		rc = fprintf(stderr, "imstb: %s: %s\n", o->html, strerror(-e));
	return rc ? -EIO : 0;
}

static int cmd_run(int argc, char **argv, const char *bindir, bool only_check)
{
	struct run_opts o = { .d.bindir = bindir };
	struct files f = { 0 };
	struct scn **scns = NULL;
	struct rn_run **runs;
	struct rng rng;
	size_t passed = 0, failed = 0, n = 0;
	int status = 2;

	if ((!only_check && parse_run(argc, argv, &o)) ||
	    expand(&f, argv + (only_check ? 1 : optind),
		   argc - (only_check ? 1 : optind))) {
		fputs(usage, stderr);
		goto out;
	}
	if (load_all(&f, &scns))
		goto out;
	status = 0;
	if (only_check) {
		printf("%zu scenario(s) parse\n", f.n);
		goto out;
	}
	rng_init(&rng, 0);
	o.d.rng = &rng;
	launch_signals_init();
	runs = xcalloc(f.n + 1, sizeof(*runs));
	for (; n < f.n && !launch_interrupted(); n++) {
		char *kept;

		report_header(stdout, scns[n], o.rep.color);
		runs[n] = drive_scenario(scns[n], &o.d, &kept);
		report_result(stdout, scns[n], runs[n], kept, &o.rep);
		free(kept);
		if (runs[n]->passed)
			passed++;
		else
			failed++;
	}
	if (write_artefacts(&o, runs, n))
		status = 1;
	if (launch_interrupted())
		printf("interrupted: %zu scenario(s) not run\n", f.n - n);
	printf("%zu passed, %zu failed\n", passed, failed);
	status = launch_interrupted() ? 130 : failed || status ? 1 : 0;
	for (size_t i = 0; i < n; i++)
		rn_run_free(runs[i]);
	free(runs);
out:
	for (size_t i = 0; i < f.n; i++) {
		free(f.v[i]);
		if (scns)
			scn_free(scns[i]);
	}
	free(f.v);
	free(scns);
	return status;
}

int main(int argc, char **argv)
{
	char *bindir = launch_bindir();
	int status = 2;

	log_set_level(LOG_WARN);
	if (argc < 2 || !strcmp(argv[1], "help") ||
	    !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		status = argc < 2 ? 2 : 0;
	} else if (!strcmp(argv[1], "run")) {
		status = cmd_run(argc - 1, argv + 1, bindir, false);
	} else if (!strcmp(argv[1], "check")) {
		status = cmd_run(argc - 1, argv + 1, bindir, true);
	} else if (!strcmp(argv[1], "up")) {
		status = up_main(argc - 2, argv + 2, bindir);
	} else {
		fprintf(stderr, "imstb: unknown command '%s'\n%s", argv[1],
			usage);
	}
	free(bindir);
	return status;
}
