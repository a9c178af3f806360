/* app_sip.c - SIP stack settings shared by every SIP process. */
#include "app/app_sip.h"

void app_sipt_conf(const struct app_sip *s, struct sipt_conf *sc)
{
	sc->timers = (struct sipt_timers){
		.t1 = (unsigned)s->t1_ms,
		.t2 = (unsigned)s->t2_ms,
		.t4 = (unsigned)s->t4_ms,
		.tcp_idle = (unsigned)s->tcp_idle_ms,
	};
	sc->limits.max_conns = (unsigned)s->max_conns;
	sc->limits.max_trans = (unsigned)s->max_trans;
}
