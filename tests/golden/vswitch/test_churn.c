/* Golden churn test: configuration changes while frames flow.
 *
 * An endless source (net_pcap with infinite_rx) floods into BD a, whose
 * other members are net_null sinks. Through the control socket, 60 times:
 * a sink (n3) joins a, leaves it, joins BD b, leaves it, and a BD is added
 * and removed. Throughout: the switch answers, a port of BD b never
 * transmits, n3 transmits nothing once it has left a (the change is
 * published before the request returns), `trace` lists exactly the
 * members frames go to; at the end, with the source stopped, the counters
 * add up.
 */
#include "golden.h"

#include <stdlib.h>

#define ITERATIONS 60

static char source_hex[2 * 64 + 1];

/* The set of output port names `trace` reports for the source's frame,
 * as a sorted, comma-joined string. */
static void trace_outputs(struct test_switch *sw, char *buf, size_t size)
{
	json_t *trace = test_switch_callf(sw, "trace", "{s:s, s:s}", "port", "src",
					  "frame", source_hex);
	if (!trace)
		fail_msg("trace: %s", test_switch_error(sw));
	const char *action = json_string_value(json_object_get(trace, "action"));
	assert_non_null(action);
	assert_string_equal(action, "flood");
	const char *bd = json_string_value(json_object_get(trace, "bd"));
	assert_non_null(bd);
	assert_string_equal(bd, "a");
	json_t *outputs = json_object_get(trace, "outputs");
	const char *names[8];
	size_t n = 0;
	size_t i;
	json_t *output;
	json_array_foreach(outputs, i, output) {
		assert_true(n < 8);
		names[n++] = json_string_value(json_object_get(output, "port"));
	}
	/* Sort (tiny insertion sort) so the comparison ignores order. */
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && strcmp(names[b - 1], names[b]) > 0; b--) {
			const char *t = names[b];
			names[b] = names[b - 1];
			names[b - 1] = t;
		}
	buf[0] = '\0';
	for (size_t k = 0; k < n; k++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", k ? "," : "",
			 names[k]);
	json_decref(trace);
}

static void assert_trace(struct test_switch *sw, const char *expected)
{
	char got[256];
	trace_outputs(sw, got, sizeof(got));
	assert_string_equal(got, expected);
}

static void test_churn_under_traffic(void **state)
{
	struct test_switch *sw = test_switch_create("churn");
	*state = sw;
	struct frame_list source;
	frame_list_init(&source);
	struct frame bcast = golden_frame(golden_broadcast, 1, 1);
	golden_add(&source, bcast);
	golden_add(&source, golden_unicast(7, 1, 2));         /* unknown */
	golden_add(&source, golden_frame(golden_multicast, 1, 3));
	assert_int_equal(test_switch_write_pcap(sw, "src.pcap", &source), 0);
	frame_list_free(&source);
	for (uint16_t i = 0; i < bcast.length; i++)
		snprintf(source_hex + 2 * i, 3, "%02x", bcast.data[i]);

	golden_start(sw, "ports:\n"
			 "  - name: src\n"
			 "    devargs: net_pcap0,rx_pcap=@DIR@/src.pcap,infinite_rx=1\n"
			 "  - name: n1\n    devargs: net_null0,no-rx=1\n"
			 "  - name: n2\n    devargs: net_null1,no-rx=1\n"
			 "  - name: n3\n    devargs: net_null2,no-rx=1\n"
			 "  - name: n4\n    devargs: net_null3,no-rx=1\n"
			 "  - name: n5\n    devargs: net_null4,no-rx=1\n"
			 "bridge_domains:\n"
			 "  - name: a\n    members:\n"
			 "      - port: src\n      - port: n1\n      - port: n2\n"
			 "  - name: b\n    members:\n      - port: n4\n");
	/* Traffic flows before the churn starts. */
	if (test_switch_wait_counter(sw, "ports.src.rx_packets", 1000, 20000) != 0)
		fail_msg("%s", test_switch_error(sw));
	assert_trace(sw, "n1,n2");

	uint64_t n3_sent_in_a = 0;
	uint64_t rx_start = test_switch_counter(sw, "ports.src.rx_packets");
	for (int i = 0; i < ITERATIONS; i++) {
		uint64_t n3_before = test_switch_counter(sw, "ports.n3.tx_packets");
		golden_call_ok(sw, "member-add", "{s:s, s:s}", "bd", "a", "port", "n3");
		assert_trace(sw, "n1,n2,n3");
		golden_call_ok(sw, "member-remove", "{s:s, s:s}", "bd", "a", "port",
			       "n3");
		/* Published before the reply: n3 sends nothing from now on. */
		uint64_t n3_left = test_switch_counter(sw, "ports.n3.tx_packets");
		n3_sent_in_a += n3_left - n3_before;
		assert_trace(sw, "n1,n2");

		golden_call_ok(sw, "member-add", "{s:s, s:s}", "bd", "b", "port", "n3");
		assert_trace(sw, "n1,n2");
		char bd[16];
		snprintf(bd, sizeof(bd), "tmp%d", i);
		golden_call_ok(sw, "bd-add", "{s:{s:s, s:[{s:s}]}}", "bd", "name", bd,
			       "members", "port", "n5");
		json_t *c = test_switch_counters(sw);
		assert_non_null(c);
		/* BD b's ports and the new BD's never transmit; n3 has not
		 * transmitted since it left a. */
		assert_int_equal(counters_value(c, "ports.n4.tx_packets"), 0);
		assert_int_equal(counters_value(c, "ports.n5.tx_packets"), 0);
		assert_int_equal(counters_value(c, "ports.n3.tx_packets"), n3_left);
		json_decref(c);
		golden_call_ok(sw, "bd-remove", "{s:s}", "name", bd);
		golden_call_ok(sw, "member-remove", "{s:s, s:s}", "bd", "b", "port",
			       "n3");
		assert_int_equal(test_switch_counter(sw, "ports.n3.tx_packets"), n3_left);
	}
	uint64_t rx_end = test_switch_counter(sw, "ports.src.rx_packets");
	printf("# %d rounds of changes with %llu frames flowing; n3 sent %llu "
	       "while in a\n", ITERATIONS, (unsigned long long)(rx_end - rx_start),
	       (unsigned long long)n3_sent_in_a);
	/* Frames flowed during the churn and reached n3 while it was in a. */
	assert_true(rx_end - rx_start >= 1000);
	assert_true(n3_sent_in_a > 0);

	/* Stop the source; then every count adds up. */
	golden_call_ok(sw, "port-set", "{s:s, s:s}", "name", "src", "admin", "down");
	if (test_switch_wait_idle(sw, 20000) != 0)
		fail_msg("%s", test_switch_error(sw));
	json_t *c = test_switch_counters(sw);
	assert_non_null(c);
	uint64_t received = counters_value(c, "ports.src.rx_packets");
	uint64_t flooded = counters_value(c, "bridge_domains.a.flooded");
	assert_int_equal(counters_value(c, "bridge_domains.a.packets"), received);
	assert_int_equal(flooded, received); /* nothing is ever known */
	assert_int_equal(counters_value(c, "bridge_domains.a.unicast"), 0);
	assert_int_equal(counters_value(c, "bridge_domains.a.drops"), 0);
	assert_int_equal(counters_value(c, "ports.n1.tx_packets"), flooded);
	assert_int_equal(counters_value(c, "ports.n2.tx_packets"), flooded);
	assert_int_equal(counters_value(c, "ports.n1.tx_packets") +
				 counters_value(c, "ports.n2.tx_packets") +
				 counters_value(c, "ports.n3.tx_packets"),
			 counters_value(c, "bridge_domains.a.flood_copies"));
	assert_int_equal(counters_value(c, "ports.n4.tx_packets"), 0);
	assert_int_equal(counters_value(c, "ports.n5.tx_packets"), 0);
	const char *name;
	json_t *value;
	json_object_foreach(json_object_get(c, "drops"), name, value) {
		if (json_integer_value(value) != 0)
			fail_msg("drops.%s = %lld", name,
				 (long long)json_integer_value(value));
	}
	json_decref(c);
	/* The BDs are as configured at the start. */
	json_t *bds = test_switch_call(sw, "show-bridge-domains", NULL);
	assert_non_null(bds);
	assert_int_equal(json_array_size(bds), 2);
	json_decref(bds);
	golden_stop(sw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_churn_under_traffic,
					  test_switch_teardown),
	};
	return cmocka_run_group_tests_name("golden vswitch churn", tests, NULL,
					   NULL);
}
