/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP content detector for traffic on ports not configured as SIP: a
 * Hyperscan block-mode database compiled once, one scratch per worker.
 * The patterns are anchored at the start of data and only the first line is
 * scanned, so a non-SIP payload costs a few bytes of scanning. */
#include "sip/sip.h"

#include <stdio.h>
#include <stdlib.h>
#include <hs/hs.h>

/* No start line we care about is longer; a longer first line is not SIP
 * seen by a probe in practice and the scan must stay bounded. */
#define HP_SIP_DETECT_WINDOW 1024

/* Same shapes hp_sip_classify() accepts, stricter on responses:
 * Request-Line (RFC 3261 §7.1): token SP scheme ":" URI-chars SP SIP/2.0,
 *   where the token class (§25.1) covers every HP_SIP_METHODS name and any
 *   extension method;
 * Status-Line (§7.2): SIP/2.0 SP 3DIGIT in 100..699 then SP or line end.
 * CASELESS because the SIP-Version is case-insensitive (§7.1); the method
 * and scheme classes already hold both cases. */
static const char *const patterns[] = {
	"^[A-Za-z0-9.!%*_+`'~-]+ [A-Za-z][A-Za-z0-9+.-]*:[^\\x00-\\x20\\x7f]* "
	"SIP/2\\.0\\r?(?:\\n|$)",
	"^SIP/2\\.0 [1-6][0-9][0-9](?: |\\r?(?:\\n|$))",
};

struct hp_sip_detector {
	hs_database_t *db;
};

struct hp_sip_scratch {
	hs_scratch_t *hs;
};

struct hp_sip_detector *hp_sip_detector_create(char *err, size_t errlen)
{
	unsigned int flags[HP_ARRAY_LEN(patterns)];
	unsigned int ids[HP_ARRAY_LEN(patterns)];
	hs_compile_error_t *cerr = NULL;
	struct hp_sip_detector *d;

	if (hs_valid_platform() != HS_SUCCESS) {
		snprintf(err, errlen, "sip detector: this CPU lacks the SSSE3 support Hyperscan needs");
		return NULL;
	}
	for (size_t i = 0; i < HP_ARRAY_LEN(patterns); i++) {
		flags[i] = HS_FLAG_SINGLEMATCH | HS_FLAG_CASELESS;
		ids[i] = (unsigned int)i;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		snprintf(err, errlen, "sip detector: out of memory");
		return NULL;
	}
	if (hs_compile_multi(patterns, flags, ids, (unsigned int)HP_ARRAY_LEN(patterns),
			     HS_MODE_BLOCK, NULL, &d->db, &cerr) != HS_SUCCESS) {
		snprintf(err, errlen, "sip detector: pattern %d: %s",
			 cerr ? cerr->expression : -1, cerr ? cerr->message : "compile failed");
		hs_free_compile_error(cerr);
		free(d);
		return NULL;
	}
	return d;
}

void hp_sip_detector_destroy(struct hp_sip_detector *d)
{
	if (d == NULL)
		return;
	hs_free_database(d->db);
	free(d);
}

struct hp_sip_scratch *hp_sip_scratch_create(const struct hp_sip_detector *d)
{
	struct hp_sip_scratch *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (hs_alloc_scratch(d->db, &s->hs) != HS_SUCCESS) {
		free(s);
		return NULL;
	}
	return s;
}

void hp_sip_scratch_destroy(struct hp_sip_scratch *s)
{
	if (s == NULL)
		return;
	hs_free_scratch(s->hs);
	free(s);
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	*(bool *)ctx = true;
	return 1; /* one match decides: stop scanning */
}

bool hp_sip_detect(const struct hp_sip_detector *d, struct hp_sip_scratch *s,
		   const uint8_t *p, size_t len)
{
	size_t off = 0, n;
	const uint8_t *lf;
	bool found = false;

	/* RFC 3261 §7.5: CRLF before a start line is ignored. */
	while (off < len && (p[off] == '\r' || p[off] == '\n'))
		off++;
	n = len - off;
	if (n == 0)
		return false;
	/* A start line begins with a token character (RFC 3261 §25.1) or "SIP/":
	 * printable ASCII. RTP (first byte 0x80..0xBF), STUN and TLS never do,
	 * so most media never reaches Hyperscan. */
	if (p[off] < 0x21 || p[off] > 0x7e)
		return false;
	if (n > HP_SIP_DETECT_WINDOW)
		n = HP_SIP_DETECT_WINDOW;
	lf = memchr(p + off, '\n', n);
	if (lf != NULL)
		n = (size_t)(lf - (p + off)) + 1;
	/* A scan error leaves found false: the payload is then not SIP. */
	hs_scan(d->db, (const char *)p + off, (unsigned int)n, 0, s->hs, on_match, &found);
	return found;
}
