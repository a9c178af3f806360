/* diam_int.h - private helpers of lib/diam (not part of the contract). */
#ifndef IMSTB_DIAM_INT_H
#define IMSTB_DIAM_INT_H

#include "diam/diam.h"

static inline uint32_t diam__be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t diam__be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void diam__put_be24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static inline void diam__put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Sets *e (if any) and returns -EBADMSG. */
int diam__err(struct diam_err *e, size_t off, const char *why, uint32_t result,
	      uint32_t code, uint32_t vendor, uint32_t avp_off,
	      uint32_t avp_len);

/* Vendor-Specific-Application-Id {Vendor-Id 10415, Auth-App-Id Cx}. */
void diam__put_cx_vsai(struct diam_build *bd);
/* Origin-Host and Origin-Realm from the local identity. */
void diam__put_origin(struct diam_build *bd, const struct diam_local *l);

#endif
