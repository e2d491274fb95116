/* SPDX-License-Identifier: BSD-3-Clause */
/* Simplified ITU-T G.107 E-model for G.711; the formulas and sources are in rtp.h. */
#include <math.h>
#include "rtp/rtp.h"

#define EMODEL_R0_MINUS_IS 93.2
#define EMODEL_BPL_G711_PLC 25.1
#define EMODEL_IE_G711 0.0

static double delay_impairment(double ta_ms)
{
	if (ta_ms <= 100.0)
		return 0.0;
	double x = log2(ta_ms / 100.0);
	return 25.0 * (pow(1.0 + pow(x, 6.0), 1.0 / 6.0) -
		       3.0 * pow(1.0 + pow(x / 3.0, 6.0), 1.0 / 6.0) + 2.0);
}

void hp_rtp_emodel(double loss_pct, double jitter_ms, double path_delay_ms, struct hp_emodel *out)
{
	if (!(loss_pct > 0.0))
		loss_pct = 0.0;
	if (loss_pct > 100.0)
		loss_pct = 100.0;
	if (!(jitter_ms > 0.0))
		jitter_ms = 0.0;
	if (!(path_delay_ms > 0.0))
		path_delay_ms = 0.0;

	double ie = EMODEL_IE_G711;
	out->ie_eff = ie + (95.0 - ie) * loss_pct / (loss_pct + EMODEL_BPL_G711_PLC);
	out->delay_ms = path_delay_ms + 2.0 * jitter_ms;
	out->id = delay_impairment(out->delay_ms);
	double r = EMODEL_R0_MINUS_IS - out->id - out->ie_eff;
	out->r = r;
	if (r < 0.0)
		out->mos = 1.0;
	else if (r > 100.0)
		out->mos = 4.5;
	else
		out->mos = 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
}
