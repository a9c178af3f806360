/*
 * hss.h - the HSS role: a Cx server (TS 29.228 §6, TS 29.229 Diameter
 * application 16777216) over the SQLite subscriber store (store.h), and
 * the provisioning commands of the hss-sim command line.
 *
 * Answers (Result-Code = base, exp = Experimental-Result, vendor 10415):
 *   any  Destination-Realm not ours            3003 REALM_NOT_SERVED (E bit)
 *   MAR  unknown IMPI or IMPU                  exp 5001 USER_UNKNOWN
 *        IMPU not the IMPI's (set or range)    exp 5002 IDENTITIES_DONT_MATCH
 *        scheme not "SIP Digest"/"Unknown"     exp 5006 AUTH_SCHEME_NOT_SUPP.
 *        else 2001 with one SIP-Auth-Data-Item: SIP-Digest-Authenticate
 *        {realm, MD5, qop auth, HA1, Alternate SHA-256 + its HA1}; only
 *        HA1s, never the password (29.229 §6.3.36); Server-Name pending.
 *   SAR  REGISTRATION, RE_REGISTRATION -> REGISTERED, Server-Name stored,
 *        2001 + User-Data of the implicit set (+ Wildcarded-Public-
 *        Identity for an IMPU inside a range); UNREGISTERED_USER ->
 *        UNREGISTERED, same answer; NO_ASSIGNMENT -> User-Data if the
 *        Server-Name is the stored one (else 5012); USER_/TIMEOUT_/
 *        ADMINISTRATIVE_DEREGISTRATION, DEREGISTRATION_TOO_MUCH_DATA ->
 *        NOT_REGISTERED (Server-Name cleared once no set of the IMPI is
 *        still registered); the *_STORE_SERVER_NAME ones -> UNREGISTERED,
 *        name kept; AUTHENTICATION_FAILURE/_TIMEOUT -> state kept, the
 *        pending name dropped; anything else exp 5007.
 *   UAR  exp 2001 FIRST_REGISTRATION + Server-Capabilities when no S-CSCF
 *        is stored, exp 2002 SUBSEQUENT_REGISTRATION + Server-Name
 *        otherwise; DE_REGISTRATION: 2001 + Server-Name or exp 5003; a
 *        barred IMPU: 5003 AUTHORIZATION_REJECTED (29.228 §6.1.1).
 *   LIR  REGISTERED: 2001 + Server-Name; UNREGISTERED with a stored name:
 *        exp 2003 UNREGISTERED_SERVICE + Server-Name (29.228 §6.1.4);
 *        otherwise exp 5003 IDENTITY_NOT_REGISTERED; unknown: exp 5001.
 * A store failure answers 5012 UNABLE_TO_COMPLY. Each request logs one
 * info line: "MAR <IMPI> <IMPU> -> 2001".
 */
#ifndef IMSTB_HSS_H
#define IMSTB_HSS_H

#include <stdio.h>
#include <uv.h>

#include "app/app.h"
#include "store.h"

struct hss_conf {
	struct app_common common;
	char *listen;
	long port;
	char *origin_host;
	char *origin_realm;
	char *db;
	bool provision_demo;
	long watchdog_ms;
	long request_timeout_ms;
};

extern const struct conf_key hss_conf_keys[];
/* The provisioning commands, for conf_cli.usage and --help. */
extern const char hss_cli_usage[];

struct hss;

/* Checks what the key table cannot: listen is a numeric address,
 * origin_host, origin_realm and db are not empty. -EINVAL with a one-line
 * reason in err. */
int hss_conf_check(const struct hss_conf *c, char *err, size_t n);

/* Opens conf->db (mkdir -p of its folder; ":memory:" works). When the
 * file did not exist and provision_demo is set, the demo subscribers
 * (store.h hss_store_provision_demo) are created. */
int hss_db_open(const struct hss_conf *conf, struct hss_store **out);

/* Opens the database and listens for Diameter peers on listen:port (port
 * 0: OS-chosen, see hss_port). conf, trace and rng are borrowed and must
 * outlive the role. -EINVAL bad listen address, -EIO/-EPROTO database, or
 * a libuv error (-EADDRINUSE...). */
int hss_new(struct hss **out, uv_loop_t *loop, const struct hss_conf *conf,
	    struct trace *trace, struct rng *rng);
/* Stops: closes the listener, every connection (DPR first, RFC 6733
 * §5.4) and the database; no request reaches the role afterwards. The
 * loop ends once the connections are closed. */
void hss_close(struct hss *h);
/* Frees h. Only after hss_close AND after the loop has run dry: a closing
 * connection still traces its DPR/DPA through h. NULL is accepted. */
void hss_free(struct hss *h);
/* The bound port. */
uint16_t hss_port(const struct hss *h);
/* The open store (borrowed), e.g. for tests to inspect state. */
struct hss_store *hss_db(struct hss *h);

/*
 * Runs one provisioning command on conf->db and prints a short readable
 * result to out; args[0] is the command word ("subscriber", "impu",
 * "range", "bulk"). Returns the exit status: 0 done, 1 refused (one-line
 * reason on errout: unknown IMPI, already provisioned, malformed
 * identity...), 2 usage error.
 */
int hss_cli_run(const struct hss_conf *conf, int nargs, char **args,
		FILE *out, FILE *errout);

#endif
