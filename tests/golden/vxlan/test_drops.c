/* VXLAN golden test: every way a frame on the underlay port is refused,
 * each counted under its own reason, `trace` saying the same for each, and
 * nothing forwarded anywhere.
 *
 * Tunnels: b has remote VTEPs 2 and 3 on VNI 5001 (with access port p1);
 * c has remote 2 on VNI 6001 (with p2). The frames:
 *  - unknown VTEP: a configured VNI from an unconfigured source, a VNI
 *    nobody uses from a known VTEP, and a VNI configured for another VTEP
 *    (the key is matched whole: vxlan_unknown_vtep);
 *  - flags: I clear (alone or with another bit) is vxlan_bad_flags; I with
 *    any other flag bit, any reserved bit of either word is
 *    vxlan_reserved_bits (Linux's strict default, vxlan.h);
 *  - outer IPv4: bad checksum, version, IHL, total length; fragments (MF,
 *    an offset, both, with or without DF): vxlan_outer_fragment;
 *  - UDP length not the IPv4 payload: vxlan_bad_udp_length;
 *  - not for us (vxlan_not_for_us): another destination address, another
 *    UDP port, not UDP, not IP, another underlay VLAN;
 *  - inner source MAC multicast or zero;
 *  - every truncation depth: a valid 114-byte frame cut at every length
 *    1..113 (headers unchanged: vxlan_runt below 14 bytes, then
 *    vxlan_ip_truncated), and cut with the IPv4 and UDP lengths and the
 *    checksum made consistent (bad_udp_length, short_vxlan, short_inner),
 *    each both as is and padded with zeros to the 60-byte Ethernet
 *    minimum.
 * Between them, frames that must pass: a valid one before and after the
 * drops, and one with a wrong non-zero UDP checksum (not verified by
 * default, RFC 7348 section 5).
 */
#include "vxlan_golden.h"

enum { A = 1, B = 2 };

struct refused {
	struct frame frame;
	const char *reason;
};

static struct refused cases[1024];
static size_t n_cases;

static void refuse(struct frame frame, const char *reason)
{
	assert_true(n_cases < sizeof(cases) / sizeof(cases[0]));
	cases[n_cases].frame = frame;
	cases[n_cases++].reason = reason;
}

static struct frame inner_frame(uint8_t fill)
{
	return vxg_inner(vxg_broadcast, B, 0, 64, fill);
}

/* From remote n with VNI vni, after `change` edited the outer spec. */
static struct frame outer_with(unsigned n, uint32_t vni,
			       void (*change)(struct vxg_outer_spec *, uint32_t),
			       uint32_t value, uint8_t fill)
{
	struct vxg_outer_spec s = vxg_outer_from(n, vni);
	struct frame inner = inner_frame(fill);
	if (change)
		change(&s, value);
	return vxg_outer_build(&s, &inner);
}

static void set_word0(struct vxg_outer_spec *s, uint32_t v) { s->word0 = v; }
static void set_word1(struct vxg_outer_spec *s, uint32_t v) { s->word1 = v; }
static void set_fragment(struct vxg_outer_spec *s, uint32_t v)
{
	s->fragment = (uint16_t)v;
}
static void set_destination(struct vxg_outer_spec *s, uint32_t v)
{
	s->destination = v;
}
static void set_port(struct vxg_outer_spec *s, uint32_t v)
{
	s->destination_port = (uint16_t)v;
}
static void set_protocol(struct vxg_outer_spec *s, uint32_t v)
{
	s->protocol = (uint8_t)v;
}

/* The valid frame cut to `length` bytes with the IPv4 total length, the
 * UDP length and the checksum made to fit; padded with zeros to 60 bytes
 * when asked. */
static struct frame consistent_cut(uint16_t length, bool pad, uint8_t fill)
{
	struct frame inner = inner_frame(fill);
	struct frame f = vxg_from_remote(2, 5001, &inner);
	f.length = length;
	vxg_put16(f.data + 16, (uint16_t)(length - 14));
	vxg_put16(f.data + 38, (uint16_t)(length - 34));
	vxg_fix_checksum(&f);
	if (pad && f.length < 60) {
		memset(f.data + f.length, 0, 60 - f.length);
		f.length = 60;
	}
	return f;
}

static void build_cases(void)
{
	uint8_t fill = 0x20;
	n_cases = 0;
	/* unknown VTEP */
	refuse(outer_with(9, 5001, NULL, 0, fill++), "vxlan_unknown_vtep");
	refuse(outer_with(2, 7777, NULL, 0, fill++), "vxlan_unknown_vtep");
	refuse(outer_with(3, 6001, NULL, 0, fill++), "vxlan_unknown_vtep");
	refuse(outer_with(2, 0, NULL, 0, fill++), "vxlan_unknown_vtep");
	/* flags */
	refuse(outer_with(2, 5001, set_word0, 0, fill++), "vxlan_bad_flags");
	refuse(outer_with(2, 5001, set_word0, 0x04000000u, fill++),
	       "vxlan_bad_flags");
	refuse(outer_with(2, 5001, set_word0, 0xf7000000u, fill++),
	       "vxlan_bad_flags");
	static const uint32_t reserved0[] = { 0x0c000000u, 0x88000000u,
					      0x09000000u, 0x08800000u,
					      0x08000100u, 0x08000001u };
	for (size_t i = 0; i < sizeof(reserved0) / sizeof(reserved0[0]); i++)
		refuse(outer_with(2, 5001, set_word0, reserved0[i], fill++),
		       "vxlan_reserved_bits");
	refuse(outer_with(2, 5001, set_word1, 5001u << 8 | 1, fill++),
	       "vxlan_reserved_bits");
	refuse(outer_with(2, 5001, set_word1, 5001u << 8 | 0x80, fill++),
	       "vxlan_reserved_bits");
	/* fragments: MF; an offset; both; MF with DF */
	static const uint16_t fragments[] = { 0x2000, 0x0001, 0x2010, 0x1fff,
					      0x6000, 0x4001 };
	for (size_t i = 0; i < sizeof(fragments) / sizeof(fragments[0]); i++)
		refuse(outer_with(2, 5001, set_fragment, fragments[i], fill++),
		       "vxlan_outer_fragment");
	/* outer IPv4 */
	struct frame f = outer_with(2, 5001, NULL, 0, fill++);
	f.data[24] ^= 0x01; /* checksum */
	refuse(f, "vxlan_bad_ip_checksum");
	f = outer_with(2, 5001, NULL, 0, fill++);
	f.data[22]--; /* TTL changed, checksum not */
	refuse(f, "vxlan_bad_ip_checksum");
	f = outer_with(2, 5001, NULL, 0, fill++);
	f.data[14] = 0x65; /* version 6 */
	vxg_fix_checksum(&f);
	refuse(f, "vxlan_bad_ip_header");
	f = outer_with(2, 5001, NULL, 0, fill++);
	f.data[14] = 0x44; /* IHL 4 */
	vxg_fix_checksum(&f);
	refuse(f, "vxlan_bad_ip_header");
	f = outer_with(2, 5001, NULL, 0, fill++);
	vxg_put16(f.data + 16, 19); /* total length < header */
	vxg_fix_checksum(&f);
	refuse(f, "vxlan_bad_ip_header");
	f = outer_with(2, 5001, NULL, 0, fill++);
	vxg_put16(f.data + 16, (uint16_t)(f.length - 14 + 1)); /* past the end */
	vxg_fix_checksum(&f);
	refuse(f, "vxlan_ip_truncated");
	/* UDP length */
	f = outer_with(2, 5001, NULL, 0, fill++);
	vxg_put16(f.data + 38, (uint16_t)(vxg_get16(f.data + 38) - 1));
	refuse(f, "vxlan_bad_udp_length");
	f = outer_with(2, 5001, NULL, 0, fill++);
	vxg_put16(f.data + 38, (uint16_t)(vxg_get16(f.data + 38) + 1));
	refuse(f, "vxlan_bad_udp_length");
	f = outer_with(2, 5001, NULL, 0, fill++);
	vxg_put16(f.data + 38, 0);
	refuse(f, "vxlan_bad_udp_length");
	/* not for us */
	refuse(outer_with(2, 5001, set_destination, 0xc6126407u, fill++),
	       "vxlan_not_for_us");
	refuse(outer_with(2, 5001, set_port, 4790, fill++), "vxlan_not_for_us");
	refuse(outer_with(2, 5001, set_port, 8472, fill++), "vxlan_not_for_us");
	refuse(outer_with(2, 5001, set_protocol, 6, fill++), "vxlan_not_for_us");
	f = outer_with(2, 5001, NULL, 0, fill++);
	vxg_put16(f.data + 12, 0x86dd);
	refuse(f, "vxlan_not_for_us");
	/* another underlay VLAN: a tag in front of a valid packet */
	f = outer_with(2, 5001, NULL, 0, fill++);
	memmove(f.data + 16, f.data + 12, f.length - 12);
	vxg_put16(f.data + 12, 0x8100);
	vxg_put16(f.data + 14, 5);
	f.length += 4;
	refuse(f, "vxlan_not_for_us");
	/* inner source MAC */
	struct frame inner = inner_frame(fill++);
	inner.data[6] = 0x01;
	refuse(vxg_from_remote(2, 5001, &inner), "source_multicast");
	inner = inner_frame(fill++);
	memset(inner.data + 6, 0, 6);
	refuse(vxg_from_remote(2, 5001, &inner), "source_zero");

	/* every truncation depth, headers as they were */
	inner = inner_frame(0x77);
	struct frame whole = vxg_from_remote(2, 5001, &inner);
	assert_int_equal(whole.length, 114);
	for (uint16_t length = 1; length < whole.length; length++) {
		f = whole;
		f.length = length;
		refuse(f, length < 14 ? "vxlan_runt" : "vxlan_ip_truncated");
	}
	/* every depth inside UDP, VXLAN and the inner Ethernet header, with
	 * consistent lengths, bare and padded */
	for (int pad = 0; pad < 2; pad++)
		for (uint16_t length = 34; length < 64; length++)
			refuse(consistent_cut(length, pad, 0x78),
			       length < 42   ? "vxlan_bad_udp_length"
			       : length < 50 ? "vxlan_short_vxlan"
					     : "vxlan_short_inner");
}

static void test_every_drop(void **state)
{
	struct test_switch *sw = test_switch_create("vx-drops");
	*state = sw;
	struct frame_list in[3], expected_p1;
	for (int i = 0; i < 3; i++)
		frame_list_init(&in[i]);
	frame_list_init(&expected_p1);
	build_cases();

	struct frame first = inner_frame(0x01);
	struct frame first_outer = vxg_from_remote(2, 5001, &first);
	vxg_add(&in[0], &first_outer);
	vxg_add(&expected_p1, &first);
	/* A wrong non-zero UDP checksum: not verified by default. */
	struct frame unchecked = inner_frame(0x02);
	struct frame unchecked_outer = vxg_from_remote(3, 5001, &unchecked);
	vxg_put16(unchecked_outer.data + 40, 0x1234);
	vxg_add(&in[0], &unchecked_outer);
	vxg_add(&expected_p1, &unchecked);
	for (size_t i = 0; i < n_cases; i++)
		vxg_add(&in[0], &cases[i].frame);
	struct frame last = inner_frame(0x03);
	struct frame last_outer = vxg_from_remote(2, 5001, &last);
	vxg_add(&in[0], &last_outer);
	vxg_add(&expected_p1, &last);
	vxg_write_inputs(sw, in, 3);

	vxg_start(sw, VXG_HEAD VXG_PCAP_PORT(0) VXG_PCAP_PORT(1)
		  VXG_PCAP_PORT(2) VXG_VTEP VXG_NEIGHBOURS
		  "bridge_domains:\n"
		  "  - name: b\n    members:\n"
		  "      - port: p1\n"
		  "      - {tunnel: 198.18.100.2, vni: 5001}\n"
		  "      - {tunnel: 198.18.100.3, vni: 5001}\n"
		  "  - name: c\n    members:\n"
		  "      - port: p2\n"
		  "      - {tunnel: 198.18.100.2, vni: 6001}\n");
	vxg_wait_rx(sw, "p0", in[0].count);

	json_t *after = test_switch_counters(sw);
	assert_non_null(after);
	json_t *before = vxg_zero_counters(after);
	struct vxg_count drops[64];
	size_t n_drops = 0;
	for (size_t i = 0; i < n_cases; i++) {
		char path[96];
		snprintf(path, sizeof(path), "drops.%s", cases[i].reason);
		size_t j = 0;
		while (j < n_drops && strcmp(drops[j].path, path) != 0)
			j++;
		if (j == n_drops) {
			assert_true(n_drops < 64);
			drops[n_drops].path = strdup(path);
			drops[n_drops++].delta = 0;
		}
		drops[j].delta++;
	}
	const struct vxg_count others[] = {
		{ "ports.p0.rx_packets", in[0].count },
		{ "ports.p0.tx_packets", 0 },
		{ "ports.p1.tx_packets", expected_p1.count },
		{ "ports.p2.tx_packets", 0 },
		{ "members.b/@198.18.100.2/5001.rx_packets", 2 },
		{ "members.b/@198.18.100.3/5001.rx_packets", 1 },
		{ "members.c/@198.18.100.2/6001.rx_packets", 0 },
	};
	vxg_assert_deltas(before, after, drops, n_drops, others,
			  sizeof(others) / sizeof(others[0]));
	for (size_t j = 0; j < n_drops; j++)
		printf("# %s: %llu\n", drops[j].path,
		       (unsigned long long)drops[j].delta);
	json_decref(before);
	json_decref(after);

	/* trace decapsulates on the underlay port too: same reason, no
	 * output, for each refused frame. */
	bool all = true;
	for (size_t i = 0; i < n_cases; i++)
		all &= vxg_trace_is(sw, "p0", &cases[i].frame, cases[i].reason, 0);
	assert_true(all);
	/* and the counters did not move for it */
	assert_int_equal(test_switch_counter(sw, "ports.p0.rx_packets"),
			 in[0].count);
	vxg_stop(sw);

	assert_true(test_switch_output_equal(sw, "p1.out.pcap", &expected_p1, true));
	struct frame_list none;
	frame_list_init(&none);
	assert_true(test_switch_output_equal(sw, "p0.out.pcap", &none, true));
	assert_true(test_switch_output_equal(sw, "p2.out.pcap", &none, true));
	for (size_t j = 0; j < n_drops; j++)
		free((char *)drops[j].path);
	for (int i = 0; i < 3; i++)
		frame_list_free(&in[i]);
	frame_list_free(&expected_p1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_every_drop, test_switch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
