/* vxlan decapsulation: every verdict, every truncation depth, the full-key
 * tunnel match (unknown VTEP, wrong VNI), reserved-bit policy, and the
 * result fields. Frames are built by hand (vxlan_test.h) and decapsulated
 * from heap copies of their exact length, so a read past the end is an
 * ASan error in the sanitizer build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "vxlan.h"
#include "vxlan_test.h"

static struct vxlan_underlay underlay_default(void)
{
	struct vxlan_underlay u;
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

	vxlan_underlay_defaults(&u);
	memcpy(u.mac, mac, 6);
	u.address = IPV4(192, 0, 2, 1);
	u.prefix_length = 24;
	return u;
}

/* (192.0.2.2, 100) -> 1, (192.0.2.2, 200) -> 2, (192.0.2.3, 100) -> 3 */
static struct vxlan_tunnel_table *table_for(const struct vxlan_underlay *u)
{
	const struct vxlan_tunnel_spec specs[] = {
		{ .member = 1, .bd = 1, .vni = 100,
		  .remote = IPV4(192, 0, 2, 2), .resolved = true },
		{ .member = 2, .bd = 2, .vni = 200,
		  .remote = IPV4(192, 0, 2, 2), .resolved = true },
		{ .member = 3, .bd = 1, .vni = 100,
		  .remote = IPV4(192, 0, 2, 3), .resolved = true },
	};
	char error[128] = "";
	struct vxlan_tunnel_table *table =
		vxlan_tunnel_table_build(u, specs, 3, error, sizeof(error));
	if (!table)
		fail_msg("table: %s", error);
	return table;
}

static enum vxlan_decap_verdict
decap_exact(const struct vxlan_tunnel_table *table, const uint8_t *data,
	    uint32_t length, struct vxlan_decap_result *result)
{
	uint8_t *copy = malloc(length ? length : 1);
	memcpy(copy, data, length);
	memset(result, 0x5a, sizeof(*result));
	enum vxlan_decap_verdict verdict =
		vxlan_decap(table, copy, length, result);
	free(copy);
	return verdict;
}

#define expect_verdict(table, frame, verdict)                                  \
	do {                                                                   \
		struct vxlan_decap_result r_;                                  \
		enum vxlan_decap_verdict got_ = decap_exact(                   \
			table, (frame)->data, (frame)->length, &r_);           \
		if (got_ != (verdict))                                         \
			fail_msg("line %d: got %s, expected %s", __LINE__,     \
				 vxlan_decap_verdict_names[got_],              \
				 vxlan_decap_verdict_names[verdict]);          \
	} while (0)

static void test_decap_ok(void **state)
{
	(void)state;
	struct vxlan_underlay u = underlay_default();
	struct vxlan_tunnel_table *table = table_for(&u);
	struct test_frame_params p;
	struct test_frame f;
	struct vxlan_decap_result r;

	test_frame_defaults(&p);
	p.source_port = 51234;
	test_frame_build(&f, &p);
	assert_int_equal(decap_exact(table, f.data, f.length, &r),
			 VXLAN_DECAP_ok);
	assert_int_equal(r.member, 1);
	assert_int_equal(r.outer_source, IPV4(192, 0, 2, 2));
	assert_int_equal(r.outer_destination, IPV4(192, 0, 2, 1));
	assert_int_equal(r.udp_port, 4789);
	assert_int_equal(r.udp_source_port, 51234);
	assert_int_equal(r.vni, 100);
	assert_int_equal(r.vid, 0);
	assert_int_equal(r.l3_offset, 14);
	assert_int_equal(r.inner_offset, 50);
	assert_int_equal(r.inner_length, 64);

	p.vni = 200;
	test_frame_build(&f, &p);
	assert_int_equal(decap_exact(table, f.data, f.length, &r),
			 VXLAN_DECAP_ok);
	assert_int_equal(r.member, 2);

	p.vni = 100;
	p.source = IPV4(192, 0, 2, 3);
	test_frame_build(&f, &p);
	assert_int_equal(decap_exact(table, f.data, f.length, &r),
			 VXLAN_DECAP_ok);
	assert_int_equal(r.member, 3);

	/* IP options and Ethernet padding: inner found, padding excluded */
	p.ip_options = 8;
	p.padding = 7;
	p.inner_length = 14;
	test_frame_build(&f, &p);
	assert_int_equal(decap_exact(table, f.data, f.length, &r),
			 VXLAN_DECAP_ok);
	assert_int_equal(r.inner_offset, 58);
	assert_int_equal(r.inner_length, 14);
	assert_int_equal(r.member, 3);
	vxlan_tunnel_table_free(table);
}

/* Cut the frame at every length from 0 to full: nothing but the full
 * frame is accepted, each cut gets the verdict of the header it ends in. */
static void truncations(bool tagged)
{
	struct vxlan_underlay u = underlay_default();
	u.vid = tagged ? 10 : 0;
	struct vxlan_tunnel_table *table = table_for(&u);
	struct test_frame_params p;
	struct test_frame f;
	struct vxlan_decap_result r;
	uint32_t ethernet = tagged ? 18 : 14;

	test_frame_defaults(&p);
	p.tagged = tagged;
	p.vid = 10;
	test_frame_build(&f, &p);
	assert_int_equal(f.length, ethernet + 20 + 8 + 8 + 64);
	for (uint32_t cut = 0; cut <= f.length; cut++) {
		enum vxlan_decap_verdict v =
			decap_exact(table, f.data, cut, &r);
		enum vxlan_decap_verdict want;

		if (cut < ethernet)
			want = VXLAN_DECAP_runt;
		else if (cut < f.length)
			want = VXLAN_DECAP_ip_truncated;
		else
			want = VXLAN_DECAP_ok;
		if (v != want)
			fail_msg("tagged %d cut %u: got %s, expected %s",
				 tagged, cut, vxlan_decap_verdict_names[v],
				 vxlan_decap_verdict_names[want]);
		assert_true(cut == f.length || vxlan_decap_is_drop(v));
	}
	vxlan_tunnel_table_free(table);
}

static void test_decap_truncations(void **state)
{
	(void)state;
	truncations(false);
	truncations(true);
}

/* Truncations that keep every length field consistent: the IPv4 packet
 * shrinks with the frame, so each layer's own check fires. */
static void test_decap_consistent_truncations(void **state)
{
	(void)state;
	struct vxlan_underlay u = underlay_default();
	struct vxlan_tunnel_table *table = table_for(&u);
	struct test_frame_params p;
	struct test_frame f;

	test_frame_defaults(&p);
	for (uint32_t payload = 0; payload <= 16 + 14; payload++) {
		/* UDP payload of `payload` bytes */
		test_frame_build(&f, &p);
		uint8_t *ip = f.data + f.ip;
		test_put16(ip + 2, (uint16_t)(20 + 8 + payload));
		test_fix_ip_checksum(ip);
		test_put16(f.data + f.udp + 4, (uint16_t)(8 + payload));
		f.length = f.udp + 8 + payload;
		enum vxlan_decap_verdict want =
			payload < 8 ? VXLAN_DECAP_short_vxlan
			: payload < 8 + 14 ? VXLAN_DECAP_short_inner
					   : VXLAN_DECAP_ok;
		expect_verdict(table, &f, want);
	}
	vxlan_tunnel_table_free(table);
}

static void test_decap_other_traffic(void **state)
{
	(void)state;
	struct vxlan_underlay u = underlay_default();
	struct vxlan_tunnel_table *table = table_for(&u);
	struct test_frame_params p;
	struct test_frame f;

	test_frame_defaults(&p);

	/* ARP and other EtherTypes are not VXLAN */
	test_frame_build(&f, &p);
	test_put16(f.data + 12, 0x0806);
	expect_verdict(table, &f, VXLAN_DECAP_arp);
	test_put16(f.data + 12, 0x86dd);
	expect_verdict(table, &f, VXLAN_DECAP_not_ip);
	f.length = 14; /* an EtherType we do not speak needs no payload */
	expect_verdict(table, &f, VXLAN_DECAP_not_ip);

	/* underlay VLAN: tagged with another VID, or untagged when tagged
	 * is configured; a priority tag (VID 0) counts as untagged */
	p.tagged = true;
	p.vid = 5;
	test_frame_build(&f, &p);
	expect_verdict(table, &f, VXLAN_DECAP_wrong_vlan);
	p.vid = 0x6000; /* PCP 3, VID 0 */
	test_frame_build(&f, &p);
	expect_verdict(table, &f, VXLAN_DECAP_ok);
	struct vxlan_underlay tagged_underlay = u;
	tagged_underlay.vid = 5;
	struct vxlan_tunnel_table *tagged = table_for(&tagged_underlay);
	p.tagged = false;
	test_frame_build(&f, &p);
	expect_verdict(tagged, &f, VXLAN_DECAP_wrong_vlan);
	p.tagged = true;
	p.vid = 0xe005; /* PCP 7, VID 5 */
	test_frame_build(&f, &p);
	expect_verdict(tagged, &f, VXLAN_DECAP_ok);
	vxlan_tunnel_table_free(tagged);
	p.tagged = false;

	/* IPv4 to someone else, or to us but not UDP, or not our port */
	p.destination = IPV4(192, 0, 2, 99);
	test_frame_build(&f, &p);
	expect_verdict(table, &f, VXLAN_DECAP_not_local);
	p.destination = IPV4(192, 0, 2, 1);
	test_frame_build(&f, &p);
	f.data[f.ip + 9] = 1; /* ICMP */
	test_fix_ip_checksum(f.data + f.ip);
	expect_verdict(table, &f, VXLAN_DECAP_not_udp);
	/* an ICMP fragment is not_udp, not a VXLAN drop */
	test_put16(f.data + f.ip + 6, 0x2000);
	test_fix_ip_checksum(f.data + f.ip);
	expect_verdict(table, &f, VXLAN_DECAP_not_udp);
	p.destination_port = 8472;
	test_frame_build(&f, &p);
	expect_verdict(table, &f, VXLAN_DECAP_wrong_port);

	/* a configured port other than 4789 */
	struct vxlan_underlay linux_port = u;
	linux_port.udp_port = 8472;
	struct vxlan_tunnel_table *other = table_for(&linux_port);
	expect_verdict(other, &f, VXLAN_DECAP_ok);
	p.destination_port = 4789;
	test_frame_build(&f, &p);
	expect_verdict(other, &f, VXLAN_DECAP_wrong_port);
	vxlan_tunnel_table_free(other);
	vxlan_tunnel_table_free(table);
}

static void test_decap_bad_ip(void **state)
{
	(void)state;
	struct vxlan_underlay u = underlay_default();
	struct vxlan_tunnel_table *table = table_for(&u);
	struct test_frame_params p;
	struct test_frame f;
	uint8_t *ip;

	test_frame_defaults(&p);
	test_frame_build(&f, &p);
	ip = f.data + f.ip;

	ip[0] = 0x65; /* version 6 */
	test_fix_ip_checksum(ip);
	expect_verdict(table, &f, VXLAN_DECAP_bad_ip_header);
	ip[0] = 0x44; /* IHL 4 */
	expect_verdict(table, &f, VXLAN_DECAP_bad_ip_header);
	ip[0] = 0x45;
	test_put16(ip + 2, 19); /* total length < header */
	test_fix_ip_checksum(ip);
	expect_verdict(table, &f, VXLAN_DECAP_bad_ip_header);
	test_put16(ip + 2, (uint16_t)(f.length - f.ip + 1)); /* beyond frame */
	test_fix_ip_checksum(ip);
	expect_verdict(table, &f, VXLAN_DECAP_ip_truncated);
	ip[0] = 0x4f; /* IHL 15: header beyond a short frame */
	test_put16(ip + 2, 60);
	f.length = f.ip + 40;
	expect_verdict(table, &f, VXLAN_DECAP_ip_truncated);

	/* checksum: every single-bit error in the header is caught */
	test_frame_build(&f, &p);
	for (int bit = 0; bit < 20 * 8; bit++) {
		if (bit / 8 == 0) /* version/IHL errors are header errors */
			continue;
		ip[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		struct vxlan_decap_result r;
		enum vxlan_decap_verdict v =
			decap_exact(table, f.data, f.length, &r);
		if (bit / 8 == 2 || bit / 8 == 3) /* total length */
			assert_true(v == VXLAN_DECAP_bad_ip_checksum ||
				    v == VXLAN_DECAP_ip_truncated ||
				    v == VXLAN_DECAP_bad_ip_header);
		else if (v != VXLAN_DECAP_bad_ip_checksum)
			fail_msg("bit %d: %s", bit,
				 vxlan_decap_verdict_names[v]);
		ip[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	expect_verdict(table, &f, VXLAN_DECAP_ok);
	/* checksum with options */
	p.ip_options = 4;
	test_frame_build(&f, &p);
	expect_verdict(table, &f, VXLAN_DECAP_ok);
	f.data[f.ip + 21] ^= 0x40;
	expect_verdict(table, &f, VXLAN_DECAP_bad_ip_checksum);
	p.ip_options = 0;

	/* fragments: MF, an offset, both; DF alone is fine */
	static const uint16_t fragments[] = { 0x2000, 0x0001, 0x2abc, 0x1fff,
					      0x6000 };
	for (size_t i = 0; i < sizeof(fragments) / sizeof(fragments[0]);
	     i++) {
		test_frame_build(&f, &p);
		test_put16(f.data + f.ip + 6, fragments[i]);
		test_fix_ip_checksum(f.data + f.ip);
		expect_verdict(table, &f, VXLAN_DECAP_outer_fragment);
	}
	test_frame_build(&f, &p);
	test_put16(f.data + f.ip + 6, 0);
	test_fix_ip_checksum(f.data + f.ip);
	expect_verdict(table, &f, VXLAN_DECAP_ok);
	vxlan_tunnel_table_free(table);
}

static void test_decap_bad_udp_and_vxlan(void **state)
{
	(void)state;
	struct vxlan_underlay u = underlay_default();
	struct vxlan_tunnel_table *table = table_for(&u);
	struct test_frame_params p;
	struct test_frame f;

	test_frame_defaults(&p);
	test_frame_build(&f, &p);
	uint16_t udp_length = test_get16(f.data + f.udp + 4);
	static const int deltas[] = { 1, -1, 100, -8 };
	for (size_t i = 0; i < 4; i++) {
		test_put16(f.data + f.udp + 4,
			   (uint16_t)(udp_length + deltas[i]));
		expect_verdict(table, &f, VXLAN_DECAP_bad_udp_length);
	}
	test_put16(f.data + f.udp + 4, 7);
	expect_verdict(table, &f, VXLAN_DECAP_bad_udp_length);
	test_put16(f.data + f.udp + 4, 0);
	expect_verdict(table, &f, VXLAN_DECAP_bad_udp_length);
	/* IPv4 payload shorter than a UDP header */
	test_frame_build(&f, &p);
	test_put16(f.data + f.ip + 2, 20 + 4);
	test_fix_ip_checksum(f.data + f.ip);
	f.length = f.ip + 24;
	expect_verdict(table, &f, VXLAN_DECAP_bad_udp_length);

	/* flags: I clear drops; any other bit or reserved field is
	 * reserved_bits by default and ignored on request */
	p.flags = 0x00;
	test_frame_build(&f, &p);
	expect_verdict(table, &f, VXLAN_DECAP_bad_flags);
	p.flags = 0xf7;
	test_frame_build(&f, &p);
	expect_verdict(table, &f, VXLAN_DECAP_bad_flags);

	struct vxlan_underlay lenient_underlay = u;
	lenient_underlay.ignore_reserved_bits = true;
	struct vxlan_tunnel_table *lenient = table_for(&lenient_underlay);
	expect_verdict(lenient, &f, VXLAN_DECAP_bad_flags);
	for (int bit = 0; bit < 8; bit++) {
		if (bit == 3)
			continue;
		p.flags = (uint8_t)(0x08 | 1 << bit);
		test_frame_build(&f, &p);
		expect_verdict(table, &f, VXLAN_DECAP_reserved_bits);
		expect_verdict(lenient, &f, VXLAN_DECAP_ok);
	}
	p.flags = 0x08;
	static const int reserved[] = { 1, 2, 3, 7 };
	for (size_t i = 0; i < 4; i++) {
		test_frame_build(&f, &p);
		f.data[f.vxlan + reserved[i]] = 0x80;
		expect_verdict(table, &f, VXLAN_DECAP_reserved_bits);
		expect_verdict(lenient, &f, VXLAN_DECAP_ok);
	}
	vxlan_tunnel_table_free(lenient);

	/* short inner: 13 bytes is not an Ethernet frame, 14 is */
	p.inner_length = 13;
	test_frame_build(&f, &p);
	expect_verdict(table, &f, VXLAN_DECAP_short_inner);
	p.inner_length = 14;
	test_frame_build(&f, &p);
	expect_verdict(table, &f, VXLAN_DECAP_ok);
	p.inner_length = 0;
	test_frame_build(&f, &p);
	expect_verdict(table, &f, VXLAN_DECAP_short_inner);
	vxlan_tunnel_table_free(table);
}

static void test_decap_udp_checksum(void **state)
{
	(void)state;
	struct vxlan_underlay u = underlay_default();
	u.verify_udp_checksum = true;
	struct vxlan_tunnel_table *table = table_for(&u);
	struct test_frame_params p;
	struct test_frame f;

	test_frame_defaults(&p);
	p.inner_length = 63; /* odd: the last byte is padded */
	test_frame_build(&f, &p);
	expect_verdict(table, &f, VXLAN_DECAP_ok); /* zero: not checked */

	/* compute it independently: pseudo-header + UDP */
	uint8_t pseudo[12 + 2048];
	uint32_t udp_length = test_get16(f.data + f.udp + 4);
	test_put32(pseudo, p.source);
	test_put32(pseudo + 4, p.destination);
	pseudo[8] = 0;
	pseudo[9] = 17;
	test_put16(pseudo + 10, (uint16_t)udp_length);
	memcpy(pseudo + 12, f.data + f.udp, udp_length);
	uint16_t checksum = test_checksum(pseudo, 12 + udp_length);
	test_put16(f.data + f.udp + 6, checksum ? checksum : 0xffff);
	expect_verdict(table, &f, VXLAN_DECAP_ok);
	f.data[f.inner + 20] ^= 1;
	expect_verdict(table, &f, VXLAN_DECAP_bad_udp_checksum);

	/* not verified unless asked */
	struct vxlan_underlay fast = underlay_default();
	struct vxlan_tunnel_table *unchecked = table_for(&fast);
	expect_verdict(unchecked, &f, VXLAN_DECAP_ok);
	vxlan_tunnel_table_free(unchecked);
	vxlan_tunnel_table_free(table);
}

/* The full key must match: a VTEP not configured for the VNI misses. */
static void test_decap_unknown_vtep(void **state)
{
	(void)state;
	struct vxlan_underlay u = underlay_default();
	struct vxlan_tunnel_table *table = table_for(&u);
	struct test_frame_params p;
	struct test_frame f;
	struct vxlan_decap_result r;

	test_frame_defaults(&p);
	p.source = IPV4(192, 0, 2, 9); /* unknown VTEP */
	test_frame_build(&f, &p);
	assert_int_equal(decap_exact(table, f.data, f.length, &r),
			 VXLAN_DECAP_unknown_vtep);
	assert_int_equal(r.member, VXLAN_NO_MEMBER);
	assert_int_equal(r.outer_source, IPV4(192, 0, 2, 9));
	assert_int_equal(r.vni, 100);

	p.source = IPV4(192, 0, 2, 2);
	p.vni = 300; /* known VTEP, VNI it does not carry */
	test_frame_build(&f, &p);
	expect_verdict(table, &f, VXLAN_DECAP_unknown_vtep);

	p.source = IPV4(192, 0, 2, 3);
	p.vni = 200; /* VNI known, but only from 192.0.2.2 */
	test_frame_build(&f, &p);
	expect_verdict(table, &f, VXLAN_DECAP_unknown_vtep);

	p.vni = 100 | 0x10000; /* a bit away from a known VNI */
	test_frame_build(&f, &p);
	expect_verdict(table, &f, VXLAN_DECAP_unknown_vtep);

	/* an empty table decapsulates nothing */
	struct vxlan_tunnel_table *empty =
		vxlan_tunnel_table_build(&u, NULL, 0, NULL, 0);
	assert_non_null(empty);
	p.vni = 100;
	test_frame_build(&f, &p);
	expect_verdict(empty, &f, VXLAN_DECAP_unknown_vtep);
	vxlan_tunnel_table_free(empty);
	vxlan_tunnel_table_free(table);
}

static void test_decap_verdict_classes(void **state)
{
	(void)state;
	assert_false(vxlan_decap_is_drop(VXLAN_DECAP_ok));
#define _(name, text) assert_false(vxlan_decap_is_drop(VXLAN_DECAP_##name));
	foreach_vxlan_decap_other
#undef _
#define _(name, text) assert_true(vxlan_decap_is_drop(VXLAN_DECAP_##name));
	foreach_vxlan_decap_drop
#undef _
	assert_false(vxlan_decap_is_drop(VXLAN_DECAP_VERDICT_MAX));
	for (int v = 0; v < VXLAN_DECAP_VERDICT_MAX; v++) {
		assert_non_null(vxlan_decap_verdict_names[v]);
		assert_non_null(vxlan_decap_verdict_descriptions[v]);
	}
	assert_string_equal(
		vxlan_decap_verdict_names[VXLAN_DECAP_outer_fragment],
		"outer_fragment");
	assert_string_equal(vxlan_decap_verdict_names[VXLAN_DECAP_unknown_vtep],
			    "unknown_vtep");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decap_ok),
		cmocka_unit_test(test_decap_truncations),
		cmocka_unit_test(test_decap_consistent_truncations),
		cmocka_unit_test(test_decap_other_traffic),
		cmocka_unit_test(test_decap_bad_ip),
		cmocka_unit_test(test_decap_bad_udp_and_vxlan),
		cmocka_unit_test(test_decap_udp_checksum),
		cmocka_unit_test(test_decap_unknown_vtep),
		cmocka_unit_test(test_decap_verdict_classes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
