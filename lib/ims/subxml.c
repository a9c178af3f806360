/*
 * subxml.c - the IMSSubscription document (TS 29.228 Annex E), sent by the
 * HSS in the User-Data AVP of SAA (TS 29.229 §6.3.7) and read by the
 * S-CSCF. Built and parsed with libxml2; the parser reads untrusted bytes
 * from the wire, so it is bounded and never resolves entities.
 */
#include "ims/ims.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

/* ---- the in-memory form --------------------------------------------- */

void ims_sub_init(struct ims_sub *s, const char *private_id)
{
	memset(s, 0, sizeof(*s));
	s->private_id = private_id ? xstrdup(private_id) : NULL;
}

void ims_sub_close(struct ims_sub *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->ids[i].identity);
		free(s->ids[i].wildcard);
	}
	free(s->ids);
	free(s->private_id);
	memset(s, 0, sizeof(*s));
}

static bool type_has_wildcard(enum ims_id_type t)
{
	return t == IMS_ID_WILDCARDED_PSI || t == IMS_ID_WILDCARDED_IMPU ||
	       t == IMS_ID_NON_DISTINCT_IMPU;
}

int ims_sub_add(struct ims_sub *s, const char *identity,
		enum ims_id_type type, bool barred, const char *wildcard,
		unsigned profile)
{
	struct ims_pubid *id;
	int err = -EINVAL;

	if (!identity || (unsigned)type > IMS_ID_WILDCARDED_IMPU ||
	    s->n >= IMS_SUB_IDS_MAX ||
	    (s->n && s->ids[s->n - 1].profile > profile) ||
	    (type_has_wildcard(type) && !wildcard))
		goto out;
	s->ids = xrealloc(s->ids, (s->n + 1) * sizeof(*s->ids));
	id = &s->ids[s->n++];
	id->identity = xstrdup(identity);
	id->wildcard = wildcard ? xstrdup(wildcard) : NULL;
	id->type = type;
	id->barred = barred;
	id->profile = profile;
	err = 0;
out:
	return err;
}

/* ---- printing --------------------------------------------------------- */

/* libxml2 returns NULL on OOM; we abort like xmalloc (STYLE rule 5).
 * xmlNewTextChild escapes '<', '&' and friends in text. */
static xmlNodePtr child(xmlNodePtr parent, const char *name, const char *text)
{
	xmlNodePtr n = xmlNewTextChild(parent, NULL, BAD_CAST name,
				       BAD_CAST text);

	if (!n)
		abort();
	return n;
}

/* 29.228 Annex E tPublicIdentity: BarringIndication (default 0, so only
 * written when barred), Identity, Extension. tPublicIdentityExtension:
 * IdentityType, WildcardedPSI, Extension (Extension2: DisplayName,
 * AliasIdentityGroupID, Extension (Extension3: WildcardedIMPU, ...)). */
static void pubid_print(xmlNodePtr sp, const struct ims_pubid *id)
{
	xmlNodePtr pi = child(sp, "PublicIdentity", NULL);
	xmlNodePtr ext, ext3;
	char type[4];

	if (id->barred)
		child(pi, "BarringIndication", "1");
	child(pi, "Identity", id->identity);
	ext = child(pi, "Extension", NULL);
	snprintf(type, sizeof(type), "%u", (unsigned)id->type);
	child(ext, "IdentityType", type);
	if (id->type == IMS_ID_WILDCARDED_PSI && id->wildcard)
		child(ext, "WildcardedPSI", id->wildcard);
	if ((id->type == IMS_ID_WILDCARDED_IMPU ||
	     id->type == IMS_ID_NON_DISTINCT_IMPU) &&
	    id->wildcard) {
		ext3 = child(child(ext, "Extension", NULL), "Extension", NULL);
		child(ext3, "WildcardedIMPU", id->wildcard);
	}
}

int ims_sub_print(const struct ims_sub *s, struct buf *out)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, sp = NULL;
	xmlChar *mem = NULL;
	int size = 0, err = -EINVAL;

	if (!s->private_id || s->n == 0)
		goto out;
	doc = xmlNewDoc(BAD_CAST "1.0");
	root = xmlNewNode(NULL, BAD_CAST "IMSSubscription");
	if (!doc || !root)
		abort();
	xmlDocSetRootElement(doc, root);
	child(root, "PrivateID", s->private_id);
	for (size_t i = 0; i < s->n; i++) {
		if (!sp || s->ids[i].profile != s->ids[i - 1].profile)
			sp = child(root, "ServiceProfile", NULL);
		pubid_print(sp, &s->ids[i]);
	}
	xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	if (!mem)
		abort();
	buf_append(out, mem, (size_t)size);
	err = 0;
out:
	xmlFree(mem);
	xmlFreeDoc(doc);
	return err;
}

/* ---- parsing ---------------------------------------------------------- */

static bool is_elem(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       xmlStrcmp(n->name, BAD_CAST name) == 0;
}

static xmlNodePtr first_elem(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

/* Element text with surrounding whitespace trimmed (pretty-printed
 * documents indent), as a heap string. */
static char *text_dup(xmlNodePtr n)
{
	xmlChar *c = xmlNodeGetContent(n);
	char *s = sv_dup(sv_trim(sv_from_cstr(c ? (const char *)c : "")));

	xmlFree(c);
	return s;
}

/* xs:boolean (29.228 tBool): "0", "1", "false", "true". */
static int bool_parse(xmlNodePtr n, bool *out)
{
	char *t = text_dup(n);
	int err = 0;

	if (!strcmp(t, "1") || !strcmp(t, "true"))
		*out = true;
	else if (!strcmp(t, "0") || !strcmp(t, "false"))
		*out = false;
	else
		err = -EBADMSG;
	free(t);
	return err;
}

static int pubid_parse(struct ims_sub *s, xmlNodePtr pi, unsigned profile,
		       struct perr *e)
{
	xmlNodePtr idn = first_elem(pi, "Identity");
	xmlNodePtr bar = first_elem(pi, "BarringIndication");
	xmlNodePtr ext = first_elem(pi, "Extension");
	xmlNodePtr tn = first_elem(ext, "IdentityType");
	xmlNodePtr wn = first_elem(ext, "WildcardedPSI");
	xmlNodePtr wi = first_elem(
		first_elem(first_elem(ext, "Extension"), "Extension"),
		"WildcardedIMPU");
	char *ident = NULL, *wc = NULL, *ts = NULL;
	uint64_t type = IMS_ID_PUBLIC_USER;
	bool barred = false;
	int err;

	if (!idn) {
		err = perr_set(e, 0, "User-Data: PublicIdentity without "
				     "Identity", 0);
		goto out;
	}
	if (bar && bool_parse(bar, &barred)) {
		err = perr_set(e, 0, "User-Data: bad BarringIndication", 0);
		goto out;
	}
	if (tn) {
		ts = text_dup(tn);
		if (sv_to_u64(sv_from_cstr(ts), IMS_ID_WILDCARDED_IMPU,
			      &type)) {
			err = perr_set(e, 0, "User-Data: bad IdentityType", 0);
			goto out;
		}
	}
	ident = text_dup(idn);
	if (wi || wn)
		wc = text_dup(wi ? wi : wn);
	if (!*ident) {
		err = perr_set(e, 0, "User-Data: empty Identity", 0);
		goto out;
	}
	err = ims_sub_add(s, ident, (enum ims_id_type)type, barred, wc,
			  profile);
	if (err)
		err = perr_set(e, 0, "User-Data: too many identities, or a "
				     "wildcarded type without its wildcard",
			       0);
out:
	free(ts);
	free(ident);
	free(wc);
	return err;
}

static int tree_parse(struct ims_sub *s, xmlNodePtr root, struct perr *e)
{
	xmlNodePtr pid = root ? first_elem(root, "PrivateID") : NULL;
	unsigned profile = 0;
	int err = 0;

	if (!root || !is_elem(root, "IMSSubscription") || !pid) {
		err = perr_set(e, 0, "User-Data: not an IMSSubscription with "
				     "a PrivateID", 0);
		goto out;
	}
	s->private_id = text_dup(pid);
	for (xmlNodePtr sp = root->children; sp; sp = sp->next) {
		if (!is_elem(sp, "ServiceProfile"))
			continue;
		for (xmlNodePtr pi = sp->children; pi; pi = pi->next) {
			if (!is_elem(pi, "PublicIdentity"))
				continue;
			err = pubid_parse(s, pi, profile, e);
			if (err)
				goto out;
		}
		profile++;
	}
	if (s->n == 0)
		err = perr_set(e, 0, "User-Data: no ServiceProfile with a "
				     "PublicIdentity", 0);
out:
	return err;
}

/* Markup that declares entities or a DTD: refused outright, since
 * 29.228 Annex E documents have none (XXE and "billion laughs"). */
static const char *const banned[] = { "<!DOCTYPE", "<!ENTITY" };

int ims_sub_parse(const char *xml, size_t len, struct ims_sub *out,
		  struct perr *e)
{
	xmlDocPtr doc = NULL;
	int err = 0;

	ims_sub_init(out, NULL);
	if (len > IMS_SUB_XML_MAX) {
		perr_set(e, IMS_SUB_XML_MAX, "User-Data: over 64 KiB", 0);
		err = -EMSGSIZE;
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(banned); i++) {
		const char *p = memmem(xml, len, banned[i], strlen(banned[i]));

		if (p) {
			err = perr_set(e, (size_t)(p - xml),
				       "User-Data: DTD/entity not allowed", 0);
			goto out;
		}
	}
	/* No XML_PARSE_NOENT / DTDLOAD / XINCLUDE: nothing is substituted or
	 * fetched; NONET forbids the network even if that changed. */
	doc = xmlReadMemory(xml, (int)len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING);
	if (!doc || doc->intSubset || doc->extSubset) {
		err = perr_set(e, 0, "User-Data: not well-formed XML", 0);
		goto out;
	}
	err = tree_parse(out, xmlDocGetRootElement(doc), e);
out:
	xmlFreeDoc(doc);
	if (err)
		ims_sub_close(out);
	return err;
}
