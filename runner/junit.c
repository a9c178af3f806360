/*
 * junit.c - JUnit XML report of the runs, and the XML escaping and file
 * writing the other writers share (runner/writers.h).
 *
 * The shape CI tools read (the Ant/Jenkins JUnit schema):
 *   <testsuite name="imstb" tests= failures= errors= skipped="0" time=
 *              timestamp=>
 *     <testcase name="<figure> <title>" classname="imstb.<basename>"
 *               time=>
 *       <failure message="…" type="step">one line per failed step</failure>
 *       <system-out>one line per step</system-out>
 *     </testcase>
 *   </testsuite>
 * A run that could not run at all (rn_run.error) gets <error> instead of
 * <failure> and counts in errors.
 */
#include "writers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- shared helpers ---------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 §4: no
 * overlongs, no surrogates, nothing above U+10FFFF), 0 if there is
 * none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	/* The lead byte gives the length: 110xxxxx, 1110xxxx, 11110xxx
	 * (0xc0, 0xc1 and above 0xf4 can only start what is not allowed). */
	len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	cp = c & (0x7f >> len);
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	/* XML 1.0 §2.2 Char also excludes U+FFFE and U+FFFF. */
	if (cp == 0xfffe || cp == 0xffff)
		return 0;
	return len;
}

void rn__xml_escape(struct buf *b, const char *s, size_t n, bool attr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;

	while (i < n) {
		unsigned char c = p[i];

		switch (c) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		case '\t':
		case '\n':
		case '\r':
			/* XML 1.0 §3.3.3: attribute values normalise raw
			 * whitespace to spaces; references survive. */
			if (attr)
				buf_printf(b, "&#%u;", c);
			else
				buf_append(b, &p[i], 1);
			break;
		default:
			len = c < 0x20 || c == 0x7f ? 0
						    : utf8_len(p + i, n - i);
			if (!len) {
				buf_puts(b, "\xef\xbf\xbd"); /* U+FFFD */
				break;
			}
			buf_append(b, &p[i], len);
			i += len;
			continue;
		}
		i++;
	}
}

void rn__xml_escape_cstr(struct buf *b, const char *s, bool attr)
{
	if (s)
		rn__xml_escape(b, s, strlen(s), attr);
}

int rn__file_write(const char *path, const void *p, size_t n)
{
	const char *c = p;
	int fd, err = 0;
	ssize_t w;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			err = -errno;
			goto out;
		}
		c += w;
		n -= (size_t)w;
	}
out:
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

/* ---- the report -------------------------------------------------------- */

/* Seconds with millisecond precision, printed without the locale (a
 * decimal comma would not be a JUnit time). */
static void put_secs(struct buf *b, double s)
{
	unsigned long long ms = s > 0 ? (unsigned long long)(s * 1e3 + 0.5) : 0;

	buf_printf(b, "%llu.%03llu", ms / 1000, ms % 1000);
}

static double run_secs(const struct rn_run *r)
{
	return r->t_end > r->t_start ? r->t_end - r->t_start : 0;
}

/* "scenarios/ts23701/6.x-reg.scn" -> "6.x-reg" */
static struct sv file_base(const char *file)
{
	struct sv v = sv_from_cstr(file ? file : "");
	const char *slash = strrchr(file ? file : "", '/');

	if (slash) {
		v.len -= (size_t)(slash + 1 - v.p);
		v.p = slash + 1;
	}
	if (v.len > 4 && !memcmp(v.p + v.len - 4, ".scn", 4))
		v.len -= 4;
	return v;
}

static void step_line(struct buf *b, const struct rn_step *s)
{
	buf_puts(b, "step ");
	rn__xml_escape_cstr(b, s->label, false);
	buf_puts(b, " ");
	rn__xml_escape_cstr(b, s->from, false);
	buf_puts(b, " -> ");
	rn__xml_escape_cstr(b, s->to, false);
	buf_puts(b, " ");
	rn__xml_escape_cstr(b, s->what, false);
	buf_puts(b, s->skipped ? " skipped" : s->ok ? " ok" : " FAILED");
}

static size_t failed_steps(const struct rn_run *r)
{
	size_t n = 0;

	for (size_t k = 0; k < r->nsteps; k++)
		n += !r->steps[k].ok && !r->steps[k].skipped;
	return n;
}

/* <failure>: the message names the count and the first failed step; the
 * body has one line per failed step with its detail. */
static void put_failure(struct buf *b, const struct rn_run *r)
{
	const struct rn_step *first = NULL;
	size_t nf = failed_steps(r);

	for (size_t k = 0; k < r->nsteps && !first; k++) {
		if (!r->steps[k].ok && !r->steps[k].skipped)
			first = &r->steps[k];
	}
	buf_printf(b,
		   "      <failure type=\"step\" message=\"%zu of %zu "
		   "steps failed",
		   nf, r->nsteps);
	if (first) {
		buf_puts(b, ", first: step ");
		rn__xml_escape_cstr(b, first->label, true);
		buf_puts(b, " ");
		rn__xml_escape_cstr(b, first->what, true);
		if (first->detail) {
			buf_puts(b, ": ");
			rn__xml_escape_cstr(b, first->detail, true);
		}
	}
	buf_puts(b, "\">");
	for (size_t k = 0; k < r->nsteps; k++) {
		const struct rn_step *s = &r->steps[k];

		if (s->ok || s->skipped)
			continue;
		step_line(b, s);
		if (s->detail) {
			buf_puts(b, ": ");
			rn__xml_escape_cstr(b, s->detail, false);
		}
		buf_puts(b, "\n");
	}
	if (!nf)
		buf_puts(b, "the run failed with no failed step\n");
	buf_puts(b, "</failure>\n");
}

static void put_case(struct buf *b, const struct rn_run *r)
{
	struct sv base = file_base(r->file);

	buf_puts(b, "    <testcase name=\"");
	rn__xml_escape_cstr(b, r->figure, true);
	if (r->figure && r->title)
		buf_puts(b, " ");
	rn__xml_escape_cstr(b,
			    r->title	? r->title
			    : r->figure ? NULL
					: r->file,
			    true);
	buf_puts(b, "\" classname=\"imstb.");
	rn__xml_escape(b, base.p, base.len, true);
	buf_puts(b, "\" time=\"");
	put_secs(b, run_secs(r));
	buf_puts(b, "\">\n");
	if (r->error) {
		buf_puts(b, "      <error type=\"run\" message=\"");
		rn__xml_escape_cstr(b, r->error, true);
		buf_puts(b, "\">");
		rn__xml_escape_cstr(b, r->error, false);
		buf_puts(b, "</error>\n");
	} else if (!r->passed) {
		put_failure(b, r);
	}
	buf_puts(b, "      <system-out>");
	if (r->file) {
		buf_puts(b, "scenario ");
		rn__xml_escape_cstr(b, r->file, false);
		buf_puts(b, "\n");
	}
	for (size_t k = 0; k < r->nsteps; k++) {
		step_line(b, &r->steps[k]);
		buf_puts(b, "\n");
	}
	buf_puts(b, "</system-out>\n    </testcase>\n");
}

int rn_junit_write(const char *path, struct rn_run *const *runs, size_t n)
{
	size_t failures = 0, errors = 0;
	double secs = 0, t0 = 0;
	struct buf b;
	char stamp[32] = "1970-01-01T00:00:00";
	struct tm tm;
	time_t tt;
	int err;

	if (!path || (n && !runs))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		errors += runs[i]->error != NULL;
		failures += !runs[i]->passed && !runs[i]->error;
		secs += run_secs(runs[i]);
		if (runs[i]->t_start > 0 && (t0 == 0 || runs[i]->t_start < t0))
			t0 = runs[i]->t_start;
	}
	tt = (time_t)t0;
	if (gmtime_r(&tt, &tm))
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_init(&b);
	buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	buf_printf(&b,
		   "<testsuites tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		   "time=\"",
		   n, failures, errors);
	put_secs(&b, secs);
	buf_printf(&b,
		   "\">\n  <testsuite name=\"imstb\" tests=\"%zu\" "
		   "failures=\"%zu\" errors=\"%zu\" skipped=\"0\" "
		   "timestamp=\"%s\" time=\"",
		   n, failures, errors, stamp);
	put_secs(&b, secs);
	buf_puts(&b, "\">\n");
	for (size_t i = 0; i < n; i++)
		put_case(&b, runs[i]);
	buf_puts(&b, "  </testsuite>\n</testsuites>\n");
	err = rn__file_write(path, b.data, b.len);
	buf_close(&b);
	return err;
}
