/*
 * ladder.c - the terminal ladder (sequence) diagram of one run, and the
 * event helpers every writer shares (runner/writers.h).
 *
 *      step    client    pcscf       time
 *                 │         │
 *         1       │─ REG ──▶│      0.0ms
 *       8-9 ✗     │◀ 200 ───│     30.0ms
 *
 * One column per node in r->nodes order, plus an "other" column for ends
 * that are no node of ours. Every cell is one terminal column: the
 * glyphs used (box drawing, arrows, U+2717, U+2026) are all narrow, and
 * text from the messages is reduced to printable ASCII first.
 */
#include "writers.h"

#include <stdlib.h>
#include <string.h>

#include "diam/diam.h"

#define LABEL_W	 7  /* step label, right-aligned: "require" */
#define LEFT_W	 10 /* label, space, marker, space */
#define TIME_W	 11 /* " %8.1fms" */
#define COL_MIN	 6
#define COL_MAX	 36
#define ANSI_RED "\033[31m"
#define ANSI_GRN "\033[32m"
#define ANSI_DIM "\033[2m"
#define ANSI_OFF "\033[0m"

/* ---- shared helpers ---------------------------------------------------- */

/* Copies s into dst as printable ASCII, stopping at CR/LF or n - 1. */
static void ascii_copy(char *dst, size_t n, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == '\n')
			break;
		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[o] = '\0';
}

/* Diameter: the command's short name; answers add their result
 * (RFC 6733 §7.1 Result-Code, or Experimental-Result-Code). */
static void diam_brief(const struct rn_event *e, char *dst, size_t n)
{
	struct diam_msg m;
	uint32_t cmd, res, vendor;
	bool req, exp;

	if (e->len < DIAM_HDR_LEN || e->raw[0] != DIAM_VERSION) {
		ascii_copy(dst, n, e->summary ? e->summary : "Diameter",
			   e->summary ? strlen(e->summary) : 8);
		return;
	}
	/* RFC 6733 §3: flags in byte 4, command code in bytes 5..7. */
	req = e->raw[4] & DIAM_FLAG_R;
	cmd = (uint32_t)e->raw[5] << 16 | (uint32_t)e->raw[6] << 8 | e->raw[7];
	if (!req && diam_msg_parse(&m, e->raw, e->len, NULL) == 0 &&
	    diam_msg_result(&m, &res, &exp, &vendor) == 0)
		snprintf(dst, n, "%s %s%u", diam_cmd_name(cmd, req),
			 exp ? "exp " : "", res);
	else
		snprintf(dst, n, "%s", diam_cmd_name(cmd, req));
}

static void event_brief(const struct rn_event *e, char *dst, size_t n);

/* A message a fault rule dropped shows as "X REGISTER (dropped)". */
void rn__event_brief(const struct rn_event *e, char *dst, size_t n)
{
	char brief[200];

	if (!e->dropped) {
		event_brief(e, dst, n);
		return;
	}
	event_brief(e, brief, sizeof(brief));
	snprintf(dst, n, "X %s (dropped)", brief);
}

static void event_brief(const struct rn_event *e, char *dst, size_t n)
{
	char line[256], *end;
	size_t skip = 0;

	if (!strcmp(e->proto, "diameter")) {
		diam_brief(e, dst, n);
		return;
	}
	if (e->summary)
		ascii_copy(line, sizeof(line), e->summary, strlen(e->summary));
	else if (e->raw)
		ascii_copy(line, sizeof(line), (const char *)e->raw, e->len);
	else
		line[0] = '\0';
	if (!strncmp(line, "SIP/", 4) || !strncmp(line, "HTTP/", 5)) {
		/* Status line (RFC 3261 §7.2, RFC 9112 §4): drop the
		 * version, keep code and reason. */
		end = strchr(line, ' ');
		skip = end ? (size_t)(end - line) + 1 : 0;
	} else if (!strcmp(e->proto, "sip") || !strcmp(e->proto, "http")) {
		/* Request line: SIP keeps the method, HTTP the method and
		 * the target (the path is what tells its requests apart). */
		end = strchr(line, ' ');
		if (end && !strcmp(e->proto, "http"))
			end = strchr(end + 1, ' ');
		if (end)
			*end = '\0';
	}
	snprintf(dst, n, "%s", line + skip);
}

enum rn_ev_state rn__event_state(const struct rn_run *r, size_t i)
{
	enum rn_ev_state st = RN_EV_PLAIN;

	if (r->events[i].forbidden)
		return RN_EV_FORBIDDEN;
	for (size_t k = 0; k < r->nsteps; k++) {
		const struct rn_step *s = &r->steps[k];

		if (s->event < 0 || (size_t)s->event != i || s->skipped)
			continue;
		if (!s->ok)
			return RN_EV_FAILED;
		st = RN_EV_OK;
	}
	return st;
}

const char *rn__event_label(const struct rn_run *r, size_t i)
{
	if (r->events[i].step[0])
		return r->events[i].step;
	for (size_t k = 0; k < r->nsteps; k++) {
		const struct rn_step *s = &r->steps[k];

		if (!s->ok && s->event >= 0 && (size_t)s->event == i)
			return s->label;
	}
	return "";
}

/* ---- layout ------------------------------------------------------------ */

struct layout {
	size_t ncols;	/* nodes + the "other" column if used */
	bool other;	/* some end is not a node of ours */
	int spacing;	/* terminal columns per node column */
	int dw;		/* diagram width = ncols * spacing */
	int time_w;	/* 0 when the time column had to go */
	uint32_t *cell; /* one row of dw code points */
};

/* Column of a node name; ncols - 1 (the "other" column) when unknown. */
static size_t col_of(const struct rn_run *r, const struct layout *l,
		     const char *name)
{
	for (size_t i = 0; i < r->nnodes; i++) {
		if (!strcmp(r->nodes[i], name))
			return i;
	}
	return l->ncols - 1;
}

static bool known(const struct rn_run *r, const char *name)
{
	for (size_t i = 0; i < r->nnodes; i++) {
		if (!strcmp(r->nodes[i], name))
			return true;
	}
	return false;
}

static int col_x(const struct layout *l, size_t c)
{
	return (int)c * l->spacing + l->spacing / 2;
}

static void layout_init(struct layout *l, const struct rn_run *r, int width)
{
	int avail;

	l->other = false;
	for (size_t i = 0; i < r->nevents; i++) {
		if (!known(r, r->events[i].from) || !known(r, r->events[i].to))
			l->other = true;
	}
	l->ncols = r->nnodes + (l->other ? 1 : 0);
	if (l->ncols == 0)
		l->ncols = 1;
	/* A narrow terminal loses the time column before the arrows get
	 * too short to carry a label. */
	l->time_w = TIME_W;
	avail = width - LEFT_W - l->time_w;
	if (avail / (int)l->ncols < COL_MIN + 4) {
		l->time_w = 0;
		avail = width - LEFT_W;
	}
	l->spacing = avail / (int)l->ncols;
	if (l->spacing < COL_MIN)
		l->spacing = COL_MIN;
	if (l->spacing > COL_MAX)
		l->spacing = COL_MAX;
	l->dw = (int)l->ncols * l->spacing;
	l->cell = xcalloc((size_t)l->dw, sizeof(*l->cell));
}

static void row_clear(struct layout *l)
{
	for (int x = 0; x < l->dw; x++)
		l->cell[x] = ' ';
	for (size_t c = 0; c < l->ncols; c++)
		l->cell[col_x(l, c)] = 0x2502; /* │ */
}

/* Writes ASCII text at x, cutting it (with U+2026) to max cells. */
static void row_text(struct layout *l, int x, const char *s, int max)
{
	int len = (int)strlen(s);

	if (max <= 0)
		return;
	if (len > max) {
		len = max - 1;
		l->cell[x + len] = 0x2026; /* … */
	}
	for (int i = 0; i < len; i++)
		l->cell[x + i] = (unsigned char)s[i];
}

static void row_arrow(struct layout *l, size_t from, size_t to,
		      const char *text)
{
	int a = col_x(l, from), b = col_x(l, to);
	int lo = a < b ? a : b, hi = a < b ? b : a;
	int count = hi - lo - 1, room, tlen, s;

	if (from == to) {
		/* A message between two ends in the same column (both
		 * unknown, or a node talking to itself). */
		l->cell[a + 1] = 0x21ba; /* ↺ */
		row_text(l, a + 3, text, l->dw - a - 3);
		return;
	}
	for (int x = lo + 1; x < hi; x++)
		l->cell[x] = 0x2500; /* ─ */
	if (b > a)
		l->cell[hi - 1] = 0x25b6; /* ▶ */
	else
		l->cell[lo + 1] = 0x25c0; /* ◀ */
	/* "─ text ─▶": a dash, a space each side, the head. */
	room = count - 4;
	if (room < 1)
		return;
	tlen = (int)strlen(text);
	if (tlen > room)
		tlen = room;
	s = lo + 3 + (room - tlen) / 2;
	l->cell[s - 1] = ' ';
	l->cell[s + tlen] = ' ';
	row_text(l, s, text, tlen);
}

static void put_utf8(FILE *out, uint32_t cp)
{
	char u[4];

	if (cp < 0x80) {
		fputc((int)cp, out);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		fwrite(u, 1, 2, out);
	} else {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		fwrite(u, 1, 3, out);
	}
}

/* Prints the first upto cells of the row; with trim, not the blanks
 * that end it (when nothing follows on the line). */
static void row_print(FILE *out, const struct layout *l, int upto, bool trim)
{
	while (trim && upto > 0 && l->cell[upto - 1] == ' ')
		upto--;
	for (int x = 0; x < upto; x++)
		put_utf8(out, l->cell[x]);
}

/* ---- the diagram ------------------------------------------------------- */

static void print_header(FILE *out, const struct rn_run *r, struct layout *l)
{
	char name[COL_MAX + 1];

	for (int x = 0; x < l->dw; x++)
		l->cell[x] = ' ';
	for (size_t c = 0; c < l->ncols; c++) {
		int len, x;

		if (c < r->nnodes)
			ascii_copy(name, sizeof(name), r->nodes[c],
				   strlen(r->nodes[c]));
		else
			snprintf(name, sizeof(name), "other");
		len = (int)strlen(name);
		if (len > l->spacing - 1)
			len = l->spacing - 1;
		name[len] = '\0';
		x = col_x(l, c) - len / 2;
		if (x + len > l->dw)
			x = l->dw - len;
		row_text(l, x < 0 ? 0 : x, name, len);
	}
	fprintf(out, "%*s   ", LABEL_W, "step");
	row_print(out, l, l->dw, !l->time_w);
	if (l->time_w)
		fprintf(out, "%*s", l->time_w, "time");
	fputc('\n', out);
	row_clear(l);
	fprintf(out, "%*s", LEFT_W, "");
	row_print(out, l, l->dw, true);
	fputc('\n', out);
}

/* Cuts an ASCII line to the terminal width. */
static void cut(char *line, int width)
{
	size_t max = width > 8 ? (size_t)width : 8;

	if (strlen(line) > max)
		line[max] = '\0';
}

static void print_event(FILE *out, const struct rn_run *r, struct layout *l,
			size_t i, bool color)
{
	const struct rn_event *e = &r->events[i];
	enum rn_ev_state st = rn__event_state(r, i);
	char label[LABEL_W + 1], text[COL_MAX * 16];
	const char *mark = " ", *on = "", *lbl = rn__event_label(r, i);

	ascii_copy(label, sizeof(label), lbl, strlen(lbl));
	rn__event_brief(e, text, sizeof(text));
	if (st == RN_EV_FAILED)
		mark = "\u2717"; /* ✗ */
	else if (st == RN_EV_FORBIDDEN)
		mark = "!";
	if (color && (st == RN_EV_FAILED || st == RN_EV_FORBIDDEN))
		on = ANSI_RED;
	else if (color && st == RN_EV_PLAIN)
		on = ANSI_DIM;
	row_clear(l);
	row_arrow(l, col_of(r, l, e->from), col_of(r, l, e->to), text);
	if (color && st == RN_EV_OK)
		fprintf(out, ANSI_GRN "%*s" ANSI_OFF, LABEL_W, label);
	else
		fprintf(out, "%s%*s", on, LABEL_W, label);
	fprintf(out, " %s ", mark);
	row_print(out, l, l->dw, !l->time_w);
	if (l->time_w)
		fprintf(out, " %8.1fms", (e->t - r->events[0].t) * 1000.0);
	fprintf(out, "%s\n", *on ? ANSI_OFF : "");
}

/* Failed steps with no message on the wire: listed under the diagram. */
static void print_missing(FILE *out, const struct rn_run *r, bool color,
			  int width)
{
	char label[LABEL_W + 1], tmp[512], rest[512];

	for (size_t k = 0; k < r->nsteps; k++) {
		const struct rn_step *s = &r->steps[k];

		if (s->ok || s->skipped || s->event >= 0)
			continue;
		ascii_copy(label, sizeof(label), s->label, strlen(s->label));
		snprintf(tmp, sizeof(tmp), "missing: %s -> %s %s%s%s", s->from,
			 s->to, s->what, s->detail ? ": " : "",
			 s->detail ? s->detail : "");
		ascii_copy(rest, sizeof(rest), tmp, strlen(tmp));
		cut(rest, width - LEFT_W);
		fprintf(out, "%s%*s \u2717 %s%s\n", color ? ANSI_RED : "",
			LABEL_W, label, rest, color ? ANSI_OFF : "");
	}
}

void rn_ladder_print(FILE *out, const struct rn_run *r, bool color, int width)
{
	struct layout l;
	char tmp[512], title[512];

	if (width <= 0) /* not a terminal: the classic 80 columns */
		width = 80;
	snprintf(tmp, sizeof(tmp), "%s %s: %s", r->figure ? r->figure : "",
		 r->title ? r->title : "", r->passed ? "PASSED" : "FAILED");
	ascii_copy(title, sizeof(title), tmp, strlen(tmp));
	cut(title, width);
	if (color)
		fprintf(out, "%s%s" ANSI_OFF "\n",
			r->passed ? ANSI_GRN : ANSI_RED, title);
	else
		fprintf(out, "%s\n", title);
	layout_init(&l, r, width);
	print_header(out, r, &l);
	for (size_t i = 0; i < r->nevents; i++)
		print_event(out, r, &l, i, color);
	print_missing(out, r, color, width);
	free(l.cell);
}
