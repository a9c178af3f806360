/*
 * tls_int.h - private to lib/tls: the stream object, and what stream.c
 * (TCP, timers, lifecycle) and tls.c (the OpenSSL engine) ask of each
 * other. Included only inside the module.
 */
#ifndef IMSTB_TLS_INT_H
#define IMSTB_TLS_INT_H

#include <stdio.h>

#include <openssl/ssl.h>

#include "tls/stream.h"

#define STREAM_MAX_PENDING  (1024 * 1024)
#define STREAM_HANDSHAKE_MS 10000
/* How long an orderly close may wait for queued bytes to leave. */
#define STREAM_LINGER_MS 2000
#define STREAM_RX_SIZE	 32768

struct tls_ctx {
	SSL_CTX *ctx; /* owned */
	bool server;
	bool verify;  /* client: check the peer's chain and name */
	FILE *keylog; /* owned; NULL = off */
};

enum stream_state {
	STREAM_CONNECTING, /* TCP connect under way */
	STREAM_HANDSHAKE,  /* TLS handshake under way */
	STREAM_OPEN,
	STREAM_CLOSING, /* orderly: queued bytes drain, then FIN */
	STREAM_CLOSED,	/* handles closing; close callback pending */
};

/* One outgoing chunk, handed to uv_write; freed by its callback. */
struct stream__wreq {
	uv_write_t req;
	size_t len;
	char data[];
};

struct stream {
	uv_tcp_t tcp; /* tcp.data and timer.data point back here */
	uv_timer_t timer;
	uv_connect_t connect_req;
	uv_shutdown_t shutdown_req;
	uv_loop_t *loop;	     /* borrowed */
	struct stream_listener *lst; /* borrowed; NULL when outgoing */
	struct stream *prev, *next;  /* in lst's list */

	struct stream_cbs cbs;
	bool cbs_set;
	stream_trace_cb *trace;
	void *trace_arg;
	stream_drain_cb *drain;
	void *drain_arg;
	struct stream_limits lim; /* defaults resolved */

	enum stream_state state;
	int err;     /* what the close callback reports */
	int handles; /* uv handles not closed yet */
	bool open_fired;
	bool silent; /* no callback ever (failed stream_connect) */
	bool paused;
	bool shutdown_sent;   /* uv_shutdown queued */
	bool shut_done;	      /* ... and done: our FIN is out */
	bool peer_eof;	      /* the peer's FIN (or error) while closing */
	bool first_byte_wait; /* plain listener with handshake_ms set */
	bool kick;	      /* timer at 0: drain what TLS holds (resume) */
	uint64_t t_start;     /* uv_now() when the current phase began */
	uint64_t last_io;     /* uv_now() of the last read or write */
	size_t pending;	      /* bytes queued, not yet written */
	struct buf early;     /* written before open, sent at open */

	struct tls_ctx *tls; /* borrowed; NULL = plain */
	SSL *ssl;	     /* owned, with its two BIOs */
	BIO *rbio, *wbio;    /* borrowed from ssl */
	bool hs_done;

	struct sockaddr_storage peer, local;
};

struct stream_listener {
	uv_tcp_t tcp;
	uv_loop_t *loop;     /* borrowed */
	struct tls_ctx *tls; /* borrowed */
	struct stream_limits lim;
	bool hs_explicit; /* handshake_ms given: plain first-byte limit */
	stream_accept_cb *cb;
	void *arg;
	struct stream *head; /* accepted and not finished (borrowed) */
	uint16_t port;
};

/* ---- stream.c, for tls.c ------------------------------------------------- */

struct stream__wreq *stream__wreq_new(size_t n);
/* Takes ownership of w. 0, or a uv error (the stream is then failed). */
int stream__wreq_send(struct stream *s, struct stream__wreq *w);
void stream__opened(struct stream *s);
void stream__deliver(struct stream *s, const char *p, size_t n);
/* Fails the stream: open(err) if open has not run yet, then close(err). */
void stream__fail(struct stream *s, int err);
/* Orderly close (after queued bytes), reporting err. */
void stream__begin_close(struct stream *s, int err);

/* ---- tls.c, for stream.c ------------------------------------------------- */

/* Creates the SSL of s (SNI and name check on the client side). ip is the
 * address connected to, checked when no DNS name is given. */
int tls__stream_init(struct stream *s, const char *sni, const char *ip);
/* Client: sends the ClientHello. */
void tls__start(struct stream *s);
/* Feeds received ciphertext, then runs tls__pump. */
void tls__input(struct stream *s, const char *p, size_t n);
/* Handshake step, then plaintext to the read callback until the engine
 * is dry, the stream is paused, or it closes. */
void tls__pump(struct stream *s);
/* True if plaintext or ciphertext waits inside the engine. */
bool tls__has_input(const struct stream *s);
int tls__write(struct stream *s, const void *p, size_t n);
/* Queues close_notify (RFC 8446 §6.1, RFC 5246 §7.2.1). */
void tls__shutdown(struct stream *s);
void tls__stream_free(struct stream *s);
/* A numeric IPv4 or IPv6 address. */
bool tls__is_ip(const char *s);

#endif
