/* vlan verdicts against vswitch's drop reasons: the pipeline maps each
 * VLAN_DROP_x to VSWITCH_DROP_vlan_x, so each must exist there (this file
 * would not compile otherwise) with the same name and text, and every
 * vswitch drop named vlan_* must be a vlan verdict. Needs only vswitch.h
 * (and DPDK's headers it includes), not the vswitch library. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vlan.h"
#include "vswitch.h"

static const unsigned vlan_drop_reason[VLAN_VERDICT_MAX] = {
#define _(name, text) [VLAN_DROP_##name] = VSWITCH_DROP_vlan_##name,
	foreach_vlan_drop
#undef _
};

static const char *const vswitch_names[VSWITCH_DROP_MAX] = {
#define _(name, text) [VSWITCH_DROP_##name] = #name,
	foreach_vswitch_drop
#undef _
};

static const char *const vswitch_texts[VSWITCH_DROP_MAX] = {
#define _(name, text) [VSWITCH_DROP_##name] = text,
	foreach_vswitch_drop
#undef _
};

static void test_every_vlan_drop_is_a_vswitch_drop(void **state)
{
	(void)state;
	for (unsigned v = VLAN_OK + 1; v < VLAN_VERDICT_MAX; v++) {
		unsigned d = vlan_drop_reason[v];
		assert_true(d < VSWITCH_DROP_MAX);
		assert_string_equal(vlan_verdict_names[v], vswitch_names[d]);
		assert_string_equal(vlan_verdict_descriptions[v],
				    vswitch_texts[d]);
	}
}

static void test_every_vswitch_vlan_drop_is_a_verdict(void **state)
{
	(void)state;
	for (unsigned d = 0; d < VSWITCH_DROP_MAX; d++) {
		if (strncmp(vswitch_names[d], "vlan_", 5) != 0)
			continue;
		unsigned found = 0;
		for (unsigned v = VLAN_OK + 1; v < VLAN_VERDICT_MAX; v++)
			found += vlan_drop_reason[v] == d;
		if (found != 1)
			fail_msg("vswitch drop %s has %u vlan verdicts",
				 vswitch_names[d], found);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_vlan_drop_is_a_vswitch_drop),
		cmocka_unit_test(test_every_vswitch_vlan_drop_is_a_verdict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
