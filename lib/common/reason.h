/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HP_REASON_H
#define HP_REASON_H

enum hp_reason {
#define HP_REASON(id, label, help) HP_R_##id,
#include "common/reason.def"
#undef HP_REASON
	HP_R_MAX
};

/* Prometheus label and one-line help for a reason; never NULL. */
const char *hp_reason_label(int reason);
const char *hp_reason_help(int reason);

#endif
