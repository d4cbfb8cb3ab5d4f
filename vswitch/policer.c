/* Policer profiles (control thread). The check is inline in vswitch.h. */
#include "vswitch.h"

#include <stdio.h>
#include <string.h>

const char *const policer_action_names[POLICER_ACTION_MAX] = {
#define _(name, text) [POLICER_##name] = #name,
	foreach_policer_action
#undef _
};

int policer_profile_init(struct policer_profile *profile, uint64_t rate_bps,
			 uint32_t burst_bytes, enum policer_action action,
			 uint8_t mark, uint32_t serial, char *err,
			 size_t err_size)
{
	memset(profile, 0, sizeof(*profile));
	if (rate_bps < POLICER_RATE_MIN || rate_bps > POLICER_RATE_MAX) {
		snprintf(err, err_size,
			 "policer rate %llu bit/s is outside 64 kbit/s..100 Gbit/s",
			 (unsigned long long)rate_bps);
		return -1;
	}
	if (burst_bytes < POLICER_BURST_MIN || burst_bytes > POLICER_BURST_MAX) {
		snprintf(err, err_size,
			 "policer burst %u bytes is outside %u..%u", burst_bytes,
			 POLICER_BURST_MIN, POLICER_BURST_MAX);
		return -1;
	}
	if ((unsigned)action >= POLICER_ACTION_MAX ||
	    (action == POLICER_mark_pcp && mark > 7) ||
	    (action == POLICER_mark_dscp && mark > 63)) {
		snprintf(err, err_size, "policer mark out of range");
		return -1;
	}
	/* CIR in bytes per second; no excess bucket: green or red. rte_meter
	 * scales its update period so slow rates and fast ones keep whole
	 * bytes per period (no rounding to zero at high packet rates). */
	struct rte_meter_srtcm_params params = {
		.cir = rate_bps / 8,
		.cbs = burst_bytes,
		.ebs = 0,
	};
	int rc = rte_meter_srtcm_profile_config(&profile->meter, &params);
	if (rc != 0) {
		snprintf(err, err_size, "rte_meter refused rate %llu, burst %u",
			 (unsigned long long)rate_bps, burst_bytes);
		return -1;
	}
	profile->serial = serial ? serial : 1;
	profile->action = (uint8_t)action;
	profile->mark = mark;
	profile->rate_bps = rate_bps;
	profile->burst_bytes = burst_bytes;
	return 0;
}
