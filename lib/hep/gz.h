/* SPDX-License-Identifier: BSD-3-Clause */
/* Module-internal interface between the HEP encoder (hep.c) and the
 * compression state (gz.c). Not part of the public API in hep.h. */
#ifndef HP_HEP_GZ_H
#define HP_HEP_GZ_H

#include "hep/hep.h"

/* Compress in[0..in_len) into out[0..cap) with the preallocated stream.
 * Returns the compressed length, or 0 when the result does not fit in cap
 * (the caller then sends the payload raw). Never allocates. */
size_t hp_hep_gz_deflate(struct hp_hep_gz *gz, const uint8_t *in,
			 uint32_t in_len, uint8_t *out, size_t cap);

#endif
