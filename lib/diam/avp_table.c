/*
 * avp_table.c - the one AVP dictionary (code, vendor, type, flags, name)
 * used by the builder, the validating parser and the log names; plus the
 * command and Result-Code names.
 *
 * Sources: RFC 6733 §4.5 (base AVP flag table), RFC 4740 §9 / RFC 5090 for
 * the Digest-* AVPs (M must, V must not; imported by TS 29.229 §6.3.36),
 * TS 29.229 Table 6.3.1 for 600..663 (vendor 10415). "M" below is the MUST
 * column; mnot is the MUST NOT column for the M bit. Keep sorted by code:
 * lookups are binary searches and codes are unique in this table.
 */
#include "diam/diam.h"

#define V3 DIAM_VENDOR_3GPP
#define M  DIAM_AVP_M
#define MV (DIAM_AVP_M | DIAM_AVP_V)
#define VO DIAM_AVP_V

#define T(t) DIAM_TYPE_##t

static const struct diam_avp_def avp_defs[] = {
	{ 1, 0, T(UTF8), M, 0, "User-Name" },
	{ 33, 0, T(OCTETS), M, 0, "Proxy-State" },
	{ 104, 0, T(UTF8), M, 0, "Digest-Realm" },
	{ 110, 0, T(UTF8), M, 0, "Digest-QoP" },
	{ 111, 0, T(UTF8), M, 0, "Digest-Algorithm" },
	{ 121, 0, T(UTF8), M, 0, "Digest-HA1" },
	{ 257, 0, T(ADDR), M, 0, "Host-IP-Address" },
	{ 258, 0, T(U32), M, 0, "Auth-Application-Id" },
	{ 259, 0, T(U32), M, 0, "Acct-Application-Id" },
	{ 260, 0, T(GROUPED), M, 0, "Vendor-Specific-Application-Id" },
	{ 263, 0, T(UTF8), M, 0, "Session-Id" },
	{ 264, 0, T(IDENT), M, 0, "Origin-Host" },
	{ 265, 0, T(U32), M, 0, "Supported-Vendor-Id" },
	{ 266, 0, T(U32), M, 0, "Vendor-Id" },
	{ 267, 0, T(U32), 0, M, "Firmware-Revision" },
	{ 268, 0, T(U32), M, 0, "Result-Code" },
	{ 269, 0, T(UTF8), 0, M, "Product-Name" },
	{ 273, 0, T(ENUM), M, 0, "Disconnect-Cause" },
	{ 277, 0, T(ENUM), M, 0, "Auth-Session-State" },
	{ 278, 0, T(U32), M, 0, "Origin-State-Id" },
	{ 279, 0, T(GROUPED), M, 0, "Failed-AVP" },
	{ 280, 0, T(IDENT), M, 0, "Proxy-Host" },
	{ 281, 0, T(UTF8), 0, M, "Error-Message" },
	{ 282, 0, T(IDENT), M, 0, "Route-Record" },
	{ 283, 0, T(IDENT), M, 0, "Destination-Realm" },
	{ 284, 0, T(GROUPED), M, 0, "Proxy-Info" },
	{ 293, 0, T(IDENT), M, 0, "Destination-Host" },
	{ 294, 0, T(IDENT), 0, M, "Error-Reporting-Host" },
	{ 296, 0, T(IDENT), M, 0, "Origin-Realm" },
	{ 297, 0, T(GROUPED), M, 0, "Experimental-Result" },
	{ 298, 0, T(U32), M, 0, "Experimental-Result-Code" },
	{ 299, 0, T(U32), M, 0, "Inband-Security-Id" },
	{ 600, V3, T(OCTETS), MV, 0, "Visited-Network-Identifier" },
	{ 601, V3, T(UTF8), MV, 0, "Public-Identity" },
	{ 602, V3, T(UTF8), MV, 0, "Server-Name" },
	{ 603, V3, T(GROUPED), MV, 0, "Server-Capabilities" },
	{ 604, V3, T(U32), MV, 0, "Mandatory-Capability" },
	{ 605, V3, T(U32), MV, 0, "Optional-Capability" },
	{ 606, V3, T(OCTETS), MV, 0, "User-Data" },
	{ 607, V3, T(U32), MV, 0, "SIP-Number-Auth-Items" },
	{ 608, V3, T(UTF8), MV, 0, "SIP-Authentication-Scheme" },
	{ 609, V3, T(OCTETS), MV, 0, "SIP-Authenticate" },
	{ 610, V3, T(OCTETS), MV, 0, "SIP-Authorization" },
	{ 611, V3, T(OCTETS), MV, 0, "SIP-Authentication-Context" },
	{ 612, V3, T(GROUPED), MV, 0, "SIP-Auth-Data-Item" },
	{ 613, V3, T(U32), MV, 0, "SIP-Item-Number" },
	{ 614, V3, T(ENUM), MV, 0, "Server-Assignment-Type" },
	{ 615, V3, T(GROUPED), MV, 0, "Deregistration-Reason" },
	{ 616, V3, T(ENUM), MV, 0, "Reason-Code" },
	{ 617, V3, T(UTF8), MV, 0, "Reason-Info" },
	{ 618, V3, T(GROUPED), MV, 0, "Charging-Information" },
	{ 619, V3, T(URI), MV, 0, "Primary-Event-Charging-Function-Name" },
	{ 620, V3, T(URI), MV, 0, "Secondary-Event-Charging-Function-Name" },
	{ 621, V3, T(URI), MV, 0, "Primary-Charging-Collection-Function-Name" },
	{ 622, V3, T(URI), MV, 0,
	  "Secondary-Charging-Collection-Function-Name" },
	{ 623, V3, T(ENUM), MV, 0, "User-Authorization-Type" },
	{ 624, V3, T(ENUM), MV, 0, "User-Data-Already-Available" },
	{ 625, V3, T(OCTETS), MV, 0, "Confidentiality-Key" },
	{ 626, V3, T(OCTETS), MV, 0, "Integrity-Key" },
	/* Supported-Features: M is "may" (TS 29.229 §6.3.29) */
	{ 628, V3, T(GROUPED), VO, 0, "Supported-Features" },
	{ 629, V3, T(U32), VO, M, "Feature-List-ID" },
	{ 630, V3, T(U32), VO, M, "Feature-List" },
	{ 631, V3, T(GROUPED), VO, M, "Supported-Applications" },
	{ 632, V3, T(GROUPED), VO, M, "Associated-Identities" },
	{ 633, V3, T(ENUM), MV, 0, "Originating-Request" },
	{ 634, V3, T(UTF8), VO, M, "Wildcarded-Public-Identity" },
	{ 635, V3, T(GROUPED), VO, M, "SIP-Digest-Authenticate" },
	{ 636, V3, T(UTF8), VO, M, "Wildcarded-IMPU" },
	{ 637, V3, T(U32), VO, M, "UAR-Flags" },
	{ 638, V3, T(ENUM), VO, M, "Loose-Route-Indication" },
	{ 653, V3, T(U32), VO, M, "LIA-Flags" },
	{ 655, V3, T(U32), VO, M, "SAR-Flags" },
	{ 656, V3, T(GROUPED), VO, M, "Allowed-WAF-WWSF-Identities" },
	{ 657, V3, T(UTF8), VO, M, "WebRTC-Authentication-Function-Name" },
	{ 658, V3, T(UTF8), VO, M, "WebRTC-Web-Server-Function-Name" },
	{ 662, V3, T(UTF8), VO, M, "Alternate-Digest-Algorithm" },
	{ 663, V3, T(UTF8), VO, M, "Alternate-Digest-HA1" },
};

const struct diam_avp_def *diam_avp_def_by_code(uint32_t code)
{
	size_t lo = 0, hi = ARRAY_SIZE(avp_defs);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (avp_defs[mid].code == code)
			return &avp_defs[mid];
		if (avp_defs[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct diam_avp_def *diam_avp_def_find(uint32_t code, uint32_t vendor)
{
	const struct diam_avp_def *d = diam_avp_def_by_code(code);

	return d && d->vendor == vendor ? d : NULL;
}

const char *diam_avp_name(uint32_t code, uint32_t vendor)
{
	const struct diam_avp_def *d = diam_avp_def_find(code, vendor);

	return d ? d->name : "Unknown-AVP";
}

static const struct {
	uint32_t cmd;
	const char *req, *ans;
} cmd_names[] = {
	{ DIAM_CMD_CE, "CER", "CEA" }, { DIAM_CMD_DW, "DWR", "DWA" },
	{ DIAM_CMD_DP, "DPR", "DPA" }, { DIAM_CMD_UA, "UAR", "UAA" },
	{ DIAM_CMD_SA, "SAR", "SAA" }, { DIAM_CMD_LI, "LIR", "LIA" },
	{ DIAM_CMD_MA, "MAR", "MAA" },
};

const char *diam_cmd_name(uint32_t cmd, bool request)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmd_names); i++) {
		if (cmd_names[i].cmd == cmd)
			return request ? cmd_names[i].req : cmd_names[i].ans;
	}
	return request ? "Unknown-Request" : "Unknown-Answer";
}

static const struct {
	uint32_t code;
	const char *name;
} result_names[] = {
	{ 2001, "DIAMETER_SUCCESS" },
	{ 2002, "DIAMETER_LIMITED_SUCCESS" },
	{ 3001, "DIAMETER_COMMAND_UNSUPPORTED" },
	{ 3002, "DIAMETER_UNABLE_TO_DELIVER" },
	{ 3003, "DIAMETER_REALM_NOT_SERVED" },
	{ 3004, "DIAMETER_TOO_BUSY" },
	{ 3005, "DIAMETER_LOOP_DETECTED" },
	{ 3007, "DIAMETER_APPLICATION_UNSUPPORTED" },
	{ 3008, "DIAMETER_INVALID_HDR_BITS" },
	{ 3009, "DIAMETER_INVALID_AVP_BITS" },
	{ 3010, "DIAMETER_UNKNOWN_PEER" },
	{ 5001, "DIAMETER_AVP_UNSUPPORTED" },
	{ 5002, "DIAMETER_UNKNOWN_SESSION_ID" },
	{ 5003, "DIAMETER_AUTHORIZATION_REJECTED" },
	{ 5004, "DIAMETER_INVALID_AVP_VALUE" },
	{ 5005, "DIAMETER_MISSING_AVP" },
	{ 5006, "DIAMETER_RESOURCES_EXCEEDED" },
	{ 5007, "DIAMETER_CONTRADICTING_AVPS" },
	{ 5008, "DIAMETER_AVP_NOT_ALLOWED" },
	{ 5009, "DIAMETER_AVP_OCCURS_TOO_MANY_TIMES" },
	{ 5010, "DIAMETER_NO_COMMON_APPLICATION" },
	{ 5011, "DIAMETER_UNSUPPORTED_VERSION" },
	{ 5012, "DIAMETER_UNABLE_TO_COMPLY" },
	{ 5014, "DIAMETER_INVALID_AVP_LENGTH" },
	{ 5015, "DIAMETER_INVALID_MESSAGE_LENGTH" },
};

const char *diam_result_name(uint32_t code)
{
	for (size_t i = 0; i < ARRAY_SIZE(result_names); i++) {
		if (result_names[i].code == code)
			return result_names[i].name;
	}
	return "UNKNOWN";
}
