/*
 * store_prov.c - bulk and demo provisioning of the hss-sim store, on its
 * public calls, each run as one batch (one transaction: store.h).
 */
#include "store.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* A format with exactly one "%[0-9]*u" and otherwise only "%%". */
static bool fmt_ok(const char *f)
{
	int convs = 0;

	for (; f && *f; f++) {
		if (*f != '%')
			continue;
		if (*++f == '%')
			continue;
		while (*f >= '0' && *f <= '9')
			f++;
		if (*f != 'u')
			return false;
		convs++;
	}
	return convs == 1;
}

static char *fmt_one(const char *fmt, unsigned i)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, fmt, i); /* checked by fmt_ok */
	return buf_steal(&b, NULL);
}

int hss_store_bulk_create(struct hss_store *st, const struct hss_bulk *b)
{
	const char *fi = b->impi_fmt ? b->impi_fmt : "user%05u@ims.example.com";
	const char *fu = b->impu_fmt ? b->impu_fmt
				     : "sip:user%05u@ims.example.com";
	const char *fp = b->password_fmt ? b->password_fmt : "pass%05u";
	unsigned schemes = b->schemes ? b->schemes : HSS_AUTH_DIGEST;
	bool batch;
	int err = -EINVAL;

	if (!fmt_ok(fi) || !fmt_ok(fu) || !fmt_ok(fp) ||
	    b->first > UINT32_MAX - b->count)
		goto out;
	batch = hss_store_batch_begin(st);
	err = 0;
	for (unsigned i = b->first; !err && i < b->first + b->count; i++) {
		char *impi = fmt_one(fi, i), *impu = fmt_one(fu, i);
		char *pw = fmt_one(fp, i);

		err = hss_store_sub_add(st, impi, NULL, pw, schemes);
		if (!err)
			err = hss_store_impu_add(st, impi, impu, 0,
						 HSS_IMPU_DEFAULT,
						 IMS_ID_PUBLIC_USER, NULL);
		free(impi);
		free(impu);
		free(pw);
	}
	if (batch)
		err = hss_store_batch_end(st, err);
out:
	return err;
}

#define DEMO_DOMAIN "ims.example.com"

static const struct {
	const char *impi, *password, *impu[2], *range;
} demo[] = {
	{ "alice@" DEMO_DOMAIN, "alice-pass",
	  { "sip:alice@" DEMO_DOMAIN, "tel:+15550100" }, NULL },
	{ "bob@" DEMO_DOMAIN, "bob-pass", { "sip:bob@" DEMO_DOMAIN, NULL },
	  NULL },
	/* [range]: a distinct default IMPU, then the block in the same
	 * implicit set, so the P-Associated-URI of the block's registration
	 * lists the wildcard second, never top-most (PROTOCOL-NOTES 1.3) */
	{ "enterprise@" DEMO_DOMAIN, "enterprise-pass",
	  { "sip:enterprise@" DEMO_DOMAIN, NULL },
	  "sip:+15551230![0-9]{3}!@" DEMO_DOMAIN },
};

int hss_store_provision_demo(struct hss_store *st)
{
	struct hss_sub sub;
	bool batch = hss_store_batch_begin(st);
	int err = 0;

	for (size_t i = 0; !err && i < ARRAY_SIZE(demo); i++) {
		int64_t iset = 0;

		err = hss_store_sub_get(st, demo[i].impi, &sub);
		hss_sub_close(&sub);
		if (err != -ENOENT)
			continue; /* already there (0), or a real error */
		err = hss_store_sub_add(st, demo[i].impi, DEMO_DOMAIN,
					demo[i].password, HSS_AUTH_DIGEST);
		/* the first IMPU is the default of the one implicit set */
		for (size_t k = 0; !err && k < 2 && demo[i].impu[k]; k++)
			err = hss_store_impu_add(st, demo[i].impi,
						 demo[i].impu[k], iset,
						 k ? 0 : HSS_IMPU_DEFAULT,
						 IMS_ID_PUBLIC_USER, &iset);
		if (!err && demo[i].range)
			err = hss_store_wildcard_add(st, demo[i].impi,
						     demo[i].range, iset, 0,
						     NULL);
	}
	return batch ? hss_store_batch_end(st, err) : err;
}
