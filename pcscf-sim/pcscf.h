/*
 * pcscf.h - the P-CSCF role (TS 24.229 §5.2.2): a stateful proxy for
 * REGISTER between the UE (or the WSF) and the one configured S-CSCF.
 *
 * There is no I-CSCF in imstb (TR 23.701's figures have none): REGISTER
 * goes straight to the configured S-CSCF, so no UAR is sent.
 *
 * On the way in it adds Path (its own URI, RFC 3327), P-Visited-Network-ID,
 * P-Charging-Vector with a fresh icid-value, and the `integrity-protected`
 * Authorization parameter its config asks for (any such parameter the UE
 * put there itself is removed first: only the edge may assert it). On the
 * way out it relays 401, 403 and errors unchanged but for its Via, and on a
 * 200 OK keeps the registration's Service-Route and P-Associated-URI.
 *
 * Proxy-Require (RFC 3261 §16.3 item 5): it understands "path" and "gin"
 * (RFC 6140: the GIN REGISTER of an enterprise IMPU range goes through
 * unchanged, Proxy-Require included); any other option gets 420 Bad
 * Extension with Unsupported listing them, and nothing is forwarded.
 */
#ifndef IMSTB_PCSCF_H
#define IMSTB_PCSCF_H

#include <uv.h>

#include "app/app.h"
#include "app/app_sip.h"

enum pcscf_integrity {
	PCSCF_IP_AUTO = 0, /* ip-assoc-pending on a response, ip-assoc-yes
			      when the UE's address is registered */
	PCSCF_IP_NONE,     /* add nothing */
	PCSCF_IP_FIXED,    /* always integrity_value */
};

enum pcscf_path_policy {
	PCSCF_PATH_ADD = 0, /* always add Path + Require: path (24.228) */
	PCSCF_PATH_REJECT,  /* 421 when the UE lacks Supported: path
			       (RFC 3327 §5.2) */
};

struct pcscf_conf {
	struct app_common common;
	char *listen;
	long port;
	char *scscf_host;
	long scscf_port;
	int scscf_transport; /* 0 udp, 1 tcp */
	char *path_uri;      /* empty: sip:term@<listen>:<port>;lr */
	char *visited_network_id;
	int integrity;       /* enum pcscf_integrity */
	char *integrity_value;
	int path_policy;     /* enum pcscf_path_policy */
	char *trusted_edges; /* whose integrity-protected is kept (the WSF) */
	struct app_sip sip;
};

extern const struct conf_key pcscf_conf_keys[];

struct pcscf;

/* Checks what the key table cannot (numeric addresses). 0, or -EINVAL
 * with a one-line reason naming the key in err. */
int pcscf_conf_check(const struct pcscf_conf *c, char *err, size_t n);

/* Binds the SIP listeners. trace and rng are borrowed. */
int pcscf_new(struct pcscf **out, uv_loop_t *loop,
	      const struct pcscf_conf *conf, struct trace *trace,
	      struct rng *rng);
/* Closes every handle; frees p once they are closed. */
void pcscf_close(struct pcscf *p);
uint16_t pcscf_port(const struct pcscf *p);
/* Registrations it keeps (by IMPU). */
size_t pcscf_reg_count(const struct pcscf *p);

#endif
