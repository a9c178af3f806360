/*
 * html.c - one self-contained HTML page for the runs: per run the title,
 * figure, purpose and verdict, an SVG ladder (a column per node, an arrow
 * per message labelled with its step and summary, failed ones red), a
 * panel that shows the whole message when an arrow is clicked, and the
 * table of steps. Inline CSS and vanilla JS; nothing is fetched.
 *
 * Every message is untrusted input (it may well contain "</script>"), so
 * no message byte ever reaches the page unescaped or inside the script:
 * text goes through rn__xml_escape (HTML text and attribute values), the
 * raw bytes travel base64 in a data-raw attribute, and the script shows
 * them with textContent only. Diameter (binary) is shown as its AVP tree,
 * decoded here with lib/diam, followed by a hex dump made by the script.
 */
#include "writers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "diam/diam.h"
#include "trace/trace.h"

#define COL_W	180 /* SVG units per node column */
#define LEFT_W	80  /* time labels */
#define TOP	56
#define ROW_H	34
#define BRIEF_N 96

/* ---- static parts ------------------------------------------------------ */

const char rn__html_css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}"
	".fig{font-family:monospace;color:#555;margin-right:.5em}"
	".verdict{font-size:.8em;padding:.1em .5em;border-radius:3px;"
	"margin-left:.6em;color:#fff}"
	".pass{background:#2e7d32}.failv{background:#c62828}"
	".file,.notes{color:#666}.error{color:#c62828;font-weight:bold}"
	".ladder{overflow-x:auto;border:1px solid #ddd;background:#fcfcfc}"
	"svg text{font:12px monospace;fill:#222}"
	"svg .node{font-weight:bold;font-size:13px}"
	"svg .life{stroke:#999;stroke-dasharray:4 3}"
	"svg .arrow{stroke:#1565c0;stroke-width:1.5;fill:none}"
	"svg .ev.plain .arrow{stroke:#888}svg .ev.plain text{fill:#777}"
	"svg .ev.fail .arrow{stroke:#c62828;stroke-width:2}"
	"svg .ev.fail text{fill:#c62828}svg .t{fill:#888}"
	"svg .hit{stroke:transparent;stroke-width:16;fill:none}"
	"svg .ev{cursor:pointer}svg .ev:hover .arrow,svg .ev.sel .arrow"
	"{stroke-width:3}svg .ev.sel text{font-weight:bold}"
	"svg .stp{font-weight:bold}"
	".msg{border:1px solid #bbb;background:#f6f8fa;margin:.8em 0;"
	"padding:.5em}.msg-head{font-family:monospace;color:#555}"
	".msg pre{white-space:pre-wrap;word-break:break-all;margin:.4em 0}"
	"table{border-collapse:collapse;margin-top:.8em}"
	"td,th{border:1px solid #ddd;padding:.2em .6em;text-align:left;"
	"vertical-align:top}td.d{white-space:pre-wrap;font-family:monospace}"
	"tr.fail td{background:#fdecea}tr.skip td{color:#888}"
	"tr[data-ev]{cursor:pointer}.okc{color:#2e7d32}.failc{color:#c62828;"
	"font-weight:bold}";

/* Reads only attributes of our own elements and writes with textContent:
 * the page has no path from message bytes to markup or code. */
const char rn__html_js[] =
	"(function(){'use strict';\n"
	"function bytes(s){var b=atob(s),u=new Uint8Array(b.length),i;"
	"for(i=0;i<b.length;i++)u[i]=b.charCodeAt(i);return u;}\n"
	"function h2(n){return(n<16?'0':'')+n.toString(16);}\n"
	"function hex(u){var o=[],i,j,l,a;for(i=0;i<u.length;i+=16){"
	"l=('0000000'+i.toString(16)).slice(-8)+'  ';a='';"
	"for(j=i;j<i+16;j++){l+=j<u.length?h2(u[j])+' ':'   ';"
	"if(j===i+7)l+=' ';if(j<u.length)a+=u[j]>=32&&u[j]<127?"
	"String.fromCharCode(u[j]):'.';}o.push(l+' |'+a+'|');}"
	"return o.join('\\n');}\n"
	"function show(g){var s=g.closest('section.run'),"
	"m=s.querySelector('.msg'),u=bytes(g.getAttribute('data-raw')||''),"
	"t;if(g.getAttribute('data-bin')==='1')t=(g.getAttribute('data-dec')"
	"||'')+'\\n'+hex(u);else t=new TextDecoder('utf-8').decode(u);"
	"m.querySelector('.msg-head').textContent=g.getAttribute('data-head');"
	"m.querySelector('pre').textContent=t;m.hidden=false;"
	"s.querySelectorAll('g.ev.sel').forEach(function(x){"
	"x.classList.remove('sel');});g.classList.add('sel');}\n"
	"function evof(t){return t&&t.closest?t.closest('g.ev'):null;}\n"
	"document.addEventListener('click',function(e){var g=evof(e.target),"
	"r;if(g){show(g);return;}r=e.target.closest&&"
	"e.target.closest('tr[data-ev]');if(!r)return;"
	"g=r.closest('section.run').querySelector('g.ev[data-ev=\"'+"
	"r.getAttribute('data-ev')+'\"]');if(g){show(g);"
	"g.scrollIntoView({block:'nearest'});}});\n"
	"document.addEventListener('keydown',function(e){var g=evof(e.target);"
	"if(g&&(e.key==='Enter'||e.key===' ')){e.preventDefault();show(g);}});"
	"\n})();\n";

/* ---- escaping shorthands ----------------------------------------------- */

static void text(struct buf *b, const char *s)
{
	rn__xml_escape_cstr(b, s, false);
}

static void attr(struct buf *b, const char *s)
{
	rn__xml_escape_cstr(b, s, true);
}

/* ---- Diameter AVP tree (RFC 6733 §4) ----------------------------------- */

static void addr_str(const struct sockaddr_storage *ss, char *ip, size_t n)
{
	const struct sockaddr_in *s4 = (const void *)ss;
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const void *a = ss->ss_family == AF_INET ? (const void *)&s4->sin_addr
						 : (const void *)&s6->sin6_addr;

	if (!inet_ntop(ss->ss_family, a, ip, (socklen_t)n))
		snprintf(ip, n, "?");
}

static void avp_value(struct buf *o, const struct diam_avp *a,
		      enum diam_avp_type type)
{
	struct sockaddr_storage ss;
	char ip[INET6_ADDRSTRLEN] = "?";
	uint32_t u;
	int32_t i;
	uint64_t q;

	switch (type) {
	case DIAM_TYPE_U32:
	case DIAM_TYPE_TIME:
		if (diam_avp_u32(a, &u) == 0)
			buf_printf(o, "%u", u);
		return;
	case DIAM_TYPE_I32:
	case DIAM_TYPE_ENUM:
		if (diam_avp_i32(a, &i) == 0)
			buf_printf(o, "%d", i);
		return;
	case DIAM_TYPE_U64:
		if (diam_avp_u64(a, &q) == 0)
			buf_printf(o, "%llu", (unsigned long long)q);
		return;
	case DIAM_TYPE_ADDR:
		if (diam_avp_addr(a, &ss) == 0)
			addr_str(&ss, ip, sizeof(ip));
		buf_puts(o, ip);
		return;
	case DIAM_TYPE_UTF8:
	case DIAM_TYPE_IDENT:
	case DIAM_TYPE_URI:
		buf_puts(o, "\"");
		buf_putsv(o, a->data);
		buf_puts(o, "\"");
		return;
	default:
		break;
	}
	/* OctetString: hex, cut after 64 bytes (the dump has them all). */
	for (size_t k = 0; k < a->data.len && k < 64; k++)
		buf_printf(o, "%02x", (unsigned char)a->data.p[k]);
	if (a->data.len > 64)
		buf_printf(o, "... (%zu bytes)", a->data.len);
}

static void avp_list(struct buf *o, const struct diam_msg *m,
		     struct diam_iter *it, int depth)
{
	struct diam_avp a;

	while (diam_iter_next(it, &a)) {
		const struct diam_avp_def *def =
			diam_avp_def_find(a.code, a.vendor);
		struct diam_iter sub;

		buf_printf(o, "%*s%s(%u", depth * 2 + 2, "",
			   diam_avp_name(a.code, a.vendor), a.code);
		if (a.vendor)
			buf_printf(o, "/%u", a.vendor);
		buf_printf(o, ") %s%s ", a.flags & DIAM_AVP_V ? "V" : "",
			   a.flags & DIAM_AVP_M ? "M" : "-");
		if (def && def->type == DIAM_TYPE_GROUPED) {
			buf_puts(o, "{\n");
			diam_iter_group(&sub, &a, m);
			avp_list(o, m, &sub, depth + 1);
			buf_printf(o, "%*s}\n", depth * 2 + 2, "");
			continue;
		}
		avp_value(o, &a, def ? def->type : DIAM_TYPE_OCTETS);
		buf_puts(o, "\n");
	}
}

void rn__diam_decode(struct buf *o, const uint8_t *raw, size_t len)
{
	struct diam_msg m;
	struct diam_err e = { 0 };
	struct diam_iter it;

	if (diam_msg_parse(&m, raw, len, &e) != 0) {
		buf_printf(o, "not a valid Diameter message: %s (offset %zu)\n",
			   e.pe.why ? e.pe.why : "incomplete", e.pe.offset);
		return;
	}
	buf_printf(o,
		   "Diameter %s (%u) flags %s%s%s%s app %u hbh 0x%08x "
		   "e2e 0x%08x, %u bytes\n",
		   diam_cmd_name(m.cmd, m.flags & DIAM_FLAG_R), m.cmd,
		   m.flags & DIAM_FLAG_R ? "R" : "-",
		   m.flags & DIAM_FLAG_P ? "P" : "-",
		   m.flags & DIAM_FLAG_E ? "E" : "-",
		   m.flags & DIAM_FLAG_T ? "T" : "-", m.app, m.hbh, m.e2e,
		   m.len);
	diam_iter_msg(&it, &m);
	avp_list(o, &m, &it, 0);
}

/* ---- the ladder -------------------------------------------------------- */

static size_t col_of(const struct rn_run *r, const char *name)
{
	for (size_t i = 0; i < r->nnodes; i++) {
		if (!strcmp(r->nodes[i], name))
			return i;
	}
	return r->nnodes; /* "other" */
}

static bool has_other(const struct rn_run *r)
{
	for (size_t i = 0; i < r->nevents; i++) {
		if (col_of(r, r->events[i].from) == r->nnodes ||
		    col_of(r, r->events[i].to) == r->nnodes)
			return true;
	}
	return false;
}

static int col_x(size_t c)
{
	return LEFT_W + (int)c * COL_W + COL_W / 2;
}

bool rn__event_is_binary(const struct rn_event *e)
{
	if (!strcmp(e->proto, "diameter"))
		return true;
	for (size_t i = 0; i < e->len; i++) {
		unsigned char c = e->raw[i];

		if (c == 0 || (c < 0x20 && c != '\r' && c != '\n' && c != '\t'))
			return true;
	}
	return false;
}

void rn__event_head(struct buf *b, const struct rn_run *r, size_t k)
{
	const struct rn_event *e = &r->events[k];
	char src[64], dst[64];

	trace_addr_str((const struct sockaddr *)&e->src, src, sizeof(src));
	trace_addr_str((const struct sockaddr *)&e->dst, dst, sizeof(dst));
	if (*rn__event_label(r, k))
		buf_printf(b, "step %s: ", rn__event_label(r, k));
	buf_printf(b, "%s (%s) -> %s (%s), %s/%s, %zu bytes, +%.3f ms",
		   e->from, src, e->to, dst, e->proto, e->transport, e->len,
		   (e->t - r->events[0].t) * 1000.0);
	if (e->forbidden)
		buf_puts(b, ", FORBIDDEN");
}

/* data-* attributes of an event: what the panel shows when clicked. */
static void event_data(struct buf *b, const struct rn_run *r, size_t k)
{
	const struct rn_event *e = &r->events[k];
	struct buf tmp;
	bool bin = rn__event_is_binary(e);

	buf_init(&tmp);
	rn__event_head(&tmp, r, k);
	buf_printf(b, " data-ev=\"%zu\" data-bin=\"%d\" data-head=\"", k, bin);
	attr(b, tmp.data);
	buf_puts(b, "\" data-raw=\"");
	trace_base64(b, e->raw, e->len);
	buf_puts(b, "\"");
	if (bin && !strcmp(e->proto, "diameter")) {
		buf_reset(&tmp);
		rn__diam_decode(&tmp, e->raw, e->len);
		buf_puts(b, " data-dec=\"");
		rn__xml_escape(b, tmp.data, tmp.len, true);
		buf_puts(b, "\"");
	}
	buf_close(&tmp);
}

static void svg_event(struct buf *b, const struct rn_run *r, size_t ri,
		      size_t k)
{
	const struct rn_event *e = &r->events[k];
	enum rn_ev_state st = rn__event_state(r, k);
	bool bad = st == RN_EV_FAILED || st == RN_EV_FORBIDDEN;
	int x1 = col_x(col_of(r, e->from)), x2 = col_x(col_of(r, e->to));
	int y = TOP + (int)k * ROW_H + ROW_H / 2 + 6;
	char brief[BRIEF_N], geom[160];
	const char *label = rn__event_label(r, k);

	rn__event_brief(e, brief, sizeof(brief));
	buf_printf(b, "<g class=\"ev %s\" tabindex=\"0\"",
		   bad		    ? "fail"
		   : st == RN_EV_OK ? "ok"
				    : "plain");
	event_data(b, r, k);
	buf_puts(b, "><title>");
	text(b, e->summary ? e->summary : brief);
	buf_puts(b, "</title>");
	if (x1 == x2) /* both ends in one column: a loop */
		snprintf(geom, sizeof(geom), "d=\"M%d %d h40 v12 h-36\"", x1,
			 y - 6);
	else
		snprintf(geom, sizeof(geom), "d=\"M%d %d L%d %d\"", x1, y,
			 x2 + (x2 > x1 ? -2 : 2), y);
	buf_printf(b, "<path class=\"hit\" %s/>", geom);
	buf_printf(b, "<path class=\"arrow\" %s marker-end=\"url(#%s%zu)\"/>",
		   geom, bad ? "ahf" : "ah", ri);
	buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
		   x1 == x2 ? x1 + 60 : (x1 + x2) / 2, y - 6);
	if (*label) {
		buf_puts(b, "<tspan class=\"stp\">");
		text(b, label);
		buf_puts(b, "</tspan> ");
	}
	if (bad)
		buf_puts(b, st == RN_EV_FAILED ? "\xe2\x9c\x97 " : "! ");
	text(b, brief);
	buf_puts(b, "</text>");
	buf_printf(b,
		   "<text class=\"t\" x=\"6\" y=\"%d\">+%.1f ms</text></g>\n",
		   y + 4, (e->t - r->events[0].t) * 1000.0);
}

static void svg_write(struct buf *b, const struct rn_run *r, size_t ri)
{
	size_t ncols = r->nnodes + (has_other(r) ? 1 : 0);
	int w = LEFT_W + (int)(ncols ? ncols : 1) * COL_W;
	int h = TOP + (int)r->nevents * ROW_H + 16;

	buf_printf(b,
		   "<div class=\"ladder\"><svg width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" role=\"img\">\n<defs>",
		   w, h, w, h);
	/* One marker per colour: context-stroke is not everywhere yet. */
	buf_printf(b,
		   "<marker id=\"ah%zu\" viewBox=\"0 0 10 10\" refX=\"10\" "
		   "refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" "
		   "orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" "
		   "fill=\"#1565c0\"/></marker>"
		   "<marker id=\"ahf%zu\" viewBox=\"0 0 10 10\" refX=\"10\" "
		   "refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" "
		   "orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" "
		   "fill=\"#c62828\"/></marker></defs>\n",
		   ri, ri);
	for (size_t c = 0; c < ncols; c++) {
		buf_printf(b,
			   "<text class=\"node\" x=\"%d\" y=\"24\" "
			   "text-anchor=\"middle\">",
			   col_x(c));
		text(b, c < r->nnodes ? r->nodes[c] : "other");
		buf_printf(b,
			   "</text><line class=\"life\" x1=\"%d\" y1=\"34\" "
			   "x2=\"%d\" y2=\"%d\"/>\n",
			   col_x(c), col_x(c), h - 6);
	}
	for (size_t k = 0; k < r->nevents; k++)
		svg_event(b, r, ri, k);
	buf_puts(b, "</svg></div>\n");
}

/* ---- the rest of a run ------------------------------------------------- */

static void steps_table(struct buf *b, const struct rn_run *r)
{
	if (!r->nsteps)
		return;
	buf_puts(b, "<table class=\"steps\"><thead><tr><th>step</th>"
		    "<th>from</th><th>to</th><th>message</th><th>verdict</th>"
		    "<th>detail</th></tr></thead><tbody>\n");
	for (size_t k = 0; k < r->nsteps; k++) {
		const struct rn_step *s = &r->steps[k];
		const char *cls = s->skipped ? "skip" : s->ok ? "ok" : "fail";

		buf_printf(b, "<tr class=\"%s\"", cls);
		if (s->event >= 0 && (size_t)s->event < r->nevents)
			buf_printf(b, " data-ev=\"%d\"", s->event);
		buf_puts(b, "><td>");
		text(b, s->label);
		buf_puts(b, "</td><td>");
		text(b, s->from);
		buf_puts(b, "</td><td>");
		text(b, s->to);
		buf_puts(b, "</td><td>");
		text(b, s->what);
		buf_printf(b, "</td><td class=\"%s\">%s</td><td class=\"d\">",
			   s->ok || s->skipped ? "okc" : "failc",
			   s->skipped ? "skipped"
			   : s->ok    ? "ok"
				      : "FAILED");
		text(b, s->detail);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody></table>\n");
}

static void run_write(struct buf *b, const struct rn_run *r, size_t ri)
{
	buf_printf(b, "<section class=\"run\" id=\"run-%zu\">\n<h2>", ri);
	if (r->figure) {
		buf_puts(b, "<span class=\"fig\">");
		text(b, r->figure);
		buf_puts(b, "</span>");
	}
	text(b, r->title ? r->title : r->file);
	buf_printf(b, "<span class=\"verdict %s\">%s</span></h2>\n",
		   r->passed ? "pass" : "failv",
		   r->passed ? "PASSED" : "FAILED");
	if (r->purpose) {
		buf_puts(b, "<p class=\"purpose\">");
		text(b, r->purpose);
		buf_puts(b, "</p>\n");
	}
	if (r->notes) {
		buf_puts(b, "<p class=\"notes\">");
		text(b, r->notes);
		buf_puts(b, "</p>\n");
	}
	if (r->file) {
		buf_puts(b, "<p class=\"file\">scenario ");
		text(b, r->file);
		buf_puts(b, "</p>\n");
	}
	if (r->error) {
		buf_puts(b, "<p class=\"error\">");
		text(b, r->error);
		buf_puts(b, "</p>\n");
	}
	if (r->nevents)
		svg_write(b, r, ri);
	buf_puts(b, "<div class=\"msg\" hidden><div class=\"msg-head\"></div>"
		    "<pre></pre></div>\n");
	steps_table(b, r);
	buf_puts(b, "</section>\n");
}

int rn_html_write(const char *path, struct rn_run *const *runs, size_t n)
{
	size_t passed = 0;
	struct buf b;
	int err;

	if (!path || (n && !runs))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		passed += runs[i]->passed;
	buf_init(&b);
	buf_printf(&b,
		   "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		   "<meta charset=\"utf-8\">"
		   "<meta name=\"viewport\" content=\"width=device-width\">"
		   "<title>imstb: %zu passed, %zu failed</title>\n"
		   "<style>%s</style></head><body>\n<h1>imstb</h1>\n"
		   "<p>%zu scenario%s: %zu passed, %zu failed. Click an arrow "
		   "(or a step) to see the whole message.</p>\n",
		   passed, n - passed, rn__html_css, n, n == 1 ? "" : "s",
		   passed, n - passed);
	for (size_t i = 0; i < n; i++)
		run_write(&b, runs[i], i);
	buf_printf(&b, "<script>%s</script>\n</body></html>\n",
		   rn__html_js);
	err = rn__file_write(path, b.data, b.len);
	buf_close(&b);
	return err;
}
