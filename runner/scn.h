/*
 * scn.h - scenario files (scenarios/.../NAME.scn): the parsed form of one
 * 3GPP figure as the runner replays and checks it. The language itself is
 * specified in scenarios/README.md; this header is the contract between
 * the parser (scn.c), the driver (drive.c) and the matcher (match.c).
 *
 * Parsing is strict and names the fault: every error is one line
 * "FILE:LINE: reason". Everything below is owned by the struct scn and
 * released by scn_free.
 */
#ifndef IMSTB_RUNNER_SCN_H
#define IMSTB_RUNNER_SCN_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCN_NAME_LEN 32
#define SCN_ERR_LEN 512

/* Protocols a step can name (the first word of its message). */
enum scn_proto { SCN_SIP = 0, SCN_DIAM, SCN_HTTP, SCN_WS, SCN_PROTO__COUNT };

/* What a check reads from a message (field table in scn.c). */
enum scn_field_kind {
	SCN_F_START = 0, /* start line (SIP, HTTP), command name (Diameter) */
	SCN_F_METHOD,
	SCN_F_STATUS,
	SCN_F_REASON,
	SCN_F_RURI,
	SCN_F_HEADER,   /* header NAME[N] */
	SCN_F_PARAM,    /* param HEADER[N] NAME */
	SCN_F_URI,      /* uri HEADER[N] */
	SCN_F_URIPARAM, /* uriparam HEADER[N] NAME */
	SCN_F_BODY,
	SCN_F_TRANSPORT,
	SCN_F_AVP,    /* avp NAME[N], anywhere in the message */
	SCN_F_CMD,    /* Diameter command name: MAR, SAA ... */
	SCN_F_RESULT, /* Result-Code or Experimental-Result-Code */
	SCN_F_JSON,   /* json KEY[.KEY...]: a member of a JSON body */
	SCN_F_JWT,    /* jwt claim|header NAME: a member of the JWT the
			 message carries (Authorization: Bearer, JSON or
			 form `token`), decoded, not verified */
};

struct scn_field {
	enum scn_field_kind kind;
	bool count;    /* `count header X`: how many, as a number */
	char *name;    /* header or AVP name (owned), NULL if none */
	unsigned idx;  /* [N], 1-based; 0 = all of them / the first */
	char *sub;     /* param name (owned), NULL if none */
	uint32_t avp;  /* AVP code (SCN_F_AVP) */
};

enum scn_op {
	SCN_OP_PRESENT = 0,
	SCN_OP_ABSENT,
	SCN_OP_EQ,  /* == */
	SCN_OP_NE,  /* != */
	SCN_OP_RE,  /* ~  POSIX extended regex, unanchored */
	SCN_OP_NRE, /* !~ */
	SCN_OP_LT,
	SCN_OP_LE,
	SCN_OP_GT,
	SCN_OP_GE,
};

/* One line under a step: an assertion, or a capture (`capture V = ...`)
 * which stores a value for later checks (`$V` or `${V}` in a value). */
struct scn_check {
	int line;
	char *text;     /* the line as written (trimmed), for reports */
	bool capture;
	char *var;      /* capture: variable name */
	struct scn_field f;
	enum scn_op op; /* capture: SCN_OP_RE when it has a regex, else
			   SCN_OP_PRESENT */
	char *arg;      /* value or regex as written (quotes removed) */
	bool has_vars;  /* arg contains ${...}: expanded at match time */
	bool re_ok;     /* re compiled (regex without variables) */
	regex_t re;
};

enum scn_step_kind {
	SCN_STEP = 0, /* numbered step, matched in file order */
	SCN_NEVER,    /* a figure step that must not happen (in its place) */
	SCN_REQUIRE,  /* must appear somewhere, in any order */
	SCN_ALLOW,    /* exempt from `forbid` */
	SCN_FORBID,   /* a failure if seen anywhere */
};

struct scn_step {
	enum scn_step_kind kind;
	int line;
	char label[16];            /* "5", "8-9"; "" for require/allow/forbid */
	char from[SCN_NAME_LEN];   /* node name or "*" */
	char to[SCN_NAME_LEN];
	enum scn_proto proto;
	char sel[64];   /* SIP: method, "401", "4xx" or "*"; Diameter: "MAR"
			   or "*"; HTTP: "POST /login", "200"; WS: "upgrade" */
	char what[96];  /* as printed: "SIP REGISTER", "Diameter MAR" */
	bool dropped;   /* `... dropped`: the message a fault rule kept off
			   the wire (trace dir "drop"), matched only so */
	struct scn_check *checks;
	size_t nchecks;
};

/* Actions, in the order the driver runs them (table in scn.c). */
enum scn_act_kind {
	SCN_ACT_CLIENT = 0, /* client NAME register|refresh|deregister k=v..
			       or client NAME web get|login [words]
			       or client NAME token forge KIND */
	SCN_ACT_WAIT_CLIENT, /* wait client NAME EVENT [status=N]
				[result=R] [TIME] */
	SCN_ACT_SLEEP,       /* wait TIME */
	SCN_ACT_STOP,        /* stop NODE: SIGSTOP, it never answers */
	SCN_ACT_RESUME,      /* resume NODE: SIGCONT */
	SCN_ACT_KILL,        /* kill NODE: SIGTERM, must exit 0 */
	SCN_ACT_START,       /* start NODE (after kill) */
	SCN_ACT_RESTART,     /* restart NODE: kill + start */
	SCN_ACT_CRASH,       /* crash NODE: SIGKILL (start brings it back) */
	SCN_ACT_WAIT_STEP,   /* wait step LABEL [TIME]: until that step's
				message is in the trace (verb: the label) */
	SCN_ACT_FAULT,       /* fault NODE drop|delay|clear ...: verb the
				word, kv: proto, selector, to=, count=;
				ms: the delay */
};

struct scn_action {
	enum scn_act_kind kind;
	int line;
	char *text;              /* the line as written */
	char node[SCN_NAME_LEN]; /* node, or the UA name for client/wait */
	char verb[16];           /* register/refresh/deregister, "web get",
				    "web login", "token forge"; wait: the
				    event */
	char **kv;               /* client: extra key=value words, or the
				    words after web get|login|token forge
				    (owned) */
	size_t nkv;
	long ms;                 /* wait: timeout / duration */
	int status;              /* wait client: expected status, 0 any */
	char result[32];         /* wait client: expected "result", "" any */
};

struct scn_user {
	char name[SCN_NAME_LEN];
	char *impu, *impi, *password; /* owned */
};

/* `config NODE key=value` and `provision NODE args...`. */
struct scn_conf {
	char node[SCN_NAME_LEN];
	int line;
	char *kv;    /* config: "key=value" */
	char **argv; /* provision: the arguments, NULL-terminated */
	size_t argc;
};

struct scn {
	char *file;
	char *title, *figure, *purpose, *notes, *tags; /* NULL if absent */
	char **nodes;
	size_t nnodes;
	struct scn_conf *confs;
	size_t nconfs;
	struct scn_conf *provs;
	size_t nprovs;
	struct scn_user *users;
	size_t nusers;
	bool timers_fast;
	long timeout_ms; /* `timeout`: 0 = the command line's */
	struct scn_action *acts;
	size_t nacts;
	struct scn_step *steps;
	size_t nsteps;
};

/* Parses the text of a scenario (name is used in messages). 0, or
 * -EINVAL with "name:LINE: reason" in err. */
int scn_parse(struct scn **out, const char *name, const char *text,
	      char err[SCN_ERR_LEN]);
/* Reads and parses a file; -errno and a message if it cannot be read. */
int scn_load(struct scn **out, const char *path, char err[SCN_ERR_LEN]);
void scn_free(struct scn *s); /* NULL is accepted */

bool scn_has_node(const struct scn *s, const char *node);
/* The user (demo or declared) called name, NULL if none. */
const struct scn_user *scn_user_find(const struct scn *s, const char *name);

/* "SIP", "Diameter", "HTTP", "WS"; the trace's "sip", "diameter"... */
const char *scn_proto_name(enum scn_proto p);
const char *scn_proto_trace(enum scn_proto p);
/* Step kind and operator as written ("step", "=="). */
const char *scn_kind_name(enum scn_step_kind k);
const char *scn_op_name(enum scn_op op);
/* The field as written ("param WWW-Authenticate nonce"), into dst. */
void scn_field_print(const struct scn_field *f, char *dst, size_t n);

/* Symbolic values of enumerated AVPs (Server-Assignment-Type
 * REGISTRATION = 1 ...). Returns the name or NULL. */
const char *scn_avp_enum_name(uint32_t code, long value);
/* -ENOENT if name is not a value of that AVP. */
int scn_avp_enum_value(uint32_t code, const char *name, long *value);
/* AVP code from its dictionary name (case-insensitive); -ENOENT. */
int scn_avp_code(const char *name, uint32_t *code);

#endif
