/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared between the files of lib/sctp only. */
#ifndef HP_SCTP_INT_H
#define HP_SCTP_INT_H

#include "sctp/sctp.h"

/* CRC32c of the SCTP packet at sctp (len >= HP_SCTP_COMMON_HDR) with its
 * checksum field read as zero (RFC 9260 §6.8), without writing to it. */
uint32_t hp_sctp_crc32c_zeroed(const uint8_t *sctp, size_t len);

#endif
