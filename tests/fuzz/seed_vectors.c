/*
 * seed_vectors.c - writes the SIP unit-test vectors (tests/unit/vectors/
 * sip/*.inc) as raw files for the fuzz seed corpus (tests/fuzz/seed.py
 * builds and runs it; not part of any binary).
 *   seed_vectors DIR   writes DIR/vec-msg-N (whole messages) and
 *                      DIR/vec-uri-N, -addr-N, -via-N (each element put
 *                      into a minimal REGISTER, where the codec reads it)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip.h"
#include "../unit/vectors/sip/parse.inc"
#include "../unit/vectors/sip/elems.inc"

static void put(const char *dir, const char *kind, size_t i, const char *p,
		size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/vec-%s-%zu", dir, kind, i);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		exit(1);
}

static void wrap(const char *dir, const char *kind, size_t i,
		 const char *ruri, const char *via, const char *contact)
{
	char m[2048];
	int n = snprintf(m, sizeof(m),
			 "REGISTER %s SIP/2.0\r\nVia: %s\r\n"
			 "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
			 "Call-ID: v%zu\r\nCSeq: 1 REGISTER\r\n"
			 "Contact: %s\r\nMax-Forwards: 70\r\n"
			 "Content-Length: 0\r\n\r\n",
			 ruri, via, i, contact);

	if (n > 0 && (size_t)n < sizeof(m))
		put(dir, kind, i, m, (size_t)n);
}

int main(int argc, char **argv)
{
	static const char via[] = "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1";

	if (argc != 2)
		return 2;
	for (size_t i = 0; i < ARRAY_SIZE(pvec); i++)
		if (pvec[i].in)
			put(argv[1], "msg", i, pvec[i].in, pvec[i].len);
	for (size_t i = 0; i < ARRAY_SIZE(uvec); i++)
		wrap(argv[1], "uri", i, uvec[i].in, via, "<sip:a@b>");
	for (size_t i = 0; i < ARRAY_SIZE(avec); i++)
		wrap(argv[1], "addr", i, "sip:b", via, avec[i].in);
	for (size_t i = 0; i < ARRAY_SIZE(vvec); i++)
		wrap(argv[1], "via", i, "sip:b", vvec[i].in, "<sip:a@b>");
	return 0;
}
