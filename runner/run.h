/*
 * run.h - what the parts of the scenario runner (bin/imstb) share: the
 * decoded trace events of one run and the verdict of every expected step.
 *
 * The core (scenario parser, launcher, matcher: runner/scn.c, launch.c,
 * match.c, main.c) produces a struct rn_run per scenario; the writers
 * (runner/ladder.c, junit.c, pcap.c, html.c) only read it. Everything in
 * these structs is owned by the struct rn_run and freed by rn_run_free.
 */
#ifndef IMSTB_RUNNER_RUN_H
#define IMSTB_RUNNER_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/* One message on the wire: one trace line (dir "send" or "recv" as seen
 * by `node`) after the runner has put names on both ends. When both ends
 * are ours the message appears twice in the trace (send at one node, recv
 * at the other); the runner keeps ONE event per message (the recv side,
 * or the send side when the receiver is not one of ours) and sets
 * `from`/`to` accordingly. */
struct rn_event {
	double t;               /* seconds since the epoch */
	char node[32];          /* the node that traced it */
	bool sent;              /* dir == "send" */
	char proto[12];         /* "sip", "diameter", "http", "ws" */
	char transport[8];      /* "udp", "tcp", "tls", "ws", "wss" */
	struct sockaddr_storage src, dst; /* real addresses, ports */
	char from[32], to[32];  /* node names, or "ip:port" if unknown */
	char *summary;          /* owned: start line / command */
	unsigned char *raw;     /* owned: the exact bytes */
	size_t len;
	char step[16];          /* figure step label it matched ("5",
				   "8-9"), "" if none */
	bool forbidden;         /* matched a `forbid` line: a failure */
	bool retrans;           /* same bytes, ends and protocol as an
				   earlier event: a retransmission, which
				   the matcher ignores */
	bool dropped;           /* dir "drop": a fault rule of `node` kept
				   it off the wire (sent is true too); only
				   a `... dropped` step matches it */
};

/* The verdict of one expected step of the scenario. */
struct rn_step {
	char label[16];        /* as in the file: "5", "8-9" */
	char from[32], to[32]; /* node names */
	char what[96];         /* "SIP REGISTER", "SIP 401", "Diameter MAR" */
	bool ok;
	bool skipped;          /* `never` steps that rightly did not happen */
	char *detail;          /* owned, NULL if ok: what differed, naming
				  the header/AVP and the value actually seen */
	int event;             /* index into rn_run.events, -1 if none */
};

struct rn_run {
	char *file;     /* scenario path */
	char *title;
	char *figure;   /* figure id as printed, e.g. "6.X.2.1.2.2-1" */
	char *purpose;
	char *notes;    /* e.g. the Editor's Note text a scenario shows */
	bool passed;
	char *error;    /* owned: one-line reason when it could not run */
	double t_start, t_end;
	struct rn_step *steps;
	size_t nsteps;
	struct rn_event *events; /* in time order */
	size_t nevents;
	char **nodes;   /* node names in ladder order (columns) */
	size_t nnodes;
};

void rn_run_free(struct rn_run *r);

/* ---- writers: each reads runs, writes one artefact; 0 or -errno ------ */

/* Terminal ladder (sequence) diagram of one run: a column per node, an
 * arrow per event labelled with its step (if any) and summary. color:
 * ANSI colours for ok/failed/forbidden. width: terminal columns. */
void rn_ladder_print(FILE *out, const struct rn_run *r, bool color,
		     int width);

/* JUnit XML: one <testsuite>, one <testcase> per run named
 * "<figure> <title>" with classname "imstb.<file basename>"; a failed
 * run gets <failure> listing each failed step and its detail. */
int rn_junit_write(const char *path, struct rn_run *const *runs, size_t n);

/* pcapng of every event of the runs with their real addresses and ports
 * (IPv4/IPv6 + UDP, or TCP with synthesized handshake and sequence
 * numbers per connection), which tshark/Wireshark decode as SIP,
 * Diameter, HTTP, WebSocket. One Section, one Interface (LINKTYPE_RAW),
 * one Enhanced Packet Block per event; each run gets a comment. */
int rn_pcap_write(const char *path, struct rn_run *const *runs, size_t n);

/* One self-contained HTML page (inline CSS/JS, no network): per run an
 * SVG ladder, each arrow labelled with its step number; clicking an arrow
 * shows the whole message (raw text, or a hex dump for binary). */
int rn_html_write(const char *path, struct rn_run *const *runs, size_t n);

#endif
