/* SPDX-License-Identifier: BSD-3-Clause */
/* Compression of HEP chunk 0x10 (compressed payload).
 *
 * Framing: HEPv3 defines chunk 0x10 as the gzip of the payload, so we send a
 * gzip member (RFC 1952). The one real sender in our corpus
 * (hep3_compressed_payload_sll.pcapng, captagent-style, capture id 228) puts
 * a zlib stream (RFC 1950, 0x78 0x9c) there instead, so the decoder side,
 * hp_hep_gunzip, accepts both framings. */
#define ZLIB_CONST
#include <stdlib.h>
#include <zlib.h>

#include "hep/gz.h"

/* 15 + 16: 32 KiB window with a gzip header and trailer (RFC 1952). */
#define HP_HEP_GZ_WINDOW_BITS (15 + 16)
/* Level 1: SIP text compresses to ~50 % already at the fastest level, and the
 * encoder runs on a worker lcore. */
#define HP_HEP_GZ_LEVEL 1
#define HP_HEP_GZ_MEMLEVEL 8
/* Inflate: 15 + 32 lets zlib detect a zlib or a gzip header by itself. */
#define HP_HEP_GUNZIP_WINDOW_BITS (15 + 32)

struct hp_hep_gz {
	z_stream zs;
};

struct hp_hep_gz *hp_hep_gz_create(void)
{
	struct hp_hep_gz *gz = calloc(1, sizeof(*gz));

	if (gz == NULL)
		return NULL;
	/* deflateInit2 allocates the window and hash tables once; every later
	 * message only resets them. */
	if (deflateInit2(&gz->zs, HP_HEP_GZ_LEVEL, Z_DEFLATED, HP_HEP_GZ_WINDOW_BITS,
			 HP_HEP_GZ_MEMLEVEL, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(gz);
		return NULL;
	}
	return gz;
}

void hp_hep_gz_destroy(struct hp_hep_gz *gz)
{
	if (gz == NULL)
		return;
	deflateEnd(&gz->zs);
	free(gz);
}

size_t hp_hep_gz_deflate(struct hp_hep_gz *gz, const uint8_t *in,
			 uint32_t in_len, uint8_t *out, size_t cap)
{
	z_stream *zs = &gz->zs;

	if (deflateReset(zs) != Z_OK)
		return 0;
	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	zs->next_in = in;
	zs->avail_in = in_len;
	zs->next_out = out;
	zs->avail_out = (uInt)cap;
	/* With all input given and Z_FINISH, anything but Z_STREAM_END means the
	 * output did not fit in cap: the caller falls back to the raw payload. */
	if (deflate(zs, Z_FINISH) != Z_STREAM_END)
		return 0;
	return (size_t)zs->total_out;
}

long hp_hep_gunzip(const uint8_t *p, size_t len, uint8_t *out, size_t cap)
{
	z_stream zs;
	int rc;
	long n;

	if (len > UINT32_MAX || cap > UINT32_MAX)
		return -1;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, HP_HEP_GUNZIP_WINDOW_BITS) != Z_OK)
		return -1;
	zs.next_in = p;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	rc = inflate(&zs, Z_FINISH);
	n = (long)zs.total_out;
	inflateEnd(&zs);
	/* A stream that does not end inside p, or whose output does not fit in
	 * cap, is an error: a half-inflated SIP message is worse than none. */
	return rc == Z_STREAM_END ? n : -1;
}
