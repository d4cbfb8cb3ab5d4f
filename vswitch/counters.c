/* Counter and drop-reason names, generated from the X-macro lists in
 * vswitch.h, and the per-worker counter blocks. */
#include "vswitch.h"

#include <string.h>

#include <rte_malloc.h>

const char *const vswitch_drop_names[VSWITCH_DROP_MAX] = {
#define _(name, text) [VSWITCH_DROP_##name] = #name,
	foreach_vswitch_drop
#undef _
};

const char *const vswitch_drop_descriptions[VSWITCH_DROP_MAX] = {
#define _(name, text) [VSWITCH_DROP_##name] = text,
	foreach_vswitch_drop
#undef _
};

const char *const vswitch_port_counter_names[VSWITCH_PORT_COUNTER_MAX] = {
#define _(name) [VSWITCH_PORT_##name] = #name,
	foreach_vswitch_port_counter
#undef _
};

const char *const vswitch_bd_counter_names[VSWITCH_BD_COUNTER_MAX] = {
#define _(name) [VSWITCH_BD_##name] = #name,
	foreach_vswitch_bd_counter
#undef _
};

const char *const vswitch_member_counter_names[VSWITCH_MEMBER_COUNTER_MAX] = {
#define _(name) [VSWITCH_MEMBER_##name] = #name,
	foreach_vswitch_member_counter
#undef _
};

const char *const fdb_learn_result_names[FDB_LEARN_RESULT_MAX] = {
#define _(name, text) [FDB_LEARN_##name] = #name,
	foreach_fdb_learn_result
#undef _
};

struct vswitch_counters *vswitch_counters_create(int socket)
{
	struct vswitch_counters *counters = rte_zmalloc_socket(
		"vswitch_counters", sizeof(*counters), RTE_CACHE_LINE_SIZE, socket);
	if (!counters)
		return NULL;
	counters->bd = rte_zmalloc_socket("vswitch_bd_counters",
					  sizeof(*counters->bd) * (VSWITCH_MAX_BD + 1),
					  RTE_CACHE_LINE_SIZE, socket);
	counters->member = rte_zmalloc_socket(
		"vswitch_member_counters",
		sizeof(*counters->member) * (VSWITCH_MAX_MEMBERS + 2),
		RTE_CACHE_LINE_SIZE, socket);
	if (!counters->bd || !counters->member) {
		vswitch_counters_free(counters);
		return NULL;
	}
	return counters;
}

void vswitch_counters_free(struct vswitch_counters *counters)
{
	if (!counters)
		return;
	rte_free(counters->bd);
	rte_free(counters->member);
	rte_free(counters);
}

/* Called by the control thread when an id is reused, after the workers
 * stopped counting under the old owner (an RCU grace period). */
void vswitch_counters_reset_bd(struct vswitch_counters *counters, uint16_t bd)
{
	memset(counters->bd[bd], 0, sizeof(counters->bd[bd]));
}

void vswitch_counters_reset_member(struct vswitch_counters *counters,
				   uint16_t member)
{
	memset(counters->member[member], 0, sizeof(counters->member[member]));
}
