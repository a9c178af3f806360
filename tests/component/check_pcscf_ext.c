/* check_pcscf_ext.c - the P-CSCF's Proxy-Require handling (RFC 3261 §16.3
 * item 5) for [range]: "gin" (RFC 6140) and "path" go through, unchanged,
 * to the S-CSCF (a raw UDP socket), whose 200 for the GIN REGISTER comes
 * back to the UE; any other option gets 420 Bad Extension listing it in
 * Unsupported, and nothing is forwarded. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../pcscf-sim/pcscf.h"
#include "sip/sip.h"

#define DOMAIN "ims.example.com"
#define BLOCK "sip:+15551230!%5B0-9%5D%7B3%7D!@" DOMAIN
#define PAU "<sip:enterprise@" DOMAIN ">, <" BLOCK ">"

static const struct {
	const char *name;
	const char *hdrs; /* Require / Proxy-Require lines of the REGISTER */
	const char *unsupported; /* NULL: forwarded */
} vec[] = {
	{ "plain", "", NULL },
	{ "gin", "Require: gin\r\nProxy-Require: gin\r\n", NULL },
	{ "gin and path", "Proxy-Require: path, GIN\r\n", NULL },
	{ "unknown", "Proxy-Require: gin, foo\r\n", "foo" },
	{ "two headers", "Proxy-Require: sec-agree\r\nProxy-Require: bar\r\n",
	  "sec-agree, bar" },
	/* Require is the registrar's business (§8.2.2.3), not ours */
	{ "require only", "Require: foo\r\n", NULL },
};

struct env {
	uv_loop_t loop;
	struct pcscf_conf conf;
	struct pcscf *p;
	struct trace trace;
	struct rng rng;
	int ue, mk;
	uint16_t ue_port, mk_port;
	struct sockaddr_storage mk_from;
	char mbuf[8192], ubuf[8192];
	struct sip_msg mm, um;
};

static uint64_t ms_now(void)
{
	return time_now_us() / 1000;
}

static int sock_bound(uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	uv_ip4_addr("127.0.0.1", 0, &sin);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sl), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void set(struct env *e, const char *kv)
{
	char err[CONF_ERR_LEN];

	ck_assert_msg(conf_set(pcscf_conf_keys, &e->conf, kv, err) == 0, "%s",
		      err);
}

/* One datagram from fd into buf, parsed into m, within 3 s; false if none
 * came (when want is false, waits 300 ms for nothing). */
static bool recv_msg(struct env *e, int fd, char *buf, size_t n,
		     struct sip_msg *m, bool want)
{
	uint64_t end = ms_now() + (want ? 3000 : 300);
	socklen_t sl = sizeof(e->mk_from);
	ssize_t got;

	while (ms_now() < end) {
		uv_run(&e->loop, UV_RUN_NOWAIT);
		got = recvfrom(fd, buf, n - 1, MSG_DONTWAIT,
			       (struct sockaddr *)&e->mk_from, &sl);
		if (got > 0) {
			buf[got] = '\0';
			ck_assert_int_eq(sip_msg_parse(m, buf, (size_t)got,
						       false, NULL),
					 0);
			return true;
		}
		usleep(1000);
	}
	ck_assert_msg(!want, "nothing came");
	return false;
}

static void send_to(int fd, uint16_t port, const char *p, size_t n,
		    const struct sockaddr_storage *to)
{
	struct sockaddr_in sin;

	uv_ip4_addr("127.0.0.1", port, &sin);
	ck_assert_int_eq(sendto(fd, p, n, 0,
				to ? (const struct sockaddr *)to
				   : (const struct sockaddr *)&sin,
				sizeof(sin)),
			 (ssize_t)n);
}

START_TEST(test_proxy_require)
{
	struct env *e = xcalloc(1, sizeof(*e));
	const struct sip_hdr *h;
	struct buf b;
	char kv[64];

	ck_assert_int_eq(uv_loop_init(&e->loop), 0);
	ck_assert_int_eq(trace_open(&e->trace, NULL, "pcscf"), 0);
	e->mk = sock_bound(&e->mk_port);
	e->ue = sock_bound(&e->ue_port);
	conf_defaults(pcscf_conf_keys, &e->conf);
	set(e, "port=0");
	set(e, "log_level=error");
	snprintf(kv, sizeof(kv), "scscf_port=%u", e->mk_port);
	set(e, kv);
	log_set_level(e->conf.common.log_level);
	rng_init(&e->rng, 3);
	ck_assert_int_eq(pcscf_new(&e->p, &e->loop, &e->conf, &e->trace,
				   &e->rng),
			 0);
	/* the GIN REGISTER as the enterprise WWS (through the WSF) sends it */
	buf_init(&b);
	buf_printf(&b,
		   "REGISTER sip:" DOMAIN " SIP/2.0\r\n"
		   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-x%d;rport\r\n"
		   "Max-Forwards: 70\r\n"
		   "From: <%s>;tag=f1\r\n"
		   "To: <%s>\r\n"
		   "Call-ID: ext-%d@127.0.0.1\r\n"
		   "CSeq: 1 REGISTER\r\n"
		   "Contact: <sip:abc.invalid;transport=ws;bnc>;expires=600\r\n"
		   "%sSupported: path, gin\r\n"
		   "Authorization: Digest username=\"enterprise@" DOMAIN "\", "
		   "realm=\"" DOMAIN "\", uri=\"sip:" DOMAIN "\", nonce=\"\", "
		   "response=\"\"\r\n"
		   "Content-Length: 0\r\n\r\n",
		   e->ue_port, _i, BLOCK, BLOCK, _i, vec[_i].hdrs);
	send_to(e->ue, pcscf_port(e->p), b.data, b.len, NULL);
	buf_close(&b);
	if (vec[_i].unsupported) {
		recv_msg(e, e->ue, e->ubuf, sizeof(e->ubuf), &e->um, true);
		ck_assert_int_eq(e->um.status, 420);
		h = sip_hdr_find(&e->um, SIP_HDR_UNSUPPORTED);
		ck_assert_ptr_nonnull(h);
		ck_assert_msg(sv_eq_cstr(h->value, vec[_i].unsupported),
			      "Unsupported: %.*s", SV_ARG(h->value));
		ck_assert_uint_ne(e->um.to_tag.len, 0);
		ck_assert(!recv_msg(e, e->mk, e->mbuf, sizeof(e->mbuf), &e->mm,
				    false));
		goto out;
	}
	recv_msg(e, e->mk, e->mbuf, sizeof(e->mbuf), &e->mm, true);
	ck_assert_int_eq(e->mm.method, SIP_METHOD_REGISTER);
	/* forwarded as it came: the options, the bnc Contact, the To */
	if (strstr(vec[_i].hdrs, "gin")) {
		ck_assert(sip_msg_has_option(&e->mm, SIP_HDR_PROXY_REQUIRE,
					     "gin"));
		ck_assert(sip_msg_has_option(&e->mm, SIP_HDR_SUPPORTED,
					     "gin"));
	}
	ck_assert(sip_msg_has_option(&e->mm, SIP_HDR_REQUIRE, "path"));
	ck_assert(sv_eq_cstr(e->mm.to.uri_str, BLOCK));
	h = sip_hdr_find(&e->mm, SIP_HDR_CONTACT);
	ck_assert(sv_eq_cstr(h->value,
			     "<sip:abc.invalid;transport=ws;bnc>;expires=600"));
	buf_init(&b);
	sip_print_response_start(&b, &e->mm, 200, NULL, "mocktag");
	buf_puts(&b, "Contact: <sip:abc.invalid;transport=ws;bnc>;"
		     "expires=600\r\nP-Associated-URI: " PAU "\r\n"
		     "Supported: path, gin\r\n");
	sip_print_end(&b, NULL, NULL, 0);
	send_to(e->mk, 0, b.data, b.len, &e->mk_from);
	buf_close(&b);
	recv_msg(e, e->ue, e->ubuf, sizeof(e->ubuf), &e->um, true);
	ck_assert_int_eq(e->um.status, 200);
	h = sip_hdr_find(&e->um, SIP_HDR_P_ASSOCIATED_URI);
	ck_assert(sv_eq_cstr(h->value, PAU));
	ck_assert_uint_eq(pcscf_reg_count(e->p), 1);
out:
	pcscf_close(e->p);
	for (uint64_t end = ms_now() + 3000;
	     uv_run(&e->loop, UV_RUN_NOWAIT) && ms_now() < end;)
		usleep(1000);
	ck_assert_int_eq(uv_loop_close(&e->loop), 0);
	close(e->mk);
	close(e->ue);
	trace_close(&e->trace);
	conf_free(pcscf_conf_keys, &e->conf);
	free(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pcscf_ext");
	TCase *tc = tcase_create("proxy-require");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_proxy_require, 0, (int)ARRAY_SIZE(vec));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
