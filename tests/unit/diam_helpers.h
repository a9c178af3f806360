/* diam_helpers.h - helpers shared by check_diam.c and check_diam_peer.c
 * (static inline so a file that uses only some of them still builds). */
#ifndef IMSTB_TEST_DIAM_HELPERS_H
#define IMSTB_TEST_DIAM_HELPERS_H

/* ---- helpers ------------------------------------------------------------- */

/* Hex (spaces ignored) appended to b. */
static inline void hex_put(struct buf *b, const char *hex)
{
	for (const char *p = hex; *p;) {
		unsigned v;

		if (*p == ' ') {
			p++;
			continue;
		}
		ck_assert(sscanf(p, "%2x", &v) == 1);
		buf_append(b, &(uint8_t){ (uint8_t)v }, 1);
		p += 2;
	}
}

static inline uint32_t be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static const struct diam_local test_local = {
	.host = "hss.ims.test",
	.realm = "ims.test",
	.product = "imstb",
	.vendor_id = 0,
	.origin_state_id = 1,
};

/* Builds the AVPs of a Cx message by hand (to break its CCF). */
static inline void cx_raw(struct buf *b, uint32_t cmd, bool req, int variant)
{
	struct diam_build bd;

	diam_build_start(&bd, b, req ? 0xc0 : 0x40, cmd, DIAM_APP_CX, 1, 2);
	diam_put_str(&bd, DIAM_AVP_SESSION_ID, "s;1;1");
	diam_group_begin(&bd, DIAM_AVP_VENDOR_SPECIFIC_APPLICATION_ID);
	diam_put_u32(&bd, DIAM_AVP_VENDOR_ID, DIAM_VENDOR_3GPP);
	diam_put_u32(&bd, DIAM_AVP_AUTH_APPLICATION_ID, DIAM_APP_CX);
	diam_group_end(&bd);
	if (variant == 2) {
		diam_group_begin(&bd, DIAM_AVP_EXPERIMENTAL_RESULT);
		diam_put_u32(&bd, DIAM_AVP_VENDOR_ID, DIAM_VENDOR_3GPP);
		diam_group_end(&bd);
	}
	diam_put_u32(&bd, DIAM_AVP_AUTH_SESSION_STATE, 1);
	diam_put_str(&bd, DIAM_AVP_ORIGIN_HOST, "h");
	diam_put_str(&bd, DIAM_AVP_ORIGIN_REALM, "r");
	diam_put_str(&bd, DIAM_AVP_DESTINATION_REALM, "r");
	diam_put_str(&bd, DIAM_AVP_USER_NAME, "u");
	if (variant == 1)
		diam_put_str(&bd, DIAM_AVP_USER_NAME, "u2");
	diam_put_str(&bd, DIAM_AVP_SERVER_NAME, "sip:s");
	diam_put_u32(&bd, DIAM_AVP_SERVER_ASSIGNMENT_TYPE, 1);
	diam_put_u32(&bd, DIAM_AVP_USER_DATA_ALREADY_AVAILABLE, 0);
	ck_assert_int_eq(diam_build_finish(&bd), 0);
}

#endif
