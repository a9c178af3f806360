/*
 * cert.c - TLS contexts (server, client, key log, versions) and the
 * self-signed certificate the testbed makes on first start.
 *
 * Context policy: TLS 1.2 (RFC 5246) and 1.3 (RFC 8446) only, no
 * renegotiation (RFC 5746 is moot), no compression (CRIME), and for 1.2
 * only forward-secret AEAD suites (RFC 7525 §4.2); 1.3 keeps OpenSSL's
 * suites, which are all AEAD.
 */
#include "tls/tls_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

/* TLS 1.2 suites: ECDHE (forward secrecy) with AEAD only; no RSA key
 * exchange, no CBC, no SHA-1 MACs, no RC4/3DES/NULL/anon/export (issue 9;
 * BSI TR-02102-2 and Mozilla "intermediate" agree). TLS 1.3's own suites
 * are all AEAD and stay at OpenSSL's default. */
#define TLS12_CIPHERS                                                          \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"           \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/* "what: first OpenSSL reason" into err; clears the error queue. */
static void ssl_errstr(char *err, size_t errlen, const char *what)
{
	char reason[256] = "unknown error";
	unsigned long e = ERR_get_error();

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what, reason);
	ERR_clear_error();
}

static void sys_errstr(char *err, size_t errlen, const char *what, int e)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what, strerror(e));
}

static int ctx_make(struct tls_ctx **out, bool server, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	int rc = 0;

	*out = NULL;
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS)) {
		ssl_errstr(err, errlen, "SSL_CTX");
		SSL_CTX_free(ctx);
		rc = -EINVAL;
		goto out;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_NO_COMPRESSION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* An idle connection gives back its record buffers (about 34 KiB:
	 * a wsf holding 10^4 WebSockets is mostly idle connections). */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	*out = xcalloc(1, sizeof(**out));
	(*out)->ctx = ctx;
	(*out)->server = server;
	SSL_CTX_set_app_data(ctx, *out);
out:
	return rc;
}

static int file_check(const char *path, char *err, size_t errlen)
{
	if (!path || !*path) {
		sys_errstr(err, errlen, "(no file)", EINVAL);
		return -EINVAL;
	}
	if (access(path, R_OK) != 0) {
		int e = errno;

		sys_errstr(err, errlen, path, e);
		return e == ENOENT ? -ENOENT : -EINVAL;
	}
	return 0;
}

int tls_ctx_server_new(struct tls_ctx **out, const char *cert_pem,
		       const char *key_pem, char *err, size_t errlen)
{
	struct tls_ctx *c = NULL;
	int rc;

	*out = NULL;
	rc = file_check(cert_pem, err, errlen);
	if (!rc)
		rc = file_check(key_pem, err, errlen);
	if (!rc)
		rc = ctx_make(&c, true, err, errlen);
	if (rc)
		goto out;
	ERR_clear_error();
	if (SSL_CTX_use_certificate_chain_file(c->ctx, cert_pem) != 1) {
		ssl_errstr(err, errlen, cert_pem);
		rc = -EINVAL;
	} else if (SSL_CTX_use_PrivateKey_file(c->ctx, key_pem,
					       SSL_FILETYPE_PEM) != 1 ||
		   SSL_CTX_check_private_key(c->ctx) != 1) {
		ssl_errstr(err, errlen, key_pem);
		rc = -EINVAL;
	}
	if (rc) {
		tls_ctx_free(c);
		goto out;
	}
	*out = c;
out:
	return rc;
}

int tls_ctx_client_new(struct tls_ctx **out, const char *ca_pem, char *err,
		       size_t errlen)
{
	struct tls_ctx *c = NULL;
	int rc = 0;

	*out = NULL;
	if (ca_pem && (rc = file_check(ca_pem, err, errlen)) != 0)
		goto out;
	if ((rc = ctx_make(&c, false, err, errlen)) != 0)
		goto out;
	if (ca_pem) {
		ERR_clear_error();
		if (SSL_CTX_load_verify_locations(c->ctx, ca_pem, NULL) != 1) {
			ssl_errstr(err, errlen, ca_pem);
			tls_ctx_free(c);
			rc = -EINVAL;
			goto out;
		}
		c->verify = true;
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	}
	*out = c;
out:
	return rc;
}

/* One NSS key log line per secret, flushed at once so a capture being
 * read by Wireshark while we run can be decrypted. */
static void keylog_cb(const SSL *ssl, const char *line)
{
	struct tls_ctx *c = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));

	if (!c || !c->keylog)
		return;
	fputs(line, c->keylog);
	fputc('\n', c->keylog);
	fflush(c->keylog);
}

int tls_ctx_keylog(struct tls_ctx *c, const char *path)
{
	int fd, err = 0;

	if (c->keylog) {
		fclose(c->keylog);
		c->keylog = NULL;
	}
	SSL_CTX_set_keylog_callback(c->ctx, NULL);
	if (!path || !*path)
		goto out;
	/* Secrets: readable by the owner only. */
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	c->keylog = fdopen(fd, "a");
	if (!c->keylog) {
		err = -errno;
		close(fd);
		goto out;
	}
	SSL_CTX_set_keylog_callback(c->ctx, keylog_cb);
out:
	return err;
}

static int version_parse(const char *v, int *out)
{
	if (!v)
		return 0;
	if (strcmp(v, "1.2") == 0)
		*out = TLS1_2_VERSION;
	else if (strcmp(v, "1.3") == 0)
		*out = TLS1_3_VERSION;
	else
		return -EINVAL;
	return 0;
}

int tls_ctx_versions(struct tls_ctx *c, const char *min, const char *max)
{
	int lo = 0, hi = 0, err;

	err = version_parse(min, &lo);
	if (!err)
		err = version_parse(max, &hi);
	if (!err && lo && hi && lo > hi)
		err = -EINVAL;
	if (err)
		goto out;
	if ((lo && !SSL_CTX_set_min_proto_version(c->ctx, lo)) ||
	    (hi && !SSL_CTX_set_max_proto_version(c->ctx, hi)))
		err = -EINVAL;
	ERR_clear_error();
out:
	return err;
}

void tls_ctx_free(struct tls_ctx *c)
{
	if (!c)
		return;
	/* Streams still closing hold the SSL_CTX; keep them off c. */
	SSL_CTX_set_app_data(c->ctx, NULL);
	SSL_CTX_free(c->ctx);
	if (c->keylog)
		fclose(c->keylog);
	free(c);
}

/* ---- self-signed certificate --------------------------------------------- */

/* mkdir -p of the directory part of path. */
static int parents_make(const char *path)
{
	char *dir = xstrdup(path), *p;
	int err = 0;

	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			err = -errno;
			break;
		}
		*p = '/';
	}
	free(dir);
	return err;
}

/* "localhost, 127.0.0.1" -> "DNS:localhost,IP:127.0.0.1" (X509V3 conf
 * syntax, RFC 5280 §4.2.1.6). -EINVAL for an empty or odd entry. */
static int san_build(const char *sans, struct buf *out)
{
	struct sv rest = sv_from_cstr(sans), item;
	char name[256];
	int err = 0;

	while (rest.len && !err) {
		rest = sv_split(rest, ',', &item);
		item = sv_trim(item);
		if (!item.len || sv_copy(item, name, sizeof(name)) != 0 ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:*") !=
			    item.len ||
		    (strchr(name, ':') && !tls__is_ip(name))) {
			err = -EINVAL;
			break;
		}
		buf_printf(out, "%s%s:%s", out->len ? "," : "",
			   tls__is_ip(name) ? "IP" : "DNS", name);
	}
	return err;
}

static int ext_add(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v3, nid, value);
	int ok = e && X509_add_ext(x, e, -1) == 1;

	X509_EXTENSION_free(e);
	return ok ? 0 : -EPROTO;
}

/* An X.509 v3 certificate signed by its own key (RFC 5280): random
 * 159-bit serial (§4.1.2.2: positive, at most 20 octets), valid from an
 * hour ago for ten years, CA:TRUE so a client can take it as its own
 * trust anchor. */
static X509 *cert_build(EVP_PKEY *key, const char *cn, const char *san)
{
	X509 *x = X509_new();
	BIGNUM *bn = BN_new();
	X509_NAME *name;
	X509V3_CTX v3;
	bool ok;

	ok = x && bn && X509_set_version(x, X509_VERSION_3) &&
	     BN_rand(bn, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
	     X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
	     X509_time_adj_ex(X509_getm_notAfter(x), 3653, 0, NULL) &&
	     X509_set_pubkey(x, key);
	name = ok ? X509_get_subject_name(x) : NULL;
	ok = ok &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) &&
	     X509_set_issuer_name(x, name);
	if (ok) {
		X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
		ok = !ext_add(x, &v3, NID_basic_constraints,
			      "critical,CA:TRUE") &&
		     !ext_add(x, &v3, NID_key_usage,
			      "critical,digitalSignature,keyCertSign") &&
		     !ext_add(x, &v3, NID_ext_key_usage,
			      "serverAuth,clientAuth") &&
		     !ext_add(x, &v3, NID_subject_key_identifier, "hash") &&
		     !ext_add(x, &v3, NID_subject_alt_name, san) &&
		     X509_sign(x, key, EVP_sha256()) > 0;
	}
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* Writes path.tmp with mode, then renames it over path, so a reader never
 * sees half a file. Exactly one of x and key is set. */
static int pem_write(const char *path, mode_t mode, X509 *x, EVP_PKEY *key)
{
	struct buf tmp;
	FILE *f = NULL;
	int fd, ok, err = 0;

	buf_init(&tmp);
	buf_printf(&tmp, "%s.tmp", path);
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) != 0 || !(f = fdopen(fd, "w"))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	ok = x ? PEM_write_X509(f, x)
	       : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) != 0 || !ok)
		err = -EIO;
	if (!err && rename(tmp.data, path) != 0)
		err = -errno;
out:
	if (err && fd >= 0)
		unlink(tmp.data);
	buf_close(&tmp);
	return err;
}

int tls_selfsigned_make(const char *cert_pem, const char *key_pem,
			const char *cn, const char *sans, bool *created,
			char *err, size_t errlen)
{
	struct buf san;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	bool dummy;
	int rc = 0;

	created = created ? created : &dummy;
	*created = false;
	buf_init(&san);
	if (!cert_pem || !*cert_pem || !key_pem || !*key_pem || !cn || !*cn ||
	    !sans) {
		sys_errstr(err, errlen, "tls_selfsigned_make", EINVAL);
		rc = -EINVAL;
		goto out;
	}
	if (access(cert_pem, F_OK) == 0 && access(key_pem, F_OK) == 0)
		goto out;
	if (san_build(sans, &san) != 0 || !san.len) {
		if (err && errlen)
			snprintf(err, errlen, "bad subjectAltName list \"%s\"",
				 sans);
		rc = -EINVAL;
		goto out;
	}
	if ((rc = parents_make(cert_pem)) != 0 ||
	    (rc = parents_make(key_pem)) != 0) {
		sys_errstr(err, errlen, "mkdir", -rc);
		goto out;
	}
	ERR_clear_error();
	key = EVP_EC_gen("P-256");
	x = key ? cert_build(key, cn, san.data) : NULL;
	if (!x) {
		ssl_errstr(err, errlen, "self-signed certificate");
		rc = -EPROTO;
		goto out;
	}
	/* The key first: a cert without its key is regenerated next time. */
	if ((rc = pem_write(key_pem, 0600, NULL, key)) != 0) {
		sys_errstr(err, errlen, key_pem, -rc);
		goto out;
	}
	if ((rc = pem_write(cert_pem, 0644, x, NULL)) != 0) {
		sys_errstr(err, errlen, cert_pem, -rc);
		goto out;
	}
	*created = true;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	buf_close(&san);
	return rc;
}
