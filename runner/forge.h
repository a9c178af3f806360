/*
 * forge.h - bad tokens for the negative scenarios of TR 23.701 Figure
 * 6.X.2.1.2.1-1 (issue [token]): `client USER token forge KIND` builds one
 * from the run's WWS signing key (the testbed holds it: <run>/wws/
 * signing.pem), as an attacker or a broken WWS would, and
 * `register ... token=$forged` sends it. Each kind breaks exactly one
 * rule, so the refusal a scenario asserts names that rule:
 *
 *   unissued      signed by the WWS's key, every claim right, but never
 *                 issued (its jti is unknown): introspection answers
 *                 active:false (RFC 7662 §2.2); a local check accepts it
 *   expired       exp an hour ago (RFC 7519 §4.1.4)
 *   nbf-future    nbf an hour ahead: not yet valid (RFC 7519 §4.1.5)
 *   wrong-aud     aud of another WSF (RFC 7519 §4.1.3)
 *   unknown-iss   iss of a WWS the WSF does not trust
 *   bad-sig       one character of the signature changed
 *   alg-none      "alg":"none" and no signature (RFC 7519 §6, RFC 8725
 *                 §2.1)
 *   hs256-pubkey  "alg":"HS256" keyed with the WWS's public key PEM: the
 *                 key-confusion forgery (RFC 8725 §2.1); the WWS must
 *                 sign ES256 or RS256
 *   truncated     cut in the middle of its claims (not three parts)
 *   other-user    signed by the WWS for another user of the scenario
 *
 * Claims as the WWS would make them (wws/token.c): iss, sub (the web id),
 * aud, iat, exp, jti, and impu/impi when the WWS has token_ims_claims.
 */
#ifndef IMSTB_RUNNER_FORGE_H
#define IMSTB_RUNNER_FORGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

/* What the WWS of the run would put in a token, and how it signs. */
struct forge_in {
	const char *kind;
	int alg;	 /* enum token_alg of the WWS */
	const char *key; /* ES256/RS256: PEM private key file; HS256: the
			    secret */
	const char *kid; /* NULL or "": as the WWS (thumbprint, "hs256") */
	const char *iss, *aud;
	long ttl_s;
	bool ims_claims; /* NOTE 2: impu and impi in the claims */
	const char *sub, *impu, *impi; /* the user */
	const char *other_sub, *other_impu, *other_impi; /* other-user */
	int64_t now;
};

/* Is kind one of the table's? */
bool forge_kind_known(const char *kind);
/* The kinds, for error messages: "unissued, expired, ...". */
const char *forge_kind_list(void);

/* Builds the token (*jwt, heap, free()); -EINVAL (err says why: no key
 * file, hs256-pubkey with an HS256 WWS, other-user with no other user). */
int forge_token(const struct forge_in *in, struct rng *rng, char **jwt,
		char *err, size_t errlen);

#endif
