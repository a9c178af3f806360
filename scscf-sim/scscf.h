/*
 * scscf.h - the S-CSCF role for registration (TS 24.229 §5.4.1): a SIP
 * registrar (RFC 3261 §10.3, RFC 3327 Path, RFC 3608 Service-Route) that
 * authenticates with SIP Digest (RFC 7616, RFC 8760, TS 33.203 Annex N)
 * against HA1s fetched from the HSS over Cx (TS 29.228/29.229: MAR/MAA,
 * SAR/SAA).
 *
 * Only REGISTER is served (OPTIONS gets 200, anything else 501). The
 * bindings live in memory and, written through, in SQLite (config key db),
 * so a restarted S-CSCF still knows who is registered. Bindings expire on a
 * timer; an IMPU whose last binding expires is reported to the HSS with
 * SAR TIMEOUT_DEREGISTRATION.
 *
 * SIP answers chosen where the specs leave room:
 *   403 "Not our domain"        Request-URI is not sip:<home_domain>
 *   403 "No IMPI for tel URI"   no Authorization and a tel: To
 *   403 "Unknown user"          MAA/SAA Experimental-Result 5001
 *   403 "Identities don't match" 5002
 *   403 "Authentication scheme not supported" 5006
 *   403 "Wrong credentials"     wrong Digest response (after SAR
 *                               AUTHENTICATION_FAILURE)
 *   500 "HSS error"             any other Cx failure or malformed answer
 *   503 "HSS unavailable"       no answer within cx_timeout_ms (also while
 *       + Retry-After           the HSS is unreachable), the connection
 *                               lost before the answer, or Result-Code
 *                               3002/3004: the fault is temporary and
 *                               not the UE's; RFC 3261 §21.5.4 (503 with
 *                               Retry-After: when to try again) rather
 *                               than 504, which gives the UE no hint.
 *                               Retry-After: retry_after_s.
 *   500 "Out of order"          RFC 3261 §10.3 step 7 Call-ID/CSeq rule
 *   420 + Unsupported           Require with an option other than path
 *                               and gin
 *   403 "GIN needs a wildcarded IMPU"  Require: gin, To not a wildcard
 *   400 "bnc Contact without Require: gin", "bnc Contact with a user
 *       part", "GIN Contact without bnc"   (RFC 6140 §7)
 *   423 + Min-Expires           expires below min_expires (but not 0)
 *   400                         bad To, Contact or Authorization;
 *                               `Contact: *` without Expires: 0 alone
 * Without any expires value, a binding gets default_expires (3600 s,
 * RFC 3261 §10.2.1.1 leaves the default to the registrar).
 *
 * An IMPU range ([range], TR 23.701 Figure 6.X.2.1.3.2-1 registration
 * mode) registers once, GIN-style (RFC 6140): `Require: gin`, To = the
 * TS 23.003 wildcarded IMPU (its user part percent-escaped where a SIP URI
 * cannot carry it, "sip:+15551230!%5B0-9%5D%7B3%7D!@ims.example.com";
 * normalized back to the "![0-9]{3}!" text), a Contact with "bnc" and no
 * user part, the IMS Digest credentials of the block's IMPI. MAR and SAR
 * carry the wildcard text as Public-Identity (SAR also as
 * Wildcarded-Public-Identity); the bnc Contact is bound to the block; the
 * 200 has Supported: path, gin and the implicit set in P-Associated-URI,
 * the distinct default IMPU first, the wildcard (escaped) after it.
 */
#ifndef IMSTB_SCSCF_H
#define IMSTB_SCSCF_H

#include <uv.h>

#include "app/app.h"
#include "app/app_sip.h"

struct scscf_conf {
	struct app_common common;
	char *listen;
	long port;
	char *home_domain;
	char *server_name;   /* Server-Name on Cx */
	char *service_route; /* empty: sip:orig@<listen>:<port>;lr */
	char *hss_host;
	long hss_port;
	char *origin_host, *origin_realm;
	char *hss_realm; /* Destination-Realm */
	long cx_timeout_ms, watchdog_ms;
	long retry_after_s; /* in a 503 (HSS unavailable) */
	char *db;                /* SQLite file; empty: memory only */
	char *digest_algorithms; /* "SHA-256,MD5": preference order */
	long nonce_lifetime_s, reg_await_auth_s;
	long min_expires, max_expires, default_expires;
	long expiry_check_ms;
	bool trust_auth_done;
	char *trusted_peers; /* where auth-done may come from */
	struct app_sip sip;
};

extern const struct conf_key scscf_conf_keys[];

struct scscf;

/* Checks what the key table cannot (address syntax, the algorithm list,
 * min <= default <= max expires). -EINVAL with a one-line reason in err. */
int scscf_conf_check(const struct scscf_conf *c, char *err, size_t n);

/* Opens the database (loading the registrations in it), binds the SIP
 * listeners and starts connecting to the HSS. conf, trace and rng are
 * borrowed and must outlive the role. -EINVAL bad config, -EIO database,
 * or a libuv error (-EADDRINUSE...). */
int scscf_new(struct scscf **out, uv_loop_t *loop,
	      const struct scscf_conf *conf, struct trace *trace,
	      struct rng *rng);
/* Closes every handle and the database. Pending Cx requests are dropped
 * without a SIP answer and no callback reaches the role afterwards; the
 * memory goes once the handles are closed (run the loop). */
void scscf_close(struct scscf *s);

uint16_t scscf_port(const struct scscf *s);
/* Registrations held (one per registered implicit set). */
size_t scscf_reg_count(const struct scscf *s);
/* Current bindings of the registration that contains impu (any member of
 * its implicit set, or an IMPU inside a registered block); 0 if it is
 * not registered. */
size_t scscf_binding_count(const struct scscf *s, const char *impu);
/* Is the Cx connection to the HSS open (CER/CEA done)? */
bool scscf_hss_open(const struct scscf *s);

#endif
