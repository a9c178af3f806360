/*
 * stream.h - a byte stream on libuv: plain TCP, or TLS over TCP (OpenSSL
 * through memory BIOs, so the loop never blocks). HTTP (lib/http) and
 * WebSocket (lib/ws) sit on this one interface and never know which it is.
 *
 * Ownership: a struct stream is an obj (base.h). The stack holds one
 * reference while the connection is open; whoever keeps a pointer past a
 * callback takes its own (obj_ref) and drops it (obj_unref). After the
 * close callback no other callback runs; writes return -ECANCELED from the
 * moment a close starts (stream_close, stream_abort, a failure).
 *
 * Callback guarantees, per stream, in this order:
 *   open(s, 0)             once, when usable (after the TLS handshake; at
 *                          once for plain TCP). open(s, err<0) instead if
 *                          the connect or handshake failed; then close.
 *   read(s, p, n)          0..N times; p valid only during the call
 *   close(s, err)          exactly once, always from the loop (never from
 *                          inside a stream_* call); err 0 for an orderly
 *                          close (peer EOF, TLS close_notify, stream_close,
 *                          stream_listener_close), else the cause
 *                          (-ETIMEDOUT handshake/idle, -EPROTO TLS failure:
 *                          bad bytes, no common version, certificate
 *                          rejected; -ECONNREFUSED, -ECONNRESET,
 *                          -ECONNABORTED after stream_abort ...)
 * A call that takes a callback and fails never runs that callback.
 *
 * Limits: max_pending bytes of unsent data per stream (stream_write then
 * returns -ENOBUFS: the caller closes or slows down, see the drain
 * callback); handshake_ms for the TLS handshake (and for the first byte on
 * a plain listener if set; on a connecting stream it bounds connect +
 * handshake together); idle_ms without any read or write closes the stream
 * (orderly) with -ETIMEDOUT.
 *
 * Bytes written before open are held (they count in max_pending) and sent
 * when the stream opens. An orderly close sends what is queued, then
 * close_notify (TLS) and FIN, then reads and discards until the peer's EOF
 * (at most 2 s) before closing the socket, so that unread input never
 * turns into an RST that would destroy the last answer at the peer.
 * The process must ignore SIGPIPE (libuv writes with write(2)).
 */
#ifndef IMSTB_STREAM_H
#define IMSTB_STREAM_H

#include <sys/socket.h>
#include <uv.h>

#include "base/base.h"

struct stream;
struct stream_listener;
struct tls_ctx;

typedef void(stream_open_cb)(struct stream *s, int err, void *arg);
typedef void(stream_read_cb)(struct stream *s, const char *p, size_t n,
			     void *arg);
typedef void(stream_close_cb)(struct stream *s, int err, void *arg);
/* A new connection on a listener: set its callbacks with stream_set_cbs
 * before returning (else it is closed). Its open callback follows. */
typedef void(stream_accept_cb)(struct stream_listener *l, struct stream *s,
			       void *arg);
/* Every chunk of plaintext sent or received (for traces of HTTP/WS
 * traffic: TLS is decrypted here, where it is known). */
typedef void(stream_trace_cb)(struct stream *s, bool sent, const char *p,
			      size_t n, void *arg);
/* Every queued byte has been handed to the kernel (stream_pending() went
 * back to 0): a writer that met -ENOBUFS may go on. */
typedef void(stream_drain_cb)(struct stream *s, void *arg);

struct stream_cbs {
	stream_open_cb *open;   /* may be NULL */
	stream_read_cb *read;
	stream_close_cb *close;
	void *arg;
};

struct stream_limits { /* 0 = default */
	size_t max_pending;    /* 1 MiB */
	uint64_t handshake_ms; /* 10000 */
	uint64_t idle_ms;      /* 0 = none */
};

/* ---- TLS contexts ------------------------------------------------------ */

/* Server context from PEM files (TLS 1.2 and 1.3, no renegotiation, AEAD
 * ECDHE/DHE suites for 1.2). err names the file and the first OpenSSL
 * reason. -ENOENT (missing file), -EINVAL (unreadable, bad PEM, key that
 * does not match). */
int tls_ctx_server_new(struct tls_ctx **out, const char *cert_pem,
		       const char *key_pem, char *err, size_t errlen);
/* Client context: ca_pem NULL = do not verify the peer (testbed use with
 * self-signed certificates), else verify against it: chain, and the name
 * (the SNI, else the IP connected to, against the SAN). -ENOENT, -EINVAL.
 * A failed verification is a handshake failure: open(-EPROTO). */
int tls_ctx_client_new(struct tls_ctx **out, const char *ca_pem, char *err,
		       size_t errlen);
/* NSS key log (SSLKEYLOGFILE format) appended to path, so Wireshark can
 * decrypt a capture. NULL/"" turns it off. The file is created 0600;
 * each line is flushed at once. -errno from open(2). */
int tls_ctx_keylog(struct tls_ctx *c, const char *path);
/* Narrows the protocol versions: "1.2" or "1.3" each, NULL = unchanged
 * (the default is 1.2 to 1.3). -EINVAL for anything else. */
int tls_ctx_versions(struct tls_ctx *c, const char *min, const char *max);
void tls_ctx_free(struct tls_ctx *c);

/* Writes a self-signed EC P-256 certificate (SAN: DNS names and IPs
 * listed, comma-separated, e.g. "localhost,127.0.0.1") and its key, if the
 * files do not exist yet (0 with *created = false when they do). Missing
 * directories are made; the key file is 0600. CN cn, ten years, random
 * serial, CA:TRUE so a client can take the certificate as its own CA.
 * -EINVAL (no cn, empty or odd SAN entry), -EPROTO (OpenSSL), -errno
 * (files). err says which. */
int tls_selfsigned_make(const char *cert_pem, const char *key_pem,
			const char *cn, const char *sans, bool *created,
			char *err, size_t errlen);

/* ---- listeners and connections ------------------------------------------ */

/* Listens on ip:port (port 0: OS-chosen); tls NULL = plain TCP. tls is
 * borrowed and must outlive the listener. */
int stream_listen(struct stream_listener **out, uv_loop_t *loop,
		  const char *ip, uint16_t port, struct tls_ctx *tls,
		  const struct stream_limits *lim, stream_accept_cb *cb,
		  void *arg);
uint16_t stream_listener_port(const struct stream_listener *l);
/* Stops accepting and closes every stream it accepted that is still open
 * (stream_close: each gets its close callback, with 0); frees l when its
 * handle is closed. */
void stream_listener_close(struct stream_listener *l);

/* Connects to ip:port (numeric); tls NULL = plain; sni may be NULL (a DNS
 * name goes into the ClientHello; an IP literal is only checked). The
 * returned reference is the caller's. -EINVAL (bad address, server tls
 * context), or libuv's error. */
int stream_connect(struct stream **out, uv_loop_t *loop, const char *ip,
		   uint16_t port, struct tls_ctx *tls, const char *sni,
		   const struct stream_limits *lim,
		   const struct stream_cbs *cbs);

void stream_set_cbs(struct stream *s, const struct stream_cbs *cbs);
void stream_set_trace(struct stream *s, stream_trace_cb *cb, void *arg);
void stream_set_drain(struct stream *s, stream_drain_cb *cb, void *arg);
/* Queues bytes (copied). -ENOBUFS over max_pending (nothing queued; a
 * single write larger than max_pending never fits: split it), -ECANCELED
 * closing or closed. The trace hook sees them here. */
int stream_write(struct stream *s, const void *p, size_t n);
/* Orderly close once queued bytes are written (TLS: close_notify). Before
 * open: no open callback, close(0). */
void stream_close(struct stream *s);
/* Immediate close (RST where possible), for misbehaving peers. */
void stream_abort(struct stream *s);
void stream_pause(struct stream *s); /* stop reading */
/* Plaintext TLS already holds is delivered from the loop, not from
 * inside stream_resume. */
void stream_resume(struct stream *s);

const struct sockaddr *stream_peer(const struct stream *s);
const struct sockaddr *stream_local(const struct stream *s);
bool stream_is_tls(const struct stream *s);
/* "tcp" or "tls" (for traces). */
const char *stream_transport(const struct stream *s);
size_t stream_pending(const struct stream *s);
/* Negotiated TLS version ("TLSv1.3"), "" for plain. */
const char *stream_tls_version(const struct stream *s);

#endif
