/*
 * server.c - the listening side: accepts TCP connections and owns one
 * struct diam_peer per connection (each waits for its CER, peer.c).
 */
#include "diam/peer_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct diam_server {
	uv_loop_t *loop; /* borrowed */
	struct diam_conf conf;
	struct diam_handlers h;
	uv_tcp_t tcp;
	struct diam_peer *peers; /* one reference each */
};

void diam__server_unlink(struct diam_server *s, struct diam_peer *p)
{
	struct diam_peer **pp;

	for (pp = &s->peers; *pp; pp = &(*pp)->srv_next) {
		if (*pp == p) {
			*pp = p->srv_next;
			p->srv_next = NULL;
			p->srv = NULL;
			obj_unref(p);
			return;
		}
	}
}

static void on_server_close(uv_handle_t *h)
{
	free(h->data);
}

static void on_connection(uv_stream_t *l, int status)
{
	struct diam_server *s = l->data;
	struct diam_peer *p;

	if (status < 0) {
		log_warn("diam: accept: %s", uv_strerror(status));
		return;
	}
	p = diam__peer_accept(s, s->loop, &s->conf, &s->h, l);
	if (!p)
		return;
	p->srv_next = s->peers;
	s->peers = p;
}

int diam_server_new(struct diam_server **out, uv_loop_t *loop,
		    const struct diam_conf *conf, const struct diam_handlers *h,
		    const struct sockaddr *bind)
{
	struct diam_server *s;
	int err;

	if (!out || !loop || !conf || !bind || !conf->local.host ||
	    !conf->local.realm)
		return -EINVAL;
	s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->conf = *conf;
	if (h)
		s->h = *h;
	uv_tcp_init(loop, &s->tcp);
	s->tcp.data = s;
	err = uv_tcp_bind(&s->tcp, bind, 0);
	if (!err)
		err = uv_listen((uv_stream_t *)&s->tcp, 16, on_connection);
	if (err) {
		/* The handle is initialised: free only once it is closed. */
		uv_close((uv_handle_t *)&s->tcp, on_server_close);
		goto out;
	}
	*out = s;
out:
	return err;
}

int diam_server_addr(const struct diam_server *s, struct sockaddr_storage *ss)
{
	int len = sizeof(*ss);

	return uv_tcp_getsockname(&s->tcp, (struct sockaddr *)ss, &len);
}

void diam_server_free(struct diam_server *s)
{
	struct diam_peer *p;

	if (!s)
		return;
	while ((p = s->peers)) {
		s->peers = p->srv_next;
		p->srv_next = NULL;
		p->srv = NULL;
		diam_peer_free(p); /* drops the server's reference */
	}
	uv_close((uv_handle_t *)&s->tcp, on_server_close);
}
