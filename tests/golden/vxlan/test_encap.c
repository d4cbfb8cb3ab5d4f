/* VXLAN golden test: encapsulation and decapsulation through a real
 * loom-switch, every outer byte checked against RFC 7348 as read by this
 * file (vxlan_golden.h builds and checks outer headers without vxlan/).
 *
 *  encap_and_decap: an access port p1 and one tunnel (198.18.100.2, VNI
 *      5001). Frames of 17 flows, each twice, some at the largest size the
 *      MTU allows, leave p0 encapsulated, every field right, the UDP source
 *      port in 49152..65535, the same for each flow every time, different
 *      between flows; frames from the remote VTEP come out of p1 as they
 *      were inside (padding after the outer packet trimmed, an inner tag
 *      kept). Counters and `trace` agree.
 *  policy: TTL 9, DF clear, UDP port 8472: the outer headers follow; with
 *      DF clear the IPv4 IDs differ; frames to 4789 are not for us.
 *  too_big: MTU 1400: an inner frame of 1364 bytes goes to all three
 *      remote VTEPs, one of 1365 is dropped once per tunnel as
 *      vxlan_too_big while the access copy still goes.
 *  decap_stream: bursts of 32 from the remote VTEP to host A (static
 *      behind p1), the burst-at-a-time path for a run of alike frames
 *      (vswitch's uniform prefix): odd frames among them (a bad outer
 *      checksum, a wrong UDP length, an unknown VNI, outer padding, an
 *      inner tag, IPv4 options) end a run and are handled as ever; every
 *      good inner frame comes out of p1 as it was, in order.
 */
#include "vxlan_golden.h"

enum { A = 1, B = 2, C = 3, NOBODY = 0x77 };

#define TUNNEL2 "b/@198.18.100.2/5001"

static void test_encap_and_decap(void **state)
{
	struct test_switch *sw = test_switch_create("vx-encap");
	*state = sw;
	struct frame_list in[2], expected_p1;
	frame_list_init(&in[0]);
	frame_list_init(&in[1]);
	frame_list_init(&expected_p1);
	struct vxg_encap_expect encaps[64];
	size_t n_encaps = 0;

	/* p1: 17 flows twice; the second round has other lengths and fill
	 * (not part of the flow) and must keep each flow's port. */
	uint8_t nobody[6];
	mac_from_id(nobody, NOBODY);
	static const uint16_t lengths[] = { 60, 64, 65, 128, 333, 1000, 1464 };
	for (unsigned round = 0; round < 2; round++) {
		for (uint16_t f = 0; f < 16; f++) {
			uint16_t length = lengths[(f + round * 3) % 7];
			struct frame inner =
				vxg_inner(f & 1 ? nobody : vxg_broadcast, A,
					  (uint16_t)(41000 + f), length,
					  (uint8_t)(0x10 * round + f));
			vxg_add(&in[1], &inner);
			encaps[n_encaps++] = (struct vxg_encap_expect){
				2, 5001, inner, (uint16_t)(41000 + f) };
		}
		/* A non-IP frame: hashed on its MACs and EtherType. */
		struct frame_spec spec;
		memset(&spec, 0, sizeof(spec));
		memcpy(spec.dst, vxg_broadcast, 6);
		mac_from_id(spec.src, A);
		spec.ethertype = 0x88b5;
		spec.length = round ? 60 : 100;
		spec.fill = 0xee;
		struct frame raw = frame_build(&spec);
		vxg_add(&in[1], &raw);
		encaps[n_encaps++] = (struct vxg_encap_expect){ 2, 5001, raw, 1 };
	}

	/* p0: from remote VTEP 2, VNI 5001, inner frames of host B. */
	struct frame inner;
	inner = vxg_inner(vxg_broadcast, B, 0, 60, 0xb0);
	struct frame outer = vxg_from_remote(2, 5001, &inner);
	vxg_add(&in[0], &outer);
	vxg_add(&expected_p1, &inner);
	static const uint16_t decap_lengths[] = { 64, 61, 512, 1464 };
	for (unsigned i = 0; i < 4; i++) {
		inner = vxg_inner(i & 1 ? nobody : vxg_broadcast, B, 0,
				  decap_lengths[i], (uint8_t)(0xb1 + i));
		outer = vxg_from_remote(2, 5001, &inner);
		vxg_add(&in[0], &outer);
		vxg_add(&expected_p1, &inner);
	}
	/* Ethernet padding after the outer packet is not part of the inner
	 * frame. */
	inner = vxg_inner(vxg_broadcast, B, 0, 60, 0xb8);
	outer = vxg_from_remote(2, 5001, &inner);
	memset(outer.data + outer.length, 0xa5, 6);
	outer.length += 6;
	vxg_add(&in[0], &outer);
	vxg_add(&expected_p1, &inner);
	/* An inner 802.1Q tag is part of the inner frame: kept as is. */
	struct frame_spec spec;
	memset(&spec, 0, sizeof(spec));
	memcpy(spec.dst, vxg_broadcast, 6);
	mac_from_id(spec.src, B);
	spec.tags[0].tpid = 0x8100;
	spec.tags[0].tci = 7;
	spec.length = 68;
	spec.fill = 0xb9;
	inner = frame_build(&spec);
	outer = vxg_from_remote(2, 5001, &inner);
	vxg_add(&in[0], &outer);
	vxg_add(&expected_p1, &inner);
	vxg_write_inputs(sw, in, 2);

	vxg_start(sw, VXG_HEAD VXG_PCAP_PORT(0) VXG_PCAP_PORT(1) VXG_VTEP
		  VXG_NEIGHBOURS
		  "bridge_domains:\n"
		  "  - name: b\n    members:\n"
		  "      - port: p1\n"
		  "      - {tunnel: 198.18.100.2, vni: 5001}\n");
	vxg_wait_rx(sw, "p0", in[0].count);
	vxg_wait_rx(sw, "p1", in[1].count);

	/* trace agrees: B is behind the tunnel, A behind p1. */
	struct frame a_to_b = vxg_inner_to(B, A, 0, 0x01);
	assert_true(vxg_trace_is(sw, "p1", &a_to_b, NULL, 1));
	struct frame b_to_a = vxg_inner_to(A, B, 0, 0x02);
	struct frame b_to_a_outer = vxg_from_remote(2, 5001, &b_to_a);
	assert_true(vxg_trace_is(sw, "p0", &b_to_a_outer, NULL, 1));

	json_t *after = test_switch_counters(sw);
	assert_non_null(after);
	json_t *before = vxg_zero_counters(after);
	const struct vxg_count others[] = {
		{ "ports.p0.rx_packets", in[0].count },
		{ "ports.p0.tx_packets", n_encaps },
		{ "ports.p1.tx_packets", in[0].count },
		{ "members." TUNNEL2 ".rx_packets", in[0].count },
		{ "members." TUNNEL2 ".tx_packets", n_encaps },
		{ "members." TUNNEL2 ".drops", 0 },
		{ "bridge_domains.b.learned", 2 },
	};
	vxg_assert_deltas(before, after, NULL, 0, others,
			  sizeof(others) / sizeof(others[0]));
	json_decref(before);
	json_decref(after);
	vxg_stop(sw);

	unsigned ports = vxg_assert_encaps(sw, "p0.out.pcap", encaps, n_encaps,
					   &vxg_default_policy);
	/* 17 flows over 16384 ports: a hash that spreads gives (nearly)
	 * 17 different ones; a constant or a weak hash does not. */
	printf("# %u distinct UDP source ports for 17 flows\n", ports);
	assert_true(ports >= 15);
	assert_true(test_switch_output_equal(sw, "p1.out.pcap", &expected_p1, true));
	frame_list_free(&in[0]);
	frame_list_free(&in[1]);
	frame_list_free(&expected_p1);
}

static void test_policy(void **state)
{
	struct test_switch *sw = test_switch_create("vx-policy");
	*state = sw;
	struct frame_list in[2], expected_p1;
	frame_list_init(&in[0]);
	frame_list_init(&in[1]);
	frame_list_init(&expected_p1);
	struct vxg_encap_expect encaps[8];
	size_t n_encaps = 0;
	for (uint16_t f = 0; f < 8; f++) {
		struct frame inner = vxg_inner(vxg_broadcast, A,
					       (uint16_t)(42000 + f % 4), 100,
					       (uint8_t)f);
		vxg_add(&in[1], &inner);
		encaps[n_encaps++] = (struct vxg_encap_expect){
			2, 5001, inner, (uint16_t)(42000 + f % 4) };
	}
	/* To the configured port: in; to 4789: not ours here. */
	struct frame inner = vxg_inner(vxg_broadcast, B, 0, 64, 0xb0);
	struct vxg_outer_spec s = vxg_outer_from(2, 5001);
	s.destination_port = 8472;
	struct frame outer = vxg_outer_build(&s, &inner);
	vxg_add(&in[0], &outer);
	vxg_add(&expected_p1, &inner);
	struct frame wrong = vxg_from_remote(2, 5001, &inner);
	vxg_add(&in[0], &wrong);
	vxg_write_inputs(sw, in, 2);

	vxg_start(sw, VXG_HEAD VXG_PCAP_PORT(0) VXG_PCAP_PORT(1) VXG_VTEP
		  "  ttl: 9\n  df: false\n  udp_port: 8472\n" VXG_NEIGHBOURS
		  "bridge_domains:\n"
		  "  - name: b\n    members:\n"
		  "      - port: p1\n"
		  "      - {tunnel: 198.18.100.2, vni: 5001}\n");
	vxg_wait_rx(sw, "p0", in[0].count);
	vxg_wait_rx(sw, "p1", in[1].count);
	assert_true(vxg_trace_is(sw, "p0", &wrong, "vxlan_not_for_us", 0));
	json_t *after = test_switch_counters(sw);
	assert_non_null(after);
	json_t *before = vxg_zero_counters(after);
	const struct vxg_count drops[] = { { "drops.vxlan_not_for_us", 1 } };
	vxg_assert_deltas(before, after, drops, 1, NULL, 0);
	json_decref(before);
	json_decref(after);
	vxg_stop(sw);

	const struct vxg_policy policy = { 9, false, 8472 };
	vxg_assert_encaps(sw, "p0.out.pcap", encaps, n_encaps, &policy);
	/* Not atomic (DF clear): a fragmenting router needs distinct IDs. */
	struct frame_list got;
	frame_list_init(&got);
	assert_int_equal(test_switch_read_pcap(sw, "p0.out.pcap", &got), 0);
	for (size_t i = 1; i < got.count; i++)
		assert_int_not_equal(vxg_get16(got.frames[i].data + 18),
				     vxg_get16(got.frames[i - 1].data + 18));
	frame_list_free(&got);
	assert_true(test_switch_output_equal(sw, "p1.out.pcap", &expected_p1, true));
	frame_list_free(&in[0]);
	frame_list_free(&in[1]);
	frame_list_free(&expected_p1);
}

static void test_too_big(void **state)
{
	struct test_switch *sw = test_switch_create("vx-too-big");
	*state = sw;
	struct frame_list in[3], expected_p2;
	for (int i = 0; i < 3; i++)
		frame_list_init(&in[i]);
	frame_list_init(&expected_p2);
	struct vxg_encap_expect encaps[8];
	size_t n_encaps = 0;
	/* MTU 1400: 1364 bytes of inner frame + 36 is the largest packet. */
	static const uint16_t lengths[] = { 1364, 1365, 1514, 60 };
	for (unsigned i = 0; i < 4; i++) {
		struct frame inner = vxg_inner(vxg_broadcast, A, 0, lengths[i],
					       (uint8_t)(0xa0 + i));
		vxg_add(&in[1], &inner);
		vxg_add(&expected_p2, &inner);
		if (lengths[i] > 1364)
			continue;
		for (unsigned r = 2; r <= 4; r++)
			encaps[n_encaps++] =
				(struct vxg_encap_expect){ r, 5001, inner, 1 };
	}
	vxg_write_inputs(sw, in, 3);
	vxg_start(sw, VXG_HEAD VXG_PCAP_PORT(0) VXG_PCAP_PORT(1)
		  VXG_PCAP_PORT(2) VXG_VTEP "  mtu: 1400\n" VXG_NEIGHBOURS
		  "bridge_domains:\n"
		  "  - name: b\n    members:\n"
		  "      - port: p1\n      - port: p2\n"
		  "      - {tunnel: 198.18.100.2, vni: 5001}\n"
		  "      - {tunnel: 198.18.100.3, vni: 5001}\n"
		  "      - {tunnel: 198.18.100.4, vni: 5001}\n");
	vxg_wait_rx(sw, "p1", in[1].count);
	json_t *after = test_switch_counters(sw);
	assert_non_null(after);
	json_t *before = vxg_zero_counters(after);
	const struct vxg_count drops[] = { { "drops.vxlan_too_big", 6 } };
	const struct vxg_count others[] = {
		{ "members.b/@198.18.100.2/5001.drops", 2 },
		{ "members.b/@198.18.100.3/5001.drops", 2 },
		{ "members.b/@198.18.100.4/5001.drops", 2 },
		{ "members.b/@198.18.100.4/5001.tx_packets", 2 },
		{ "ports.p2.tx_packets", 4 },
		{ "ports.p0.tx_packets", 6 },
	};
	vxg_assert_deltas(before, after, drops, 1, others,
			  sizeof(others) / sizeof(others[0]));
	json_decref(before);
	json_decref(after);
	vxg_stop(sw);
	vxg_assert_encaps(sw, "p0.out.pcap", encaps, n_encaps,
			  &vxg_default_policy);
	assert_true(test_switch_output_equal(sw, "p2.out.pcap", &expected_p2, true));
	for (int i = 0; i < 3; i++)
		frame_list_free(&in[i]);
	frame_list_free(&expected_p2);
}

/* IPv4 options in the outer header: 24 bytes, still valid. */
static struct frame outer_with_options(const struct frame *outer)
{
	struct frame f = *outer;
	memmove(f.data + 38, f.data + 34, outer->length - 34);
	memset(f.data + 34, 1, 4); /* four NOP options */
	f.length = (uint16_t)(outer->length + 4);
	f.data[14] = 0x46;
	vxg_put16(f.data + 16, (uint16_t)(f.length - 14));
	f.data[24] = f.data[25] = 0;
	vxg_put16(f.data + 24, vxg_ipv4_checksum(f.data + 14, 24));
	return f;
}

static void test_decap_stream(void **state)
{
	struct test_switch *sw = test_switch_create("vx-decap-stream");
	*state = sw;
	struct frame_list in[2], expected_p1;
	frame_list_init(&in[0]);
	frame_list_init(&in[1]);
	frame_list_init(&expected_p1);
	uint8_t a[6];
	mac_from_id(a, A);
	unsigned bad_checksum = 0, bad_udp = 0, unknown = 0;
	for (unsigned i = 0; i < 400; i++) {
		/* Runs of one source, then the next. */
		uint16_t source = (uint16_t)(B + i / 100);
		struct frame inner = vxg_inner(a, source, (uint16_t)(43000 + i % 5),
					       (uint16_t)(60 + (i % 4) * 100),
					       (uint8_t)i);
		struct frame outer = vxg_from_remote(2, 5001, &inner);
		switch (i % 41) {
		case 13: /* dropped: the outer checksum */
			outer.data[14 + 10] ^= 0x5a;
			vxg_add(&in[0], &outer);
			bad_checksum++;
			continue;
		case 19: /* dropped: UDP length not the IPv4 payload */
			vxg_put16(outer.data + 38,
				  (uint16_t)(vxg_get16(outer.data + 38) - 2));
			vxg_add(&in[0], &outer);
			bad_udp++;
			continue;
		case 23: /* dropped: no tunnel for VNI 5002 */
			outer = vxg_from_remote(2, 5002, &inner);
			vxg_add(&in[0], &outer);
			unknown++;
			continue;
		case 29: /* outer padding, trimmed */
			memset(outer.data + outer.length, 0xa5, 6);
			outer.length += 6;
			break;
		case 31: /* IPv4 options */
			outer = outer_with_options(&outer);
			break;
		case 37: { /* an inner tag, kept */
			struct frame_spec spec;
			memset(&spec, 0, sizeof(spec));
			memcpy(spec.dst, a, 6);
			mac_from_id(spec.src, source);
			spec.tags[0].tpid = 0x8100;
			spec.tags[0].tci = 9;
			spec.length = 80;
			spec.fill = (uint8_t)i;
			inner = frame_build(&spec);
			outer = vxg_from_remote(2, 5001, &inner);
			break;
		}
		default:
			break;
		}
		vxg_add(&in[0], &outer);
		vxg_add(&expected_p1, &inner);
	}
	vxg_write_inputs(sw, in, 2);

	vxg_start(sw, "datapath:\n  rx_burst: 32\n  workers: 1\nports:\n"
		  VXG_PCAP_PORT(0) VXG_PCAP_PORT(1) VXG_VTEP VXG_NEIGHBOURS
		  "bridge_domains:\n"
		  "  - name: b\n    members:\n"
		  "      - port: p1\n"
		  "      - {tunnel: 198.18.100.2, vni: 5001}\n"
		  "    static_macs:\n"
		  "      - {mac: \"02:00:00:00:00:01\", port: p1}\n");
	vxg_wait_rx(sw, "p0", in[0].count);
	json_t *after = test_switch_counters(sw);
	assert_non_null(after);
	json_t *before = vxg_zero_counters(after);
	const struct vxg_count drops[] = {
		{ "drops.vxlan_bad_ip_checksum", bad_checksum },
		{ "drops.vxlan_bad_udp_length", bad_udp },
		{ "drops.vxlan_unknown_vtep", unknown },
	};
	const struct vxg_count others[] = {
		{ "ports.p0.rx_packets", in[0].count },
		{ "ports.p1.tx_packets", expected_p1.count },
		{ "members." TUNNEL2 ".rx_packets", expected_p1.count },
		{ "bridge_domains.b.unicast", expected_p1.count },
		{ "bridge_domains.b.learned", 4 },
	};
	vxg_assert_deltas(before, after, drops, sizeof(drops) / sizeof(drops[0]),
			  others, sizeof(others) / sizeof(others[0]));
	json_decref(before);
	json_decref(after);
	vxg_stop(sw);
	assert_true(test_switch_output_equal(sw, "p1.out.pcap", &expected_p1, true));
	frame_list_free(&in[0]);
	frame_list_free(&in[1]);
	frame_list_free(&expected_p1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_encap_and_decap,
					  test_switch_teardown),
		cmocka_unit_test_teardown(test_policy, test_switch_teardown),
		cmocka_unit_test_teardown(test_too_big, test_switch_teardown),
		cmocka_unit_test_teardown(test_decap_stream, test_switch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
