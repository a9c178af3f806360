/*
 * pcap.c - pcapng of every message of the runs, with their real addresses
 * and ports, so tshark and Wireshark dissect them as SIP, Diameter, HTTP.
 *
 * The file (draft-ietf-opsawg-pcapng): one Section Header Block, one
 * Interface Description Block with LINKTYPE_RAW (101: each packet starts
 * with an IPv4 or IPv6 header) and the default resolution of
 * microseconds, then one Enhanced Packet Block per packet. All numbers
 * are written little-endian (the SHB byte-order magic says so).
 *
 * The traces hold payloads, not packets, so the headers are synthesized:
 * IPv4 (RFC 791, header checksum) or IPv6 (RFC 8200) - an IPv4 end
 * talking to an IPv6 one is written v4-mapped -, then UDP (RFC 768) or
 * TCP (RFC 9293), both with correct checksums. TCP gets a connection per
 * address/port pair: a three-way handshake before its first payload
 * (the first sender is taken as the initiator), PSH/ACK segments with
 * sequence and acknowledgement numbers consistent per direction,
 * payloads over SEG_MAX split across segments, and a FIN exchange when
 * the run ends so the next run may reuse the ports cleanly. The first
 * packet of each run carries an opt_comment naming the scenario.
 */
#include "writers.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define BT_SHB	     0x0a0d0d0a
#define BT_IDB	     0x00000001
#define BT_EPB	     0x00000006
#define BOM	     0x1a2b3c4d
#define LINKTYPE_RAW 101
#define OPT_END	     0
#define OPT_COMMENT  1
#define OPT_USERAPPL 4 /* shb_userappl */
#define OPT_IF_NAME  2

#define SEG_MAX 65000 /* payload bytes per TCP segment */
#define UDP_MAX 65507 /* 65535 - IPv4 20 - UDP 8 */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

struct end {
	bool v6;
	uint8_t ip[16]; /* IPv4 in the first 4 bytes */
	uint16_t port;
};

struct conn {
	struct end a, b; /* a initiated it */
	uint32_t next_a; /* next sequence number a sends */
	uint32_t next_b;
};

struct pcw {
	struct buf out;	    /* the file */
	struct buf pkt;	    /* the packet being built */
	uint64_t last_ts;   /* microseconds; packets never go back */
	uint16_t ip_id;	    /* IPv4 Identification */
	uint32_t isn;	    /* next initial sequence number */
	struct conn *conns; /* owned: the TCP connections of the run */
	size_t nconns;
	char *comment; /* owned: pending for the next packet */
};

/* ---- byte order -------------------------------------------------------- */

static void le16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	buf_append(b, x, 2);
}

static void le32(struct buf *b, uint32_t v)
{
	le16(b, (uint16_t)v);
	le16(b, (uint16_t)(v >> 16));
}

static void be16_at(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32_at(uint8_t *p, uint32_t v)
{
	be16_at(p, (uint16_t)(v >> 16));
	be16_at(p + 2, (uint16_t)v);
}

/* ---- blocks ------------------------------------------------------------ */

static void pad4(struct buf *b, size_t n)
{
	static const uint8_t zero[4];

	buf_append(b, zero, (4 - n % 4) % 4);
}

/* One option: code, length, value padded to 32 bits (pcapng §3.5). */
static void opt(struct buf *b, uint16_t code, const char *s)
{
	size_t n = strlen(s);

	le16(b, code);
	le16(b, (uint16_t)n);
	buf_append(b, s, n);
	pad4(b, n);
}

/* Patches the Block Total Length at the start and appends it at the end
 * (both copies, pcapng §3.1). */
static void block_end(struct buf *b, size_t start)
{
	uint32_t len = (uint32_t)(b->len - start + 4);
	uint8_t *p = (uint8_t *)b->data + start + 4;

	p[0] = (uint8_t)len;
	p[1] = (uint8_t)(len >> 8);
	p[2] = (uint8_t)(len >> 16);
	p[3] = (uint8_t)(len >> 24);
	le32(b, len);
}

static void shb_write(struct buf *b)
{
	size_t start = b->len;

	le32(b, BT_SHB);
	le32(b, 0); /* patched */
	le32(b, BOM);
	le16(b, 1);	     /* major */
	le16(b, 0);	     /* minor */
	le32(b, 0xffffffff); /* section length: not given */
	le32(b, 0xffffffff);
	opt(b, OPT_USERAPPL, "imstb");
	le32(b, OPT_END);
	block_end(b, start);
}

static void idb_write(struct buf *b)
{
	size_t start = b->len;

	le32(b, BT_IDB);
	le32(b, 0);
	le16(b, LINKTYPE_RAW);
	le16(b, 0);
	le32(b, 0); /* snaplen: no limit */
	/* No if_tsresol: the default, 10^-6 s, is what we write. */
	opt(b, OPT_IF_NAME, "imstb");
	le32(b, OPT_END);
	block_end(b, start);
}

static void epb_write(struct pcw *w, uint64_t ts)
{
	struct buf *b = &w->out;
	size_t start = b->len;

	if (ts < w->last_ts)
		ts = w->last_ts;
	w->last_ts = ts;
	le32(b, BT_EPB);
	le32(b, 0);
	le32(b, 0); /* interface 0 */
	le32(b, (uint32_t)(ts >> 32));
	le32(b, (uint32_t)ts);
	le32(b, (uint32_t)w->pkt.len); /* captured */
	le32(b, (uint32_t)w->pkt.len); /* original */
	buf_append(b, w->pkt.data, w->pkt.len);
	pad4(b, w->pkt.len);
	if (w->comment) {
		opt(b, OPT_COMMENT, w->comment);
		le32(b, OPT_END);
		free(w->comment);
		w->comment = NULL;
	}
	block_end(b, start);
}

/* ---- IP, UDP, TCP ------------------------------------------------------ */

/* RFC 1071 one's complement sum over n bytes (odd tail padded). */
static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* Appends the IP header for an L4 segment of l4len bytes to w->pkt and
 * returns the pseudo-header sum (RFC 768, RFC 9293 §3.1, RFC 8200 §8.1)
 * for its checksum. */
static uint32_t ip_header(struct pcw *w, const struct end *s,
			  const struct end *d, uint8_t proto, size_t l4len)
{
	uint8_t h[40] = { 0 }, ph[12];
	uint32_t acc;

	if (s->v6) {
		be32_at(h, 0x60000000); /* version 6, class 0, flow 0 */
		be16_at(h + 4, (uint16_t)l4len);
		h[6] = proto;
		h[7] = 64; /* hop limit */
		memcpy(h + 8, s->ip, 16);
		memcpy(h + 24, d->ip, 16);
		buf_append(&w->pkt, h, 40);
		acc = sum16(0, h + 8, 32);
		return acc + (uint32_t)l4len + proto;
	}
	h[0] = 0x45; /* version 4, 5 words */
	be16_at(h + 2, (uint16_t)(20 + l4len));
	be16_at(h + 4, w->ip_id++);
	be16_at(h + 6, 0x4000); /* DF */
	h[8] = 64;		/* TTL */
	h[9] = proto;
	memcpy(h + 12, s->ip, 4);
	memcpy(h + 16, d->ip, 4);
	be16_at(h + 10, fold(sum16(0, h, 20)));
	buf_append(&w->pkt, h, 20);
	memcpy(ph, s->ip, 4);
	memcpy(ph + 4, d->ip, 4);
	ph[8] = 0;
	ph[9] = proto;
	be16_at(ph + 10, (uint16_t)l4len);
	return sum16(0, ph, 12);
}

static void udp_packet(struct pcw *w, const struct end *s, const struct end *d,
		       const uint8_t *p, size_t n, uint64_t ts)
{
	uint8_t h[8];
	uint32_t acc;
	uint16_t ck;

	if (n > UDP_MAX)
		n = UDP_MAX; /* cannot be one datagram: keep what fits */
	buf_reset(&w->pkt);
	acc = ip_header(w, s, d, IPPROTO_UDP_, 8 + n);
	be16_at(h, s->port);
	be16_at(h + 2, d->port);
	be16_at(h + 4, (uint16_t)(8 + n));
	be16_at(h + 6, 0);
	ck = fold(sum16(sum16(acc, h, 8), p, n));
	/* RFC 768: a computed zero is sent as all ones. */
	be16_at(h + 6, ck ? ck : 0xffff);
	buf_append(&w->pkt, h, 8);
	buf_append(&w->pkt, p, n);
	epb_write(w, ts);
}

static void tcp_packet(struct pcw *w, const struct end *s, const struct end *d,
		       uint32_t seq, uint32_t ack, uint8_t flags,
		       const uint8_t *p, size_t n, uint64_t ts)
{
	uint8_t h[20] = { 0 };
	uint32_t acc;

	buf_reset(&w->pkt);
	acc = ip_header(w, s, d, IPPROTO_TCP_, 20 + n);
	be16_at(h, s->port);
	be16_at(h + 2, d->port);
	be32_at(h + 4, seq);
	be32_at(h + 8, flags & TH_ACK ? ack : 0);
	h[12] = 5 << 4; /* data offset: 5 words, no options */
	h[13] = flags;
	be16_at(h + 14, 65535); /* window */
	be16_at(h + 16, fold(sum16(sum16(acc, h, 20), p, n)));
	buf_append(&w->pkt, h, 20);
	if (n)
		buf_append(&w->pkt, p, n);
	epb_write(w, ts);
}

/* ---- TCP connections --------------------------------------------------- */

static bool end_eq(const struct end *x, const struct end *y)
{
	return x->v6 == y->v6 && x->port == y->port &&
	       !memcmp(x->ip, y->ip, x->v6 ? 16 : 4);
}

/* The connection of (s, d) in either direction; *from_a tells whether s
 * is its initiator. A new one is opened with a handshake at ts. */
static struct conn *conn_get(struct pcw *w, const struct end *s,
			     const struct end *d, bool *from_a, uint64_t ts)
{
	struct conn *c;

	for (size_t i = 0; i < w->nconns; i++) {
		c = &w->conns[i];
		if (end_eq(&c->a, s) && end_eq(&c->b, d)) {
			*from_a = true;
			return c;
		}
		if (end_eq(&c->a, d) && end_eq(&c->b, s)) {
			*from_a = false;
			return c;
		}
	}
	w->conns = xrealloc(w->conns, (w->nconns + 1) * sizeof(*w->conns));
	c = &w->conns[w->nconns++];
	c->a = *s;
	c->b = *d;
	/* Arbitrary but distinct initial sequence numbers (RFC 9293
	 * §3.4.1 wants them unpredictable; a capture wants them stable). */
	c->next_a = w->isn;
	c->next_b = w->isn + 0x10000000u;
	w->isn += 0x01000000u;
	/* RFC 9293 §3.5 three-way handshake, just before the payload. */
	ts = ts >= 3 ? ts - 3 : 0;
	tcp_packet(w, s, d, c->next_a++, 0, TH_SYN, NULL, 0, ts);
	tcp_packet(w, d, s, c->next_b++, c->next_a, TH_SYN | TH_ACK, NULL, 0,
		   ts + 1);
	tcp_packet(w, s, d, c->next_a, c->next_b, TH_ACK, NULL, 0, ts + 2);
	*from_a = true;
	return c;
}

static void tcp_data(struct pcw *w, const struct end *s, const struct end *d,
		     const uint8_t *p, size_t n, uint64_t ts)
{
	bool from_a;
	struct conn *c = conn_get(w, s, d, &from_a, ts);
	uint32_t *seq = from_a ? &c->next_a : &c->next_b;
	uint32_t *ack = from_a ? &c->next_b : &c->next_a;

	while (n > 0) {
		size_t seg = n > SEG_MAX ? SEG_MAX : n;

		tcp_packet(w, s, d, *seq, *ack, TH_PSH | TH_ACK, p, seg, ts);
		*seq += (uint32_t)seg;
		p += seg;
		n -= seg;
	}
}

/* Closes every connection of the run (RFC 9293 §3.6): FIN from the
 * initiator, FIN from the peer, last ACK. */
static void conns_close(struct pcw *w, uint64_t ts)
{
	for (size_t i = 0; i < w->nconns; i++) {
		struct conn *c = &w->conns[i];

		tcp_packet(w, &c->a, &c->b, c->next_a++, c->next_b,
			   TH_FIN | TH_ACK, NULL, 0, ts);
		tcp_packet(w, &c->b, &c->a, c->next_b++, c->next_a,
			   TH_FIN | TH_ACK, NULL, 0, ts);
		tcp_packet(w, &c->a, &c->b, c->next_a, c->next_b, TH_ACK, NULL,
			   0, ts);
	}
	free(w->conns);
	w->conns = NULL;
	w->nconns = 0;
}

/* ---- events ------------------------------------------------------------ */

/* The well-known port of the protocol, for an end the trace did not
 * give (RFC 3261 §19.1.2 SIP 5060, RFC 6733 §2.1 Diameter 3868). */
static uint16_t default_port(const struct rn_event *e)
{
	if (!strcmp(e->proto, "diameter"))
		return 3868;
	if (!strcmp(e->proto, "sip"))
		return 5060;
	return 80;
}

static void end_from(struct end *x, const struct sockaddr_storage *ss,
		     const struct rn_event *e, uint8_t last)
{
	memset(x, 0, sizeof(*x));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		memcpy(x->ip, &s4->sin_addr, 4);
		x->port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		x->v6 = true;
		memcpy(x->ip, &s6->sin6_addr, 16);
		x->port = ntohs(s6->sin6_port);
	} else {
		/* Unknown end: 127.0.0.<last> on the protocol's port. */
		x->ip[0] = 127;
		x->ip[3] = last;
	}
	if (!x->port)
		x->port = default_port(e);
}

/* An IPv4 end facing an IPv6 one becomes ::ffff:a.b.c.d (RFC 4291
 * §2.5.5.2), so both ends of a packet share one IP version. */
static void end_v6(struct end *x)
{
	uint8_t v4[4];

	if (x->v6)
		return;
	memcpy(v4, x->ip, 4);
	memset(x->ip, 0, 16);
	x->ip[10] = 0xff;
	x->ip[11] = 0xff;
	memcpy(x->ip + 12, v4, 4);
	x->v6 = true;
}

static uint64_t ts_us(double t)
{
	return t > 0 ? (uint64_t)(t * 1e6 + 0.5) : 0;
}

static void event_write(struct pcw *w, const struct rn_event *e)
{
	struct end s, d;
	uint64_t ts = ts_us(e->t);

	end_from(&s, &e->src, e, 1);
	end_from(&d, &e->dst, e, 2);
	if (s.v6 != d.v6) {
		end_v6(&s);
		end_v6(&d);
	}
	if (!strcmp(e->transport, "udp"))
		udp_packet(w, &s, &d, e->raw, e->len, ts);
	else if (e->len > 0) /* tcp, tls, ws, wss: all over TCP */
		tcp_data(w, &s, &d, e->raw, e->len, ts);
}

/* tshark finds SIP on any port by heuristics, but not Diameter or HTTP:
 * the run's comment names the decode-as options for the server ports it
 * used - the destination of the first message between two ends, the
 * same guess as for the TCP initiator. */
static void run_hints(struct buf *b, const struct rn_run *r)
{
	static const struct {
		const char *proto, *as;
		uint16_t port; /* the registered one: no hint needed */
	} known[] = {
		{ "diameter", "diameter", 3868 },
		{ "sip", "sip", 5060 },
		{ "http", "http", 80 },
		{ "ws", "http", 80 },
	};
	struct end *seen = NULL, s, d;
	size_t nseen = 0, p, j;
	char opt[64];

	for (size_t k = 0; k < r->nevents; k++) {
		const struct rn_event *e = &r->events[k];

		end_from(&s, &e->src, e, 1);
		end_from(&d, &e->dst, e, 2);
		for (j = 0; j < nseen; j += 2) {
			if ((end_eq(&seen[j], &s) &&
			     end_eq(&seen[j + 1], &d)) ||
			    (end_eq(&seen[j], &d) && end_eq(&seen[j + 1], &s)))
				break;
		}
		if (j < nseen)
			continue;
		seen = xrealloc(seen, (nseen + 2) * sizeof(*seen));
		seen[nseen++] = s;
		seen[nseen++] = d;
		for (p = 0; p < ARRAY_SIZE(known); p++) {
			if (!strcmp(known[p].proto, e->proto))
				break;
		}
		if (p == ARRAY_SIZE(known) || d.port == known[p].port)
			continue;
		snprintf(opt, sizeof(opt), " -d %s.port==%u,%s",
			 strcmp(e->transport, "udp") ? "tcp" : "udp", d.port,
			 known[p].as);
		if (!strstr(b->data, opt) && b->len < 4000)
			buf_puts(b, opt);
	}
	free(seen);
}

/* The opt_comment of the run's first packet: printable ASCII only, the
 * scenario and verdict, then the tshark options to decode the run. */
static char *run_comment(const struct rn_run *r)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "imstb run %.300s: %.100s %.300s (%s)",
		   r->file ? r->file : "?", r->figure ? r->figure : "",
		   r->title ? r->title : "", r->passed ? "passed" : "FAILED");
	for (size_t i = 0; i < b.len; i++) {
		if ((unsigned char)b.data[i] < 0x20 ||
		    (unsigned char)b.data[i] >= 0x7f)
			b.data[i] = '?';
	}
	buf_puts(&b, "; tshark");
	run_hints(&b, r);
	return buf_steal(&b, NULL);
}

int rn_pcap_write(const char *path, struct rn_run *const *runs, size_t n)
{
	struct pcw w = { .ip_id = 1, .isn = 0x1000 };
	int err;

	if (!path || (n && !runs))
		return -EINVAL;
	buf_init(&w.out);
	buf_init(&w.pkt);
	shb_write(&w.out);
	idb_write(&w.out);
	for (size_t i = 0; i < n; i++) {
		const struct rn_run *r = runs[i];

		free(w.comment);
		w.comment = run_comment(r);
		for (size_t k = 0; k < r->nevents; k++)
			if (!r->events[k].dropped) /* never on the wire */
				event_write(&w, &r->events[k]);
		conns_close(&w, w.last_ts);
	}
	err = rn__file_write(path, w.out.data, w.out.len);
	free(w.comment);
	buf_close(&w.pkt);
	buf_close(&w.out);
	return err;
}
