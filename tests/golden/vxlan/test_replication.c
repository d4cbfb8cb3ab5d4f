/* VXLAN golden test: head-end replication, split horizon, remote learning
 * and two VNIs in two bridge domains, through a real loom-switch.
 *
 * Ports: p0 underlay; p1 (host A), p2 (host C) in BD b; p3 (host D) in
 * BD c. Tunnels: b has remote VTEPs 2, 3, 4 on VNI 5001; c has remote 2 on
 * VNI 6001 and remote 5 on VNI 6002 (remote 2 is in both BDs, on two
 * VNIs). Host B sits behind remote 2 in b and, with the same MAC, behind
 * remote 5 in c; E behind remote 3 in b; F first in c, then in b.
 *
 * Each row below is one frame and everything that must come out of it:
 * the access ports and, for each tunnel, one encapsulated copy with that
 * tunnel's VNI and outer destination; nothing else. That states:
 *  - a flood from an access port: one copy per remote VTEP of the BD
 *    (head-end replication), none to the other BD's tunnels;
 *  - a flood from a tunnel: access ports only, never into a tunnel
 *    (neither back to the one it came from nor to another), and a known
 *    destination behind another tunnel is dropped as split_horizon;
 *  - remote learning: once B has sent through remote 2, A -> B goes to
 *    remote 2 only, and after B moves to remote 4 to remote 4 only;
 *  - isolation: the same MAC in both BDs is learned per BD; a destination
 *    known in c is unknown (flooded) in b; VNI 6001 frames from remote 2
 *    enter c, VNI 5001 frames from remote 2 enter b.
 * With rx_burst 1 the rows run in order (ports in order within a loop),
 * so every output is compared in order; the counters must agree.
 */
#include "vxlan_golden.h"

enum { A = 1, B = 2, C = 3, D = 4, E = 5, F = 6, BCAST = 0xff, MCAST = 0xfe };

struct tunnel_ref {
	unsigned remote;
	uint32_t vni;
};

struct row {
	unsigned loop;
	unsigned port;             /* input port */
	struct tunnel_ref from;    /* p0: the sending VTEP */
	uint16_t src, dst;         /* hosts; dst BCAST or MCAST */
	unsigned access[3];        /* access ports out (0 ends) */
	struct tunnel_ref to[4];   /* encapsulated copies (remote 0 ends) */
	const char *drop;          /* a drop reason instead */
};

#define B5001(n) { n, 5001 }
#define HER_B { B5001(2), B5001(3), B5001(4) }
#define HER_C { { 2, 6001 }, { 5, 6002 } }

static const struct row rows[] = {
	/* loop 0 */
	{ 0, 0, B5001(2), B, BCAST, { 1, 2 }, { { 0, 0 } }, NULL },
	{ 0, 1, { 0, 0 }, A, BCAST, { 2 }, HER_B, NULL },
	{ 0, 2, { 0, 0 }, C, BCAST, { 1 }, HER_B, NULL },
	{ 0, 3, { 0, 0 }, D, BCAST, { 0 }, HER_C, NULL },
	/* loop 1: learned remotely: E -> A to p1 only; A -> B to remote 2 */
	{ 1, 0, B5001(3), E, A, { 1 }, { { 0, 0 } }, NULL },
	{ 1, 1, { 0, 0 }, A, B, { 0 }, { B5001(2) }, NULL },
	{ 1, 3, { 0, 0 }, D, B, { 0 }, HER_C, NULL },
	/* loop 2: B's MAC behind remote 5 in c */
	{ 2, 0, { 5, 6002 }, B, D, { 3 }, { { 0, 0 } }, NULL },
	{ 2, 1, { 0, 0 }, A, E, { 0 }, { B5001(3) }, NULL },
	{ 2, 3, { 0, 0 }, D, B, { 0 }, { { 5, 6002 } }, NULL },
	/* loop 3: D is known in c only; B in b still behind remote 2 */
	{ 3, 0, B5001(2), B, D, { 1, 2 }, { { 0, 0 } }, NULL },
	{ 3, 1, { 0, 0 }, A, B, { 0 }, { B5001(2) }, NULL },
	{ 3, 3, { 0, 0 }, D, E, { 0 }, HER_C, NULL },
	/* loop 4: B moves to remote 4 */
	{ 4, 0, B5001(4), B, A, { 1 }, { { 0, 0 } }, NULL },
	{ 4, 1, { 0, 0 }, A, B, { 0 }, { B5001(4) }, NULL },
	{ 4, 3, { 0, 0 }, D, MCAST, { 0 }, HER_C, NULL },
	/* loop 5: F in c (VNI 6001 from remote 2); unknown in b */
	{ 5, 0, { 2, 6001 }, F, BCAST, { 3 }, { { 0, 0 } }, NULL },
	{ 5, 1, { 0, 0 }, A, F, { 2 }, HER_B, NULL },
	/* loop 6: F in b too, behind remote 2 on VNI 5001 */
	{ 6, 0, B5001(2), F, A, { 1 }, { { 0, 0 } }, NULL },
	{ 6, 1, { 0, 0 }, A, F, { 0 }, { B5001(2) }, NULL },
	/* loop 7: tunnel to tunnel, known destination: split horizon */
	{ 7, 0, B5001(3), E, F, { 0 }, { { 0, 0 } }, "split_horizon" },
	/* loop 8: tunnel flood: access ports only */
	{ 8, 0, B5001(3), E, MCAST, { 1, 2 }, { { 0, 0 } }, NULL },
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))
#define N_PORTS 4

static struct frame row_inner(const struct row *r, unsigned index)
{
	uint8_t dst[6];
	static const uint8_t multicast[6] = { 0x01, 0x00, 0x5e, 0, 0, 0x42 };
	if (r->dst == BCAST)
		memcpy(dst, vxg_broadcast, 6);
	else if (r->dst == MCAST)
		memcpy(dst, multicast, 6);
	else
		mac_from_id(dst, r->dst);
	return vxg_inner(dst, r->src, 0, (uint16_t)(64 + 4 * index),
			 (uint8_t)(0x40 + index));
}

static void test_replication(void **state)
{
	struct test_switch *sw = test_switch_create("vx-her");
	*state = sw;
	struct frame_list in[N_PORTS], out[N_PORTS];
	for (int i = 0; i < N_PORTS; i++) {
		frame_list_init(&in[i]);
		frame_list_init(&out[i]);
	}
	struct vxg_encap_expect encaps[4 * N_ROWS];
	size_t n_encaps = 0;
	uint64_t split_horizon = 0;
	for (unsigned i = 0; i < N_ROWS; i++) {
		const struct row *r = &rows[i];
		/* The input lists must follow the loops: a port's k-th frame
		 * runs in loop k. */
		assert_int_equal(in[r->port].count, r->loop);
		struct frame inner = row_inner(r, i);
		if (r->port == 0) {
			struct frame outer =
				vxg_from_remote(r->from.remote, r->from.vni, &inner);
			vxg_add(&in[0], &outer);
		} else {
			vxg_add(&in[r->port], &inner);
		}
		for (unsigned k = 0; k < 3 && r->access[k]; k++)
			vxg_add(&out[r->access[k]], &inner);
		for (unsigned k = 0; k < 4 && r->to[k].remote; k++)
			encaps[n_encaps++] = (struct vxg_encap_expect){
				r->to[k].remote, r->to[k].vni, inner,
				(uint16_t)(r->src << 8 | r->dst) };
		split_horizon += r->drop != NULL;
	}
	vxg_write_inputs(sw, in, N_PORTS);
	vxg_start(sw, VXG_HEAD VXG_PCAP_PORT(0) VXG_PCAP_PORT(1)
		  VXG_PCAP_PORT(2) VXG_PCAP_PORT(3) VXG_VTEP VXG_NEIGHBOURS
		  "bridge_domains:\n"
		  "  - name: b\n    members:\n"
		  "      - port: p1\n      - port: p2\n"
		  "      - {tunnel: 198.18.100.2, vni: 5001}\n"
		  "      - {tunnel: 198.18.100.3, vni: 5001}\n"
		  "      - {tunnel: 198.18.100.4, vni: 5001}\n"
		  "  - name: c\n    members:\n"
		  "      - port: p3\n"
		  "      - {tunnel: 198.18.100.2, vni: 6001}\n"
		  "      - {tunnel: 198.18.100.5, vni: 6002}\n");
	for (int p = 0; p < N_PORTS; p++) {
		char port[8];
		snprintf(port, sizeof(port), "p%d", p);
		vxg_wait_rx(sw, port, in[p].count);
	}

	/* trace agrees with the final tables. */
	struct frame a_to_b = vxg_inner_to(B, A, 0, 1);
	assert_true(vxg_trace_is(sw, "p1", &a_to_b, NULL, 1));
	struct frame e_to_f = vxg_inner_to(F, E, 0, 2);
	struct frame e_to_f_outer = vxg_from_remote(3, 5001, &e_to_f);
	assert_true(vxg_trace_is(sw, "p0", &e_to_f_outer, "split_horizon", 0));
	struct frame e_flood = vxg_inner(vxg_broadcast, E, 0, 64, 3);
	struct frame e_flood_outer = vxg_from_remote(3, 5001, &e_flood);
	assert_true(vxg_trace_is(sw, "p0", &e_flood_outer, NULL, 2));
	struct frame d_flood = vxg_inner(vxg_broadcast, D, 0, 64, 4);
	assert_true(vxg_trace_is(sw, "p3", &d_flood, NULL, 2));

	json_t *after = test_switch_counters(sw);
	assert_non_null(after);
	json_t *before = vxg_zero_counters(after);
	uint64_t tx[7][2] = { { 0 } }; /* [remote][VNI 500x / 600x] */
	for (size_t i = 0; i < n_encaps; i++)
		tx[encaps[i].remote][encaps[i].vni > 6000]++;
	const struct vxg_count drops[] = { { "drops.split_horizon",
					     split_horizon } };
	const struct vxg_count others[] = {
		{ "members.b/@198.18.100.2/5001.tx_packets", tx[2][0] },
		{ "members.b/@198.18.100.3/5001.tx_packets", tx[3][0] },
		{ "members.b/@198.18.100.4/5001.tx_packets", tx[4][0] },
		{ "members.c/@198.18.100.2/6001.tx_packets", tx[2][1] },
		{ "members.c/@198.18.100.5/6002.tx_packets", tx[5][1] },
		{ "members.b/@198.18.100.2/5001.rx_packets", 3 },
		{ "members.b/@198.18.100.3/5001.rx_packets", 3 },
		{ "members.b/@198.18.100.4/5001.rx_packets", 1 },
		{ "members.c/@198.18.100.2/6001.rx_packets", 1 },
		{ "members.c/@198.18.100.5/6002.rx_packets", 1 },
		{ "bridge_domains.b.learned", 5 }, /* B A C E F */
		{ "bridge_domains.b.moved", 1 },   /* B: remote 2 -> 4 */
		{ "bridge_domains.c.learned", 3 }, /* D B F */
		{ "bridge_domains.c.moved", 0 },
		{ "ports.p0.tx_packets", n_encaps },
	};
	vxg_assert_deltas(before, after, drops, 1, others,
			  sizeof(others) / sizeof(others[0]));
	json_decref(before);
	json_decref(after);
	vxg_stop(sw);

	vxg_assert_encaps(sw, "p0.out.pcap", encaps, n_encaps,
			  &vxg_default_policy);
	bool all = true;
	for (int p = 1; p < N_PORTS; p++) {
		char file[32];
		snprintf(file, sizeof(file), "p%d.out.pcap", p);
		all &= test_switch_output_equal(sw, file, &out[p], true);
	}
	assert_true(all);
	for (int i = 0; i < N_PORTS; i++) {
		frame_list_free(&in[i]);
		frame_list_free(&out[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_replication, test_switch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
