/*
 * diam_cx.h - the Cx application (TS 29.228 stage 2, TS 29.229 Diameter):
 * UAR/UAA (300), SAR/SAA (301), LIR/LIA (302), MAR/MAA (303), application
 * 16777216, vendor 10415. Pure codec, like diam.h.
 *
 * One plain struct, struct diam_cx, describes any of the eight messages:
 * diam_cx_build() writes the fields that the command's CCF (TS 29.229
 * §6.1) allows, in CCF order, and refuses (-EINVAL) a message missing one
 * of its {required} AVPs; diam_cx_parse() fills the struct with views into
 * the message and fails with 5005 DIAMETER_MISSING_AVP (Failed-AVP naming
 * it) when a required AVP is absent, 5009 when a single-valued AVP occurs
 * twice. Vendor-Specific-Application-Id {10415, 16777216} and
 * Auth-Session-State = 1 (NO_STATE_MAINTAINED) are always written and
 * required on parse.
 *
 * Every struct sv is borrowed (NULL .p = absent). After diam_cx_parse()
 * they point into the message buffer: copy what you keep past it.
 * Optional integers have a has_* flag; required ones are always sent.
 * Repeated AVPs beyond the DIAM_CX_MAX_* array sizes are ignored on parse.
 */
#ifndef IMSTB_DIAM_CX_H
#define IMSTB_DIAM_CX_H

#include "diam/diam.h"

#define DIAM_CX_MAX_AUTH 4 /* SIP-Auth-Data-Item per MAA */
#define DIAM_CX_MAX_LIST 8 /* Associated-Identities, capabilities, ... */

/* Experimental-Result-Code values, vendor 10415 (TS 29.229 §6.2) */
enum diam_cx_exp {
	DIAM_CX_FIRST_REGISTRATION = 2001,
	DIAM_CX_SUBSEQUENT_REGISTRATION = 2002,
	DIAM_CX_UNREGISTERED_SERVICE = 2003,
	DIAM_CX_SUCCESS_SERVER_NAME_NOT_STORED = 2004,
	DIAM_CX_ERROR_USER_UNKNOWN = 5001,
	DIAM_CX_ERROR_IDENTITIES_DONT_MATCH = 5002,
	DIAM_CX_ERROR_IDENTITY_NOT_REGISTERED = 5003,
	DIAM_CX_ERROR_ROAMING_NOT_ALLOWED = 5004,
	DIAM_CX_ERROR_IDENTITY_ALREADY_REGISTERED = 5005,
	DIAM_CX_ERROR_AUTH_SCHEME_NOT_SUPPORTED = 5006,
	DIAM_CX_ERROR_IN_ASSIGNMENT_TYPE = 5007,
	DIAM_CX_ERROR_TOO_MUCH_DATA = 5008,
	DIAM_CX_ERROR_NOT_SUPPORTED_USER_DATA = 5009,
	DIAM_CX_ERROR_FEATURE_UNSUPPORTED = 5011,
	DIAM_CX_ERROR_SERVING_NODE_FEATURE_UNSUPPORTED = 5012,
};

/* Server-Assignment-Type, TS 29.229 §6.3.15 */
enum diam_cx_sat {
	DIAM_CX_SAT_NO_ASSIGNMENT = 0,
	DIAM_CX_SAT_REGISTRATION = 1,
	DIAM_CX_SAT_RE_REGISTRATION = 2,
	DIAM_CX_SAT_UNREGISTERED_USER = 3,
	DIAM_CX_SAT_TIMEOUT_DEREGISTRATION = 4,
	DIAM_CX_SAT_USER_DEREGISTRATION = 5,
	DIAM_CX_SAT_TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME = 6,
	DIAM_CX_SAT_USER_DEREGISTRATION_STORE_SERVER_NAME = 7,
	DIAM_CX_SAT_ADMINISTRATIVE_DEREGISTRATION = 8,
	DIAM_CX_SAT_AUTHENTICATION_FAILURE = 9,
	DIAM_CX_SAT_AUTHENTICATION_TIMEOUT = 10,
	DIAM_CX_SAT_DEREGISTRATION_TOO_MUCH_DATA = 11,
};

/* User-Authorization-Type, TS 29.229 §6.3.24 */
enum diam_cx_uat {
	DIAM_CX_UAT_REGISTRATION = 0,
	DIAM_CX_UAT_DE_REGISTRATION = 1,
	DIAM_CX_UAT_REGISTRATION_AND_CAPABILITIES = 2,
};

/* User-Data-Already-Available, TS 29.229 §6.3.26 */
enum diam_cx_udaa {
	DIAM_CX_USER_DATA_NOT_AVAILABLE = 0,
	DIAM_CX_USER_DATA_ALREADY_AVAILABLE = 1,
};

/* SIP-Authentication-Scheme strings, TS 29.229 §6.3.9 */
#define DIAM_CX_SCHEME_DIGEST  "SIP Digest"
#define DIAM_CX_SCHEME_AKA     "Digest-AKAv1-MD5"
#define DIAM_CX_SCHEME_UNKNOWN "Unknown"

/* One SIP-Auth-Data-Item (612), TS 29.229 §6.3.13. */
struct diam_cx_auth {
	bool has_item_number;
	uint32_t item_number;	 /* SIP-Item-Number (613) */
	struct sv scheme;	 /* SIP-Authentication-Scheme (608) */
	struct sv authenticate;	 /* SIP-Authenticate (609): AKA RAND||AUTN */
	struct sv authorization; /* SIP-Authorization (610): XRES / resync */
	struct sv ck, ik;	 /* Confidentiality-Key (625), Integrity-Key */
	/* SIP-Digest-Authenticate (635), written when realm.p != NULL:
	 * {Digest-Realm} [Digest-Algorithm] {Digest-QoP} {Digest-HA1}
	 * [Alternate-Digest-Algorithm] [Alternate-Digest-HA1] (§6.3.36) */
	struct sv realm, algorithm, qop, ha1, alt_algorithm, alt_ha1;
};

struct diam_cx {
	uint32_t cmd; /* DIAM_CMD_UA, _SA, _LI, _MA */
	bool request;
	uint32_t hbh, e2e; /* set by parse; builder takes them as arguments */

	struct sv session_id;		     /* required */
	struct sv origin_host, origin_realm; /* required */
	struct sv dest_host;		     /* requests, optional */
	struct sv dest_realm;		     /* requests, required */

	/* Answers: exactly one of Result-Code or Experimental-Result. */
	uint32_t result;
	bool experimental; /* result is an Experimental-Result-Code (10415) */

	struct sv user_name;	   /* UAR, MAR req.; SAR, SAA, MAA opt. */
	struct sv public_identity; /* UAR, LIR, MAR req.; SAR, MAA opt. */
	struct sv wildcarded_public_identity; /* SAR, SAA, LIA */
	struct sv visited_network;	      /* UAR req. */
	struct sv server_name; /* SAR, MAR req.; UAA, SAA, LIA opt. */

	bool has_auth_type; /* User-Authorization-Type: UAR, LIR */
	uint32_t auth_type;
	bool has_originating; /* Originating-Request (633): LIR */
	uint32_t originating;
	uint32_t sat;  /* Server-Assignment-Type: SAR */
	uint32_t udaa; /* User-Data-Already-Available: SAR */

	/* MAR: SIP-Number-Auth-Items (required) and one item (scheme
	 * required, authorization for AKA resync). MAA: optional count and
	 * n_auth items. */
	bool has_num_auth_items; /* MAR: always written */
	uint32_t num_auth_items;
	unsigned n_auth;
	struct diam_cx_auth auth[DIAM_CX_MAX_AUTH];

	/* SAA */
	struct sv user_data; /* User-Data (606): the XML, TS 29.228 Annex E */
	struct sv ccf[2];    /* Charging-Information: primary/secondary CCF */
	struct sv ecf[2];    /*   primary/secondary ECF (DiameterURI) */
	unsigned n_assoc;    /* Associated-Identities {*User-Name} */
	struct sv assoc[DIAM_CX_MAX_LIST];
	unsigned n_waf, n_wwsf;		 /* Allowed-WAF-WWSF-Identities (656) */
	struct sv waf[DIAM_CX_MAX_LIST]; /* WebRTC-Authentication-Function */
	struct sv wwsf[DIAM_CX_MAX_LIST]; /* WebRTC-Web-Server-Function */

	/* UAA, LIA: Server-Capabilities (603), written when has_caps */
	bool has_caps;
	unsigned n_mand, n_opt;
	uint32_t mand[DIAM_CX_MAX_LIST];
	uint32_t opt[DIAM_CX_MAX_LIST];
};

/* Appends the message c describes. -EINVAL when c->cmd is not a Cx
 * command or a required field is missing (nothing is appended then). */
int diam_cx_build(struct buf *out, const struct diam_cx *c, uint32_t hbh,
		  uint32_t e2e);

/* Fills *c from m (app must be 16777216, cmd 300..303; else 3007/3001). */
int diam_cx_parse(const struct diam_msg *m, struct diam_cx *c,
		  struct diam_err *e);

/* Starts an answer to req: zeroes *ans and copies cmd, hbh, e2e and
 * session_id (a view into req's buffer: build before it goes away). */
void diam_cx_answer_init(struct diam_cx *ans, const struct diam_cx *req);

#endif
