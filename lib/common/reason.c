/* SPDX-License-Identifier: BSD-3-Clause */
#include "common/reason.h"

static const char *const labels[] = {
#define HP_REASON(id, label, help) [HP_R_##id] = label,
#include "common/reason.def"
#undef HP_REASON
};

static const char *const helps[] = {
#define HP_REASON(id, label, help) [HP_R_##id] = help,
#include "common/reason.def"
#undef HP_REASON
};

const char *hp_reason_label(int reason)
{
	if (reason < 0 || reason >= HP_R_MAX)
		return "unknown";
	return labels[reason];
}

const char *hp_reason_help(int reason)
{
	if (reason < 0 || reason >= HP_R_MAX)
		return "unknown reason";
	return helps[reason];
}
