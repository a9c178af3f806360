/*
 * tls.c - the TLS engine of a stream: OpenSSL with two memory BIOs, so no
 * call ever blocks. Ciphertext read from the socket goes into rbio; the
 * handshake and SSL_read run over it; whatever OpenSSL writes to wbio
 * (handshake flights, records, alerts, tickets, close_notify) is drained
 * into uv_write right after each call. The OpenSSL error queue is cleared
 * before every call whose result SSL_get_error interprets (SSL_get_error(3)).
 */
#include "tls/tls_int.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

bool tls__is_ip(const char *s)
{
	unsigned char b[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

int tls__stream_init(struct stream *s, const char *sni, const char *ip)
{
	struct tls_ctx *c = s->tls;
	const char *name = sni && *sni ? sni : ip;
	int err = 0;

	s->ssl = SSL_new(c->ctx);
	if (!s->ssl) {
		err = -EPROTO;
		goto out;
	}
	s->rbio = BIO_new(BIO_s_mem());
	s->wbio = BIO_new(BIO_s_mem());
	if (!s->rbio || !s->wbio) {
		BIO_free(s->rbio);
		BIO_free(s->wbio);
		s->rbio = s->wbio = NULL;
		err = -EPROTO;
		goto out;
	}
	/* An empty memory BIO must mean "retry later", not end of file. */
	BIO_set_mem_eof_return(s->rbio, -1);
	BIO_set_mem_eof_return(s->wbio, -1);
	SSL_set_bio(s->ssl, s->rbio, s->wbio);
	if (c->server) {
		SSL_set_accept_state(s->ssl);
		goto out;
	}
	SSL_set_connect_state(s->ssl);
	/* RFC 6066 §3: SNI carries DNS names only, never address literals. */
	if (sni && *sni && !tls__is_ip(sni) &&
	    SSL_set_tlsext_host_name(s->ssl, sni) != 1)
		err = -EINVAL;
	if (err || !c->verify || !name)
		goto out;
	/* RFC 6125 §6: the name we asked for must be in the certificate;
	 * an address is matched against its iPAddress SAN entries. */
	if (tls__is_ip(name)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl),
						  name) != 1)
			err = -EINVAL;
	} else {
		SSL_set_hostflags(s->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (SSL_set1_host(s->ssl, name) != 1)
			err = -EINVAL;
	}
out:
	ERR_clear_error();
	return err;
}

void tls__stream_free(struct stream *s)
{
	SSL_free(s->ssl); /* and its BIOs */
	s->ssl = NULL;
	s->rbio = s->wbio = NULL;
}

/* Moves what OpenSSL wrote into a uv_write. 0 or the stream failed. */
static int tls_flush(struct stream *s)
{
	size_t n = BIO_ctrl_pending(s->wbio);
	struct stream__wreq *w;
	int got;

	if (!n)
		return 0;
	if (n > INT_MAX)
		n = INT_MAX;
	w = stream__wreq_new(n);
	got = BIO_read(s->wbio, w->data, (int)n);
	w->len = got > 0 ? (size_t)got : 0;
	return stream__wreq_send(s, w);
}

static void tls_report(struct stream *s, const char *what, int sslerr)
{
	char peer[INET6_ADDRSTRLEN] = "?", reason[256] = "";
	const struct sockaddr *sa = stream_peer(s);
	unsigned long e = ERR_get_error();
	long vr = SSL_get_verify_result(s->ssl);

	if (sa->sa_family == AF_INET)
		uv_ip4_name((const struct sockaddr_in *)sa, peer, sizeof(peer));
	else if (sa->sa_family == AF_INET6)
		uv_ip6_name((const struct sockaddr_in6 *)sa, peer,
			    sizeof(peer));
	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	else if (sslerr == SSL_ERROR_SYSCALL)
		snprintf(reason, sizeof(reason), "unexpected end of stream");
	log_info("tls: %s with %s failed: %s%s%s", what, peer,
		 reason[0] ? reason : "error", vr != X509_V_OK ? ": " : "",
		 vr != X509_V_OK ? X509_verify_cert_error_string(vr) : "");
	ERR_clear_error();
}

void tls__start(struct stream *s)
{
	tls__pump(s);
}

void tls__input(struct stream *s, const char *p, size_t n)
{
	/* A memory BIO takes everything (it grows). */
	if (BIO_write(s->rbio, p, (int)n) != (int)n) {
		stream__fail(s, -EPROTO);
		return;
	}
	tls__pump(s);
}

static bool want_more(int sslerr)
{
	return sslerr == SSL_ERROR_WANT_READ || sslerr == SSL_ERROR_WANT_WRITE;
}

void tls__pump(struct stream *s)
{
	char buf[16384]; /* one record's worth (RFC 8446 §5.1) */
	int r, e;

	if (s->state == STREAM_HANDSHAKE) {
		ERR_clear_error();
		r = SSL_do_handshake(s->ssl);
		e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(s->ssl, r);
		/* Flight or alert first: the peer learns why. */
		if (tls_flush(s) != 0)
			return;
		if (r != 1) {
			if (want_more(e))
				return;
			tls_report(s, "handshake", e);
			stream__fail(s, -EPROTO);
			return;
		}
		s->hs_done = true;
		stream__opened(s);
	}
	while (s->state == STREAM_OPEN && !s->paused) {
		ERR_clear_error();
		r = SSL_read(s->ssl, buf, sizeof(buf));
		if (r > 0) {
			stream__deliver(s, buf, (size_t)r);
			continue;
		}
		e = SSL_get_error(s->ssl, r);
		if (tls_flush(s) != 0 || want_more(e))
			return;
		if (e == SSL_ERROR_ZERO_RETURN) {
			/* close_notify: answer with ours, close cleanly. */
			stream__begin_close(s, 0);
			return;
		}
		tls_report(s, "read", e);
		stream__fail(s, -EPROTO);
		return;
	}
	if (s->state == STREAM_OPEN)
		tls_flush(s);
}

bool tls__has_input(const struct stream *s)
{
	return SSL_pending(s->ssl) > 0 || BIO_ctrl_pending(s->rbio) > 0;
}

int tls__write(struct stream *s, const void *p, size_t n)
{
	int r, err = 0;

	ERR_clear_error();
	/* No partial writes: a memory BIO never refuses bytes. */
	r = SSL_write(s->ssl, p, (int)n);
	if (r <= 0) {
		tls_report(s, "write", SSL_get_error(s->ssl, r));
		stream__fail(s, -EPROTO);
		err = -EPROTO;
		goto out;
	}
	err = tls_flush(s);
out:
	return err;
}

void tls__shutdown(struct stream *s)
{
	if (!s->hs_done)
		return;
	ERR_clear_error();
	/* 0 = ours sent, theirs not seen yet: we do not wait for it. */
	SSL_shutdown(s->ssl);
	ERR_clear_error();
	tls_flush(s);
}

const char *stream_tls_version(const struct stream *s)
{
	return s->ssl && s->hs_done ? SSL_get_version(s->ssl) : "";
}
