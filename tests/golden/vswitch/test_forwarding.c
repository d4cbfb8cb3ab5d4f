/* Golden forwarding tests: frames built here go through a real loom-switch
 * (net_pcap ports) and every output pcap is compared frame by frame with
 * the frames the scenario expects. Learning, flooding, BD isolation, VLAN
 * members with VID translation, aging on the manual clock, static MACs and
 * split horizon. See golden.h for how frames are ordered and phased.
 */
#include "golden.h"

#include <stdlib.h>

/* Hosts (MAC ids). */
enum { A = 1, B = 2, C = 3, D = 4, X = 5, Y = 6, Z = 7, S = 8 };

static bool fdb_has(struct test_switch *sw, const char *bd, const char *mac,
		    const char *member, const char *type)
{
	json_t *list = test_switch_callf(sw, "fdb-show", "{s:s}", "bd", bd);
	if (!list)
		fail_msg("fdb-show: %s", test_switch_error(sw));
	bool found = false;
	size_t i;
	json_t *entry;
	json_array_foreach(list, i, entry) {
		const char *m = json_string_value(json_object_get(entry, "mac"));
		const char *who = json_string_value(json_object_get(entry, "member"));
		const char *t = json_string_value(json_object_get(entry, "type"));
		if (m && who && t && !strcasecmp(m, mac) && !strcmp(who, member) &&
		    !strcmp(t, type))
			found = true;
	}
	json_decref(list);
	return found;
}

static size_t fdb_size(struct test_switch *sw, const char *bd)
{
	json_t *list = test_switch_callf(sw, "fdb-show", "{s:s}", "bd", bd);
	if (!list)
		fail_msg("fdb-show: %s", test_switch_error(sw));
	size_t n = json_array_size(list);
	json_decref(list);
	return n;
}

/* First frame floods, the reply is unicast, then unicast both ways. */
static void test_learning(void **state)
{
	struct test_switch *sw = test_switch_create("learning");
	*state = sw;
	struct frame_list in[3], out[3];
	golden_lists_init(in, 3);
	golden_lists_init(out, 3);
	struct frame ab1 = golden_unicast(B, A, 0x11), ab2 = golden_unicast(B, A, 0x12),
		     ab3 = golden_unicast(B, A, 0x13);
	struct frame ba1 = golden_unicast(A, B, 0x21), ba2 = golden_unicast(A, B, 0x22);
	golden_add(&in[0], ab1);
	golden_add(&in[0], ab2);
	golden_add(&in[0], ab3);
	golden_add(&in[1], ba1);
	golden_add(&in[1], ba2);
	golden_write_inputs(sw, in, 3);
	golden_start(sw, "datapath:\n  rx_burst: 1\nfdb:\n  clock: manual\n"
			 "ports:\n" GOLDEN_PCAP_PORT(0) GOLDEN_PCAP_PORT(1)
			 GOLDEN_PCAP_PORT(2)
			 "bridge_domains:\n  - name: lan\n    members:\n"
			 "      - port: p0\n      - port: p1\n      - port: p2\n");
	golden_wait_rx(sw, "p0", 3);
	golden_wait_rx(sw, "p1", 2);

	json_t *c = test_switch_counters(sw);
	assert_non_null(c);
	assert_int_equal(counters_value(c, "bridge_domains.lan.packets"), 5);
	assert_int_equal(counters_value(c, "bridge_domains.lan.flooded"), 1);
	assert_int_equal(counters_value(c, "bridge_domains.lan.flood_copies"), 2);
	assert_int_equal(counters_value(c, "bridge_domains.lan.unicast"), 4);
	assert_int_equal(counters_value(c, "bridge_domains.lan.learned"), 2);
	assert_int_equal(counters_value(c, "bridge_domains.lan.moved"), 0);
	assert_int_equal(counters_value(c, "ports.p0.tx_packets"), 2);
	assert_int_equal(counters_value(c, "ports.p1.tx_packets"), 3);
	assert_int_equal(counters_value(c, "ports.p2.tx_packets"), 1);
	assert_int_equal(counters_value(c, "members.lan/p1/0.rx_packets"), 2);
	json_decref(c);
	assert_true(fdb_has(sw, "lan", "02:00:00:00:00:01", "p0", "learned"));
	assert_true(fdb_has(sw, "lan", "02:00:00:00:00:02", "p1", "learned"));
	assert_int_equal(fdb_size(sw, "lan"), 2);
	golden_stop(sw);

	/* p0 -> flood (B unknown) to p1, p2; p1's reply -> p0 only; then
	 * unicast both ways. */
	golden_add(&out[0], ba1);
	golden_add(&out[0], ba2);
	golden_add(&out[1], ab1);
	golden_add(&out[1], ab2);
	golden_add(&out[1], ab3);
	golden_add(&out[2], ab1);
	golden_assert_outputs(sw, out, 3, true);
	golden_lists_free(in, 3);
	golden_lists_free(out, 3);
}

/* Broadcast, multicast and unknown unicast into a 4-port BD: exactly one
 * copy to every other member, none back to the input. */
static void test_flooding(void **state)
{
	struct test_switch *sw = test_switch_create("flooding");
	*state = sw;
	struct frame_list in[4], out[4];
	golden_lists_init(in, 4);
	golden_lists_init(out, 4);
	struct frame a_bcast = golden_frame(golden_broadcast, A, 1);
	struct frame a_mcast = golden_frame(golden_multicast, A, 2);
	struct frame a_unknown = golden_unicast(Z, A, 3);
	struct frame c_bcast = golden_frame(golden_broadcast, C, 4);
	struct frame c_unknown = golden_unicast(Y, C, 5);
	struct frame c_mcast = golden_frame(golden_multicast, C, 6);
	golden_add(&in[0], a_bcast);
	golden_add(&in[0], a_mcast);
	golden_add(&in[0], a_unknown);
	golden_add(&in[2], c_bcast);
	golden_add(&in[2], c_unknown);
	golden_add(&in[2], c_mcast);
	golden_write_inputs(sw, in, 4);
	golden_start(sw, "ports:\n" GOLDEN_PCAP_PORT(0) GOLDEN_PCAP_PORT(1)
			 GOLDEN_PCAP_PORT(2) GOLDEN_PCAP_PORT(3)
			 "bridge_domains:\n  - name: lan\n    members:\n"
			 "      - port: p0\n      - port: p1\n      - port: p2\n"
			 "      - port: p3\n");
	golden_wait_rx(sw, "p0", 3);
	golden_wait_rx(sw, "p2", 3);
	json_t *c = test_switch_counters(sw);
	assert_int_equal(counters_value(c, "bridge_domains.lan.flooded"), 6);
	assert_int_equal(counters_value(c, "bridge_domains.lan.flood_copies"), 18);
	assert_int_equal(counters_value(c, "bridge_domains.lan.unicast"), 0);
	for (int p = 0; p < 4; p++) {
		char path[64];
		snprintf(path, sizeof(path), "ports.p%d.tx_packets", p);
		assert_int_equal(counters_value(c, path), (p == 0 || p == 2) ? 3 : 6);
	}
	json_decref(c);
	/* Only the sources were learned: never a multicast or unknown. */
	assert_int_equal(fdb_size(sw, "lan"), 2);
	golden_stop(sw);

	/* Per port, A's frames keep their order and C's theirs; between the
	 * two the order is the worker's: compare as multisets, then check
	 * each source's order on its own. */
	golden_add(&out[0], c_bcast);
	golden_add(&out[0], c_unknown);
	golden_add(&out[0], c_mcast);
	golden_add(&out[2], a_bcast);
	golden_add(&out[2], a_mcast);
	golden_add(&out[2], a_unknown);
	for (int p = 1; p <= 3; p += 2) {
		frame_list_append(&out[p], &out[2]);
		frame_list_append(&out[p], &out[0]);
	}
	golden_assert_outputs(sw, out, 4, false);
	assert_true(test_switch_output_equal(sw, "p0.out.pcap", &out[0], true));
	assert_true(test_switch_output_equal(sw, "p2.out.pcap", &out[2], true));
	golden_lists_free(in, 4);
	golden_lists_free(out, 4);
}

/* Two BDs with the same MACs in both: no frame of one ever leaves a port
 * of the other, and each BD learns its own entries. */
static void test_bd_isolation(void **state)
{
	struct test_switch *sw = test_switch_create("isolation");
	*state = sw;
	enum { N = 4 };
	struct frame_list in[N], out[N];
	golden_lists_init(in, N);
	golden_lists_init(out, N);
	/* Fill 0xaN: BD red (p0, p1); 0xbN: BD blue (p2, p3). Same hosts. */
	for (int bd = 0; bd < 2; bd++) {
		uint8_t mark = bd ? 0xb0 : 0xa0;
		int first = bd * 2, second = bd * 2 + 1;
		struct frame f[] = {
			golden_unicast(B, A, mark | 1),
			golden_frame(golden_broadcast, A, mark | 2),
			golden_frame(golden_multicast, A, mark | 3),
			golden_unicast(Z, A, mark | 4),
		};
		struct frame g[] = {
			golden_unicast(A, B, mark | 5),
			golden_frame(golden_broadcast, B, mark | 6),
			golden_unicast(C, B, mark | 7),
		};
		for (size_t i = 0; i < 4; i++) {
			golden_add(&in[first], f[i]);
			golden_add(&out[second], f[i]);
		}
		for (size_t i = 0; i < 3; i++) {
			golden_add(&in[second], g[i]);
			golden_add(&out[first], g[i]);
		}
	}
	golden_write_inputs(sw, in, N);
	golden_start(sw, "ports:\n" GOLDEN_PCAP_PORT(0) GOLDEN_PCAP_PORT(1)
			 GOLDEN_PCAP_PORT(2) GOLDEN_PCAP_PORT(3)
			 "bridge_domains:\n"
			 "  - name: red\n    members:\n"
			 "      - port: p0\n      - port: p1\n"
			 "  - name: blue\n    members:\n"
			 "      - port: p2\n      - port: p3\n");
	for (int p = 0; p < N; p++) {
		char port[8];
		snprintf(port, sizeof(port), "p%d", p);
		golden_wait_rx(sw, port, in[p].count);
	}
	json_t *c = test_switch_counters(sw);
	assert_int_equal(counters_value(c, "bridge_domains.red.packets"), 7);
	assert_int_equal(counters_value(c, "bridge_domains.blue.packets"), 7);
	json_decref(c);
	/* The same MAC is learned once per BD, on that BD's port. */
	assert_true(fdb_has(sw, "red", "02:00:00:00:00:01", "p0", "learned"));
	assert_true(fdb_has(sw, "blue", "02:00:00:00:00:01", "p2", "learned"));
	assert_true(fdb_has(sw, "red", "02:00:00:00:00:02", "p1", "learned"));
	assert_true(fdb_has(sw, "blue", "02:00:00:00:00:02", "p3", "learned"));
	assert_int_equal(fdb_size(sw, "red"), 2);
	assert_int_equal(fdb_size(sw, "blue"), 2);
	golden_stop(sw);
	/* Exactly the other member's frames, in order (one source each). */
	golden_assert_outputs(sw, out, N, true);
	golden_lists_free(in, N);
	golden_lists_free(out, N);
}

static struct frame vlan_frame(const uint8_t dst[6], uint16_t src, uint16_t tci,
			       uint8_t fill)
{
	struct frame_spec spec;
	memset(&spec, 0, sizeof(spec));
	memcpy(spec.dst, dst, 6);
	mac_from_id(spec.src, src);
	spec.fill = fill;
	spec.length = 64;
	if (tci) {
		spec.tags[0].tpid = 0x8100;
		spec.tags[0].tci = tci;
		spec.length = 68; /* the same payload as the untagged frame */
	}
	return frame_build(&spec);
}

static struct frame vlan_unicast(uint16_t dst, uint16_t src, uint16_t tci,
				 uint8_t fill)
{
	uint8_t mac[6];
	mac_from_id(mac, dst);
	return vlan_frame(mac, src, tci, fill);
}

#define PCP(p) ((uint16_t)((p) << 13))

/* A BD with an untagged member (p0) and VLAN members (p1, 100) and
 * (p2, 2001): tags are pushed, translated and popped; PCP is kept. */
static void test_vlan_translation(void **state)
{
	struct test_switch *sw = test_switch_create("vlan");
	*state = sw;
	struct frame_list in[3], out[3];
	golden_lists_init(in, 3);
	golden_lists_init(out, 3);
	/* Loop 0: three broadcasts learn A (p0), B (p1.100), C (p2.2001). */
	golden_add(&in[0], vlan_frame(golden_broadcast, A, 0, 1));
	golden_add(&in[1], vlan_frame(golden_broadcast, B, PCP(5) | 100, 2));
	golden_add(&in[2], vlan_frame(golden_broadcast, C, PCP(3) | 2001, 3));
	/* Loop 1: unicast between them. */
	golden_add(&in[0], vlan_unicast(B, A, 0, 4));
	golden_add(&in[1], vlan_unicast(C, B, PCP(6) | 100, 5));
	golden_add(&in[2], vlan_unicast(A, C, PCP(1) | 2001, 6));
	/* Loop 2: a VID that is no member: dropped (vlan_not_allowed). */
	golden_add(&in[1], vlan_unicast(A, B, PCP(2) | 200, 7));
	/* Loop 3: PCP 7 with DEI through a translation. */
	golden_add(&in[1], vlan_unicast(C, B, PCP(7) | 0x1000 | 100, 8));
	golden_write_inputs(sw, in, 3);
	golden_start(sw, "datapath:\n  rx_burst: 1\n"
			 "ports:\n" GOLDEN_PCAP_PORT(0) GOLDEN_PCAP_PORT(1)
			 GOLDEN_PCAP_PORT(2)
			 "bridge_domains:\n  - name: v\n    members:\n"
			 "      - port: p0\n"
			 "      - port: p1\n        vid: 100\n"
			 "      - port: p2\n        vid: 2001\n");
	golden_wait_rx(sw, "p0", 2);
	golden_wait_rx(sw, "p1", 4);
	golden_wait_rx(sw, "p2", 2);
	json_t *c = test_switch_counters(sw);
	assert_int_equal(counters_value(c, "drops.vlan_not_allowed"), 1);
	assert_int_equal(counters_value(c, "bridge_domains.v.packets"), 7);
	assert_int_equal(counters_value(c, "bridge_domains.v.flooded"), 3);
	assert_int_equal(counters_value(c, "bridge_domains.v.unicast"), 4);
	assert_int_equal(counters_value(c, "members.v/p1/100.rx_packets"), 3);
	assert_int_equal(counters_value(c, "members.v/p2/2001.tx_packets"), 4);
	json_decref(c);
	assert_true(fdb_has(sw, "v", "02:00:00:00:00:02", "p1.100", "learned"));
	assert_true(fdb_has(sw, "v", "02:00:00:00:00:03", "p2.2001", "learned"));
	golden_stop(sw);

	/* p0 (untagged) gets B's and C's broadcasts popped, then C -> A. */
	golden_add(&out[0], vlan_frame(golden_broadcast, B, 0, 2));
	golden_add(&out[0], vlan_frame(golden_broadcast, C, 0, 3));
	golden_add(&out[0], vlan_unicast(A, C, 0, 6));
	/* p1 (VID 100): A's broadcast pushed with PCP 0, C's translated
	 * 2001 -> 100 keeping PCP 3, then A -> B. */
	golden_add(&out[1], vlan_frame(golden_broadcast, A, 100, 1));
	golden_add(&out[1], vlan_frame(golden_broadcast, C, PCP(3) | 100, 3));
	golden_add(&out[1], vlan_unicast(B, A, 100, 4));
	/* p2 (VID 2001). */
	golden_add(&out[2], vlan_frame(golden_broadcast, A, 2001, 1));
	golden_add(&out[2], vlan_frame(golden_broadcast, B, PCP(5) | 2001, 2));
	golden_add(&out[2], vlan_unicast(C, B, PCP(6) | 2001, 5));
	golden_add(&out[2], vlan_unicast(C, B, PCP(7) | 0x1000 | 2001, 8));
	golden_assert_outputs(sw, out, 3, true);
	golden_lists_free(in, 3);
	golden_lists_free(out, 3);
}

/* Learn, advance the manual clock: below the age the entry forwards, past
 * it the next frame floods again. */
static void test_aging(void **state)
{
	struct test_switch *sw = test_switch_create("aging");
	*state = sw;
	struct frame_list in[4], out[4];
	golden_lists_init(in, 4);
	golden_lists_init(out, 4);
	struct frame a_bcast = golden_frame(golden_broadcast, A, 1);
	struct frame xa1 = golden_unicast(A, X, 2), ya2 = golden_unicast(A, Y, 3);
	golden_add(&in[0], a_bcast);
	golden_add(&in[2], xa1);
	golden_add(&in[3], ya2);
	golden_write_inputs(sw, in, 4);
	golden_start(sw, "fdb:\n  clock: manual\n  age_seconds: 60\n"
			 "ports:\n" GOLDEN_PCAP_PORT(0) GOLDEN_PCAP_PORT(1)
			 GOLDEN_PCAP_PORT_DOWN(2) GOLDEN_PCAP_PORT_DOWN(3)
			 "bridge_domains:\n  - name: lan\n    members:\n"
			 "      - port: p0\n      - port: p1\n      - port: p2\n"
			 "      - port: p3\n");
	/* Phase 1: A learned on p0 (its broadcast reaches p1; p2, p3 down). */
	golden_wait_rx(sw, "p0", 1);
	assert_true(fdb_has(sw, "lan", "02:00:00:00:00:01", "p0", "learned"));

	/* Phase 2: 59 s later A is still known: X -> A is unicast. */
	golden_call_ok(sw, "clock-advance", "{s:i}", "seconds", 59);
	assert_true(fdb_has(sw, "lan", "02:00:00:00:00:01", "p0", "learned"));
	golden_call_ok(sw, "port-set", "{s:s, s:s}", "name", "p2", "admin", "up");
	golden_wait_rx(sw, "p2", 1);
	assert_int_equal(test_switch_counter(sw, "bridge_domains.lan.unicast"), 1);

	/* Phase 3: past the age A is forgotten: Y -> A floods. */
	golden_call_ok(sw, "clock-advance", "{s:i}", "seconds", 2);
	assert_false(fdb_has(sw, "lan", "02:00:00:00:00:01", "p0", "learned"));
	json_t *stats = test_switch_call(sw, "fdb-stats", NULL);
	assert_non_null(stats);
	assert_true(json_integer_value(json_object_get(stats, "aged")) >= 1);
	json_decref(stats);
	golden_call_ok(sw, "port-set", "{s:s, s:s}", "name", "p3", "admin", "up");
	golden_wait_rx(sw, "p3", 1);
	json_t *c = test_switch_counters(sw);
	assert_int_equal(counters_value(c, "bridge_domains.lan.unicast"), 1);
	assert_int_equal(counters_value(c, "bridge_domains.lan.flooded"), 2);
	assert_int_equal(counters_value(c, "bridge_domains.lan.flood_copies"), 4);
	json_decref(c);
	golden_stop(sw);

	golden_add(&out[0], xa1);
	golden_add(&out[0], ya2);
	golden_add(&out[1], a_bcast);
	golden_add(&out[1], ya2);
	golden_add(&out[2], ya2);
	golden_assert_outputs(sw, out, 4, true);
	golden_lists_free(in, 4);
	golden_lists_free(out, 4);
}

/* A static MAC is forwarded to, never learned elsewhere; a frame with
 * that source from another member is dropped (static_mac_violation). Once
 * removed (mac-remove), the MAC is learned like any other. */
static void test_static_mac(void **state)
{
	struct test_switch *sw = test_switch_create("static");
	*state = sw;
	struct frame_list in[4], out[4];
	golden_lists_init(in, 4);
	golden_lists_init(out, 4);
	struct frame as = golden_unicast(S, A, 1);     /* p0: to the static */
	struct frame sa = golden_unicast(A, S, 2);     /* p1: from its port */
	struct frame s_bad1 = golden_frame(golden_broadcast, S, 3); /* p2 */
	struct frame s_bad2 = golden_unicast(A, S, 4); /* p2 */
	struct frame as2 = golden_unicast(S, A, 5);    /* p0, loop 1 */
	struct frame s_moved = golden_frame(golden_broadcast, S, 6); /* p3 later */
	golden_add(&in[0], as);
	golden_add(&in[0], as2);
	golden_add(&in[1], sa);
	golden_add(&in[2], s_bad1);
	golden_add(&in[2], s_bad2);
	golden_add(&in[3], s_moved);
	golden_write_inputs(sw, in, 4);
	golden_start(sw, "datapath:\n  rx_burst: 1\nfdb:\n  clock: manual\n"
			 "ports:\n" GOLDEN_PCAP_PORT(0) GOLDEN_PCAP_PORT(1)
			 GOLDEN_PCAP_PORT(2) GOLDEN_PCAP_PORT_DOWN(3)
			 "bridge_domains:\n  - name: lan\n    members:\n"
			 "      - port: p0\n      - port: p1\n      - port: p2\n"
			 "      - port: p3\n"
			 "    static_macs:\n"
			 "      - mac: \"02:00:00:00:00:08\"\n        port: p1\n");
	golden_wait_rx(sw, "p0", 2);
	golden_wait_rx(sw, "p2", 2);
	json_t *c = test_switch_counters(sw);
	assert_int_equal(counters_value(c, "drops.static_mac_violation"), 2);
	assert_int_equal(counters_value(c, "bridge_domains.lan.drops"), 2);
	assert_int_equal(counters_value(c, "bridge_domains.lan.unicast"), 3);
	assert_int_equal(counters_value(c, "bridge_domains.lan.flooded"), 0);
	assert_int_equal(counters_value(c, "bridge_domains.lan.moved"), 0);
	json_decref(c);
	assert_true(fdb_has(sw, "lan", "02:00:00:00:00:08", "p1", "static"));
	/* Clock moves never age a static entry. */
	golden_call_ok(sw, "clock-advance", "{s:i}", "seconds", 100000);
	assert_true(fdb_has(sw, "lan", "02:00:00:00:00:08", "p1", "static"));

	/* Removed, S is learned where it shows up next (p3). */
	golden_call_ok(sw, "mac-remove", "{s:s, s:s}", "bd", "lan", "mac",
		       "02:00:00:00:00:08");
	assert_false(fdb_has(sw, "lan", "02:00:00:00:00:08", "p1", "static"));
	golden_call_ok(sw, "port-set", "{s:s, s:s}", "name", "p3", "admin", "up");
	golden_wait_rx(sw, "p3", 1);
	assert_true(fdb_has(sw, "lan", "02:00:00:00:00:08", "p3", "learned"));
	assert_int_equal(test_switch_counter(sw, "drops.static_mac_violation"), 2);
	golden_stop(sw);

	golden_add(&out[0], sa);
	golden_add(&out[0], s_moved);
	golden_add(&out[1], as);
	golden_add(&out[1], as2);
	golden_add(&out[1], s_moved);
	golden_add(&out[2], s_moved);
	golden_assert_outputs(sw, out, 4, true);
	golden_lists_free(in, 4);
	golden_lists_free(out, 4);
}

/* Members of one split-horizon group never send to each other, flooded or
 * unicast; other groups and group 0 are reached. */
static void test_split_horizon(void **state)
{
	struct test_switch *sw = test_switch_create("split_horizon");
	*state = sw;
	struct frame_list in[4], out[4];
	golden_lists_init(in, 4);
	golden_lists_init(out, 4);
	struct frame a_bcast = golden_frame(golden_broadcast, A, 1); /* p0, g1 */
	struct frame b_bcast = golden_frame(golden_broadcast, B, 2); /* p1, g1 */
	struct frame c_bcast = golden_frame(golden_broadcast, C, 3); /* p2, g0 */
	struct frame da = golden_unicast(A, D, 4);                   /* p3, g2 */
	struct frame ab = golden_unicast(B, A, 5); /* p0 -> p1: same group */
	struct frame cb = golden_unicast(B, C, 6); /* p2 -> p1: allowed */
	golden_add(&in[0], a_bcast);
	golden_add(&in[0], ab);
	golden_add(&in[1], b_bcast);
	golden_add(&in[2], c_bcast);
	golden_add(&in[2], cb);
	golden_add(&in[3], da);
	golden_write_inputs(sw, in, 4);
	golden_start(sw, "datapath:\n  rx_burst: 1\n"
			 "ports:\n" GOLDEN_PCAP_PORT(0) GOLDEN_PCAP_PORT(1)
			 GOLDEN_PCAP_PORT(2) GOLDEN_PCAP_PORT(3)
			 "bridge_domains:\n  - name: lan\n    members:\n"
			 "      - port: p0\n        split_horizon: 1\n"
			 "      - port: p1\n        split_horizon: 1\n"
			 "      - port: p2\n"
			 "      - port: p3\n        split_horizon: 2\n");
	golden_wait_rx(sw, "p0", 2);
	golden_wait_rx(sw, "p2", 2);
	json_t *c = test_switch_counters(sw);
	assert_int_equal(counters_value(c, "drops.split_horizon"), 1);
	assert_int_equal(counters_value(c, "bridge_domains.lan.flooded"), 3);
	assert_int_equal(counters_value(c, "bridge_domains.lan.flood_copies"), 7);
	assert_int_equal(counters_value(c, "bridge_domains.lan.unicast"), 2);
	json_decref(c);
	golden_stop(sw);

	/* Loop 0: A's and B's broadcasts reach only p2 and p3; C's reaches
	 * all three others; D -> A is unicast (group 2 to group 1). Loop 1:
	 * A -> B dropped; C -> B unicast. */
	golden_add(&out[0], c_bcast);
	golden_add(&out[0], da);
	golden_add(&out[1], c_bcast);
	golden_add(&out[1], cb);
	golden_add(&out[2], a_bcast);
	golden_add(&out[2], b_bcast);
	golden_add(&out[3], a_bcast);
	golden_add(&out[3], b_bcast);
	golden_add(&out[3], c_bcast);
	golden_assert_outputs(sw, out, 4, true);
	golden_lists_free(in, 4);
	golden_lists_free(out, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_learning, test_switch_teardown),
		cmocka_unit_test_teardown(test_flooding, test_switch_teardown),
		cmocka_unit_test_teardown(test_bd_isolation, test_switch_teardown),
		cmocka_unit_test_teardown(test_vlan_translation, test_switch_teardown),
		cmocka_unit_test_teardown(test_aging, test_switch_teardown),
		cmocka_unit_test_teardown(test_static_mac, test_switch_teardown),
		cmocka_unit_test_teardown(test_split_horizon, test_switch_teardown),
	};
	return cmocka_run_group_tests_name("golden vswitch forwarding", tests,
					   NULL, NULL);
}
