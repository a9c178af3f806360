/* app_diam.c - trace events for Diameter messages. Kept apart from app.c
 * so that a process without Diameter does not link lib/diam. */
#include "app/app.h"

#include <stdio.h>

#include "diam/diam.h"
#include "diam/diam_peer.h"

/* Summary: "MAR user=alice@ims.example.com" for requests, "MAA 2001" or
 * "MAA exp 5001" for answers; the raw bytes carry everything else. */
static void summarize(char *out, size_t n, const void *raw, size_t len)
{
	struct diam_msg m;
	struct diam_avp a;
	uint32_t rc, vendor;
	bool exp = false, req;
	int used;

	if (diam_msg_parse(&m, raw, len, NULL)) {
		snprintf(out, n, "Diameter (malformed, %zu bytes)", len);
		return;
	}
	req = m.flags & DIAM_FLAG_R;
	used = snprintf(out, n, "%s", diam_cmd_name(m.cmd, req));
	if (used < 0 || (size_t)used >= n)
		return;
	if (req && diam_msg_find(&m, 1 /* User-Name */, 0, &a) == 0)
		snprintf(out + used, n - (size_t)used, " user=%.*s",
			 SV_ARG(a.data));
	else if (!req && diam_msg_result(&m, &rc, &exp, &vendor) == 0)
		snprintf(out + used, n - (size_t)used, " %s%u",
			 exp ? "exp " : "", rc);
}

static void emit(struct trace *t, enum trace_dir dir,
		 const struct sockaddr *local, const struct sockaddr *peer,
		 const void *raw, size_t len)
{
	char summary[192];

	if (!trace_on(t))
		return;
	summarize(summary, sizeof(summary), raw, len);
	trace_emit(t, &(struct trace_event){
			      .dir = dir,
			      .proto = "diameter",
			      .transport = "tcp",
			      .local = local,
			      .peer = peer,
			      .summary = sv_from_cstr(summary),
			      .raw = raw,
			      .len = len,
		      });
}

void app_trace_diam(struct trace *t, bool sent, const struct sockaddr *local,
		    const struct sockaddr *peer, const void *raw, size_t len)
{
	emit(t, sent ? TRACE_SEND : TRACE_RECV, local, peer, raw, len);
}

int app_fault_diam(void *arg, const struct sockaddr *local,
		   const struct sockaddr *peer, const void *raw, size_t len)
{
	int v = trace_fault_check(arg, "diameter", peer, raw, len);

	if (v < 0)
		emit(arg, TRACE_DROP, local, peer, raw, len);
	return v;
}

void app_diam_fault(struct diam_handlers *h, struct trace *t)
{
	if (!t || !t->fault)
		return;
	h->filter = app_fault_diam;
	h->filter_arg = t;
}
