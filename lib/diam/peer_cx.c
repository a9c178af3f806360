/*
 * peer_cx.c - Cx conveniences over the peer: fill the origin from the local
 * identity and make a Session-Id, then build and send.
 */
#include "diam/peer_int.h"

#include <stdio.h>

int diam_peer_send_request_cx(struct diam_peer *p, const struct diam_cx *req,
			      diam_answer_cb *cb, void *arg)
{
	struct diam_cx c = *req;
	char sid[320];
	struct buf b;
	int err;

	if (!c.origin_host.p)
		c.origin_host = sv_from_cstr(p->conf.local.host);
	if (!c.origin_realm.p)
		c.origin_realm = sv_from_cstr(p->conf.local.realm);
	if (!c.session_id.p) {
		/* RFC 6733 §8.8: <DiameterIdentity>;<high 32>;<low 32> */
		snprintf(sid, sizeof(sid), "%s;%u;%u", p->conf.local.host,
			 (unsigned)p->sess_hi, (unsigned)++p->sess_lo);
		c.session_id = sv_from_cstr(sid);
	}
	c.request = true;
	buf_init(&b);
	err = diam_cx_build(&b, &c, 0, 0);
	if (!err)
		err = diam_peer_send_request(p, b.data, b.len, cb, arg, NULL);
	buf_close(&b);
	return err;
}

int diam_peer_send_answer_cx(struct diam_peer *p, const struct diam_cx *ans)
{
	struct diam_cx c = *ans;
	struct buf b;
	int err;

	if (!c.origin_host.p)
		c.origin_host = sv_from_cstr(p->conf.local.host);
	if (!c.origin_realm.p)
		c.origin_realm = sv_from_cstr(p->conf.local.realm);
	c.request = false;
	buf_init(&b);
	err = diam_cx_build(&b, &c, c.hbh, c.e2e);
	if (!err)
		err = diam_peer_send_answer(p, b.data, b.len);
	buf_close(&b);
	return err;
}
