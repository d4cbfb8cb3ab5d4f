/* vxlan encapsulation: templates, byte-exact outer headers, the IPv4
 * checksum (checked with an independent RFC 1071 sum), the MTU check, and
 * the spread of the UDP source port hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "vxlan.h"
#include "vxlan_test.h"

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t gateway_mac[6] = { 0x02, 0, 0, 0, 0, 0xfe };

static void params_default(struct vxlan_encap_params *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->source_mac, our_mac, 6);
	memcpy(p->destination_mac, gateway_mac, 6);
	p->source = IPV4(192, 0, 2, 1);
	p->destination = IPV4(198, 51, 100, 7);
	p->udp_port = 4789;
	p->source_port_min = 49152;
	p->source_port_max = 65535;
	p->ttl = 64;
	p->df = true;
	p->mtu = 1500;
	p->vni = 0x123456;
	p->member = 7;
	p->resolved = true;
}

static void build(struct vxlan_encap_template *t,
		  const struct vxlan_encap_params *p)
{
	char error[128] = "";
	int rc = vxlan_encap_template_build(t, p, error, sizeof(error));
	if (rc != 0)
		fail_msg("template: %s", error);
}

/* A 64-byte inner frame: MACs, IPv4/UDP, a pattern. */
static void inner_frame(uint8_t *inner, uint32_t length, uint32_t seed)
{
	for (uint32_t i = 0; i < length; i++)
		inner[i] = (uint8_t)(i * 7 + seed);
	if (length < 42)
		return;
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0xaa, 1,
					  0x02, 0, 0, 0, 0xbb, 1 };
	memcpy(inner, macs, 12);
	test_put16(inner + 12, 0x0800);
	inner[14] = 0x45;
	test_put16(inner + 20, 0);
	inner[23] = 17;
	test_put32(inner + 26, IPV4(10, 0, 0, 1) + seed);
	test_put32(inner + 30, IPV4(10, 0, 0, 2));
	test_put16(inner + 34, (uint16_t)(1000 + seed));
	test_put16(inner + 36, 53);
}

static void test_template_fields(void **state)
{
	(void)state;
	struct vxlan_encap_params p;
	struct vxlan_encap_template t;

	params_default(&p);
	build(&t, &p);
	assert_int_equal(t.length, VXLAN_ENCAP_IPV4_LENGTH);
	assert_int_equal(t.ip_offset, 14);
	assert_int_equal(t.max_inner_length, 1500 - 36);
	assert_int_equal(t.vni, 0x123456);
	assert_int_equal(t.member, 7);
	assert_true(t.resolved);
	assert_int_equal(t.ip_id_mask, 0);

	p.vid = 42;
	build(&t, &p);
	assert_int_equal(t.length, VXLAN_ENCAP_IPV4_VLAN_LENGTH);
	assert_int_equal(t.ip_offset, 18);

	char error[128];
	p.vni = 0x1000000;
	assert_int_equal(vxlan_encap_template_build(&t, &p, error,
						    sizeof(error)), -1);
	params_default(&p);
	p.ttl = 0;
	assert_int_equal(vxlan_encap_template_build(&t, &p, error,
						    sizeof(error)), -1);
	params_default(&p);
	p.mtu = 60;
	assert_int_equal(vxlan_encap_template_build(&t, &p, error,
						    sizeof(error)), -1);
	params_default(&p);
	p.source_port_min = 60000;
	p.source_port_max = 50000;
	assert_int_equal(vxlan_encap_template_build(&t, &p, error,
						    sizeof(error)), -1);
	params_default(&p);
	p.vid = 4095;
	assert_int_equal(vxlan_encap_template_build(&t, &p, error,
						    sizeof(error)), -1);
}

/* The outer header, written out by hand; only the UDP source port comes
 * from the hash (checked for range and equality with the hash). */
static void test_encap_byte_exact(void **state)
{
	(void)state;
	struct vxlan_encap_params p;
	struct vxlan_encap_template t;
	uint8_t buffer[256];
	uint8_t *inner = buffer + 64;
	uint8_t original[64];

	params_default(&p);
	build(&t, &p);
	memset(buffer, 0xee, sizeof(buffer));
	inner_frame(inner, 64, 0);
	memcpy(original, inner, 64);

	assert_int_equal(vxlan_encap(&t, inner, 64, 0x5555), VXLAN_ENCAP_ok);

	const uint8_t expected[50] = {
		/* Ethernet: next hop, us, IPv4 */
		0x02, 0x00, 0x00, 0x00, 0x00, 0xfe,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x08, 0x00,
		/* IPv4: 45, tos 0, total 100, id 0 (DF), DF, TTL 64, UDP,
		 * checksum 0x4e4d (by hand), 192.0.2.1 -> 198.51.100.7 */
		0x45, 0x00, 0x00, 0x64, 0x00, 0x00, 0x40, 0x00,
		0x40, 0x11, 0x4e, 0x4d,
		0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x07,
		/* UDP: source port (patched below), 4789, length 80, csum 0 */
		0x00, 0x00, 0x12, 0xb5, 0x00, 0x50, 0x00, 0x00,
		/* VXLAN: I flag, VNI 0x123456 */
		0x08, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x00,
	};
	uint8_t want[50];
	memcpy(want, expected, 50);
	uint16_t port = test_get16(inner - 50 + 34);
	assert_true(port >= 49152);
	assert_int_equal(port, vxlan_source_port(&t, vxlan_flow_hash(original,
								     64)));
	test_put16(want + 34, port);
	assert_memory_equal(inner - 50, want, 50);
	assert_int_equal(test_checksum(inner - 50 + 14, 20), 0);
	/* inner untouched, nothing written before the outer header */
	assert_memory_equal(inner, original, 64);
	for (int i = 0; i < 64 - 50; i++)
		assert_int_equal(buffer[i], 0xee);
}

static void test_encap_vlan_byte_exact(void **state)
{
	(void)state;
	struct vxlan_encap_params p;
	struct vxlan_encap_template t;
	uint8_t buffer[256];
	uint8_t *inner = buffer + 64;

	params_default(&p);
	p.vid = 0x123;
	p.tos = 0xb8;
	p.ttl = 17;
	build(&t, &p);
	inner_frame(inner, 100, 3);
	assert_int_equal(vxlan_encap(&t, inner, 100, 0), VXLAN_ENCAP_ok);

	uint8_t *outer = inner - 54;
	const uint8_t ethernet[18] = { 0x02, 0, 0, 0, 0, 0xfe, 0x02, 0, 0, 0,
				       0,    1, 0x81, 0x00, 0x01, 0x23, 0x08,
				       0x00 };
	assert_memory_equal(outer, ethernet, 18);
	uint8_t *ip = outer + 18;
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[1], 0xb8);
	assert_int_equal(test_get16(ip + 2), 136);
	assert_int_equal(ip[8], 17);
	assert_int_equal(test_checksum(ip, 20), 0);
	assert_int_equal(test_get16(ip + 20 + 4), 116);
	assert_int_equal(ip[28], 0x08);
}

/* DF clear: the caller's identification goes in, checksum still right. */
static void test_encap_identification(void **state)
{
	(void)state;
	struct vxlan_encap_params p;
	struct vxlan_encap_template t;
	uint8_t buffer[256];
	uint8_t *inner = buffer + 64;

	params_default(&p);
	p.df = false;
	build(&t, &p);
	inner_frame(inner, 64, 1);
	for (uint32_t id = 0; id < 0x10000; id += 0x1111) {
		assert_int_equal(vxlan_encap(&t, inner, 64, (uint16_t)id),
				 VXLAN_ENCAP_ok);
		uint8_t *ip = inner - 50 + 14;
		assert_int_equal(test_get16(ip + 4), id);
		assert_int_equal(test_get16(ip + 6), 0);
		assert_int_equal(test_checksum(ip, 20), 0);
	}
}

/* Every inner length, several addresses: checksum and lengths right. */
static void test_encap_checksum_every_length(void **state)
{
	(void)state;
	static const uint32_t remotes[] = { IPV4(198, 51, 100, 7),
					    IPV4(255, 255, 255, 254),
					    IPV4(1, 0, 0, 0),
					    IPV4(10, 255, 0, 1) };
	struct vxlan_encap_params p;
	struct vxlan_encap_template t;
	static uint8_t buffer[64 + 9000];
	uint8_t *inner = buffer + 64;

	for (size_t r = 0; r < sizeof(remotes) / sizeof(remotes[0]); r++) {
		params_default(&p);
		p.destination = remotes[r];
		p.mtu = 9000;
		p.tos = (uint8_t)(r * 0x55);
		p.df = r & 1;
		build(&t, &p);
		for (uint32_t length = 14; length <= t.max_inner_length;
		     length += (length < 200 ? 1 : 97)) {
			inner_frame(inner, length, length);
			assert_int_equal(vxlan_encap(&t, inner, length,
						     (uint16_t)(length * 31)),
					 VXLAN_ENCAP_ok);
			uint8_t *ip = inner - 50 + 14;
			assert_int_equal(test_checksum(ip, 20), 0);
			assert_int_equal(test_get16(ip + 2), length + 36);
			assert_int_equal(test_get16(ip + 24), length + 16);
			assert_int_equal(test_get16(ip + 26), 0);
		}
	}
}

static void test_encap_mtu(void **state)
{
	(void)state;
	struct vxlan_encap_params p;
	struct vxlan_encap_template t;
	static uint8_t buffer[64 + 2000];
	uint8_t *inner = buffer + 64;

	params_default(&p);
	build(&t, &p);
	inner_frame(inner, 1465, 0);
	assert_int_equal(vxlan_encap_check(&t, 1464), VXLAN_ENCAP_ok);
	assert_int_equal(vxlan_encap_check(&t, 1465), VXLAN_ENCAP_too_big);
	memset(buffer, 0x11, 64);
	assert_int_equal(vxlan_encap(&t, inner, 1465, 0), VXLAN_ENCAP_too_big);
	for (int i = 0; i < 64; i++) /* nothing written on a refusal */
		assert_int_equal(buffer[i], 0x11);
	assert_int_equal(vxlan_encap(&t, inner, 1464, 0), VXLAN_ENCAP_ok);
	assert_int_equal(test_get16(inner - 50 + 16), 1500);
	assert_int_equal(vxlan_encap(&t, inner, 13, 0),
			 VXLAN_ENCAP_short_inner);

	p.mtu = 9000;
	build(&t, &p);
	assert_int_equal(vxlan_encap_check(&t, 8964), VXLAN_ENCAP_ok);
	assert_int_equal(vxlan_encap_check(&t, 8965), VXLAN_ENCAP_too_big);

	p.resolved = false;
	build(&t, &p);
	assert_int_equal(vxlan_encap(&t, inner, 64, 0),
			 VXLAN_ENCAP_unresolved);
	assert_string_equal(vxlan_encap_verdict_names[VXLAN_ENCAP_too_big],
			    "too_big");
}

/* Encapsulate then decapsulate with a table: the same member and frame. */
static void test_encap_decap_round_trip(void **state)
{
	(void)state;
	struct vxlan_underlay underlay;
	vxlan_underlay_defaults(&underlay);
	memcpy(underlay.mac, our_mac, 6);
	underlay.address = IPV4(192, 0, 2, 1);
	underlay.prefix_length = 24;

	/* our table: the far end's view is the same table mirrored */
	struct vxlan_underlay remote = underlay;
	remote.address = IPV4(198, 51, 100, 7);
	remote.mac[5] = 0x77;
	struct vxlan_tunnel_spec spec = { .member = 9, .bd = 1,
					  .vni = 0xabcdef,
					  .remote = IPV4(192, 0, 2, 1),
					  .resolved = true };
	memcpy(spec.next_hop_mac, our_mac, 6);
	char error[128] = "";
	struct vxlan_tunnel_table *far =
		vxlan_tunnel_table_build(&remote, &spec, 1, error,
					 sizeof(error));
	assert_non_null(far);
	spec.remote = IPV4(198, 51, 100, 7);
	spec.member = 3;
	struct vxlan_tunnel_table *near =
		vxlan_tunnel_table_build(&underlay, &spec, 1, error,
					 sizeof(error));
	assert_non_null(near);

	uint8_t buffer[256];
	uint8_t *inner = buffer + 64;
	inner_frame(inner, 90, 5);
	const struct vxlan_encap_template *t = vxlan_tunnel_template(far, 9);
	assert_non_null(t);
	assert_int_equal(vxlan_encap(t, inner, 90, 0), VXLAN_ENCAP_ok);

	struct vxlan_decap_result result;
	assert_int_equal(vxlan_decap(near, inner - 50, 140, &result),
			 VXLAN_DECAP_ok);
	assert_int_equal(result.member, 3);
	assert_int_equal(result.vni, 0xabcdef);
	assert_int_equal(result.inner_offset, 50);
	assert_int_equal(result.inner_length, 90);
	assert_int_equal(result.outer_source, IPV4(198, 51, 100, 7));
	vxlan_tunnel_table_free(far);
	vxlan_tunnel_table_free(near);
}

/* The same flow always gets the same port; different flows spread over
 * the range; each hashed field matters. */
static void test_source_port_spread(void **state)
{
	(void)state;
	struct vxlan_encap_params p;
	struct vxlan_encap_template t;
	uint8_t inner[64];
	enum { FLOWS = 4096, BUCKETS = 16 };
	static uint8_t seen[65536];
	unsigned buckets[BUCKETS] = { 0 };
	unsigned distinct = 0;

	params_default(&p);
	build(&t, &p);
	memset(seen, 0, sizeof(seen));
	for (uint32_t flow = 0; flow < FLOWS; flow++) {
		inner_frame(inner, 64, 0);
		test_put16(inner + 34, (uint16_t)(1024 + flow)); /* source port */
		uint16_t port = vxlan_source_port(&t,
						  vxlan_flow_hash(inner, 64));
		assert_true(port >= 49152);
		/* deterministic */
		assert_int_equal(port, vxlan_source_port(
					       &t, vxlan_flow_hash(inner, 64)));
		if (!seen[port]++)
			distinct++;
		buckets[(port - 49152) * BUCKETS / 16384]++;
	}
	/* 4096 flows into 16384 ports: about 3600 distinct expected for a
	 * uniform hash; a weak one collapses */
	assert_true(distinct > 3300);
	for (int b = 0; b < BUCKETS; b++) /* 256 expected per bucket */
		assert_true(buckets[b] > 160 && buckets[b] < 360);

	/* each field changes the hash */
	uint8_t base[64];
	inner_frame(base, 64, 0);
	uint32_t h0 = vxlan_flow_hash(base, 64);
	static const int offsets[] = { 0, 5, 6, 11, 23, 26, 29, 30, 33,
				       34, 35, 36, 37 };
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		memcpy(inner, base, 64);
		inner[offsets[i]] ^= 0x01;
		assert_int_not_equal(vxlan_flow_hash(inner, 64), h0);
	}
	/* payload and IPv4 TTL/ID do not: the flow stays on one path */
	memcpy(inner, base, 64);
	inner[50] ^= 0xff;
	inner[22] ^= 0xff; /* TTL */
	inner[18] ^= 0xff; /* ID */
	assert_int_equal(vxlan_flow_hash(inner, 64), h0);
	/* fragments do not hash ports (later fragments have none) */
	memcpy(inner, base, 64);
	test_put16(inner + 20, 0x2000);
	uint32_t h_fragment = vxlan_flow_hash(inner, 64);
	inner[34] ^= 0xff;
	assert_int_equal(vxlan_flow_hash(inner, 64), h_fragment);

	/* a narrow range is honoured and fully used */
	p.source_port_min = 50000;
	p.source_port_max = 50003;
	build(&t, &p);
	unsigned used[4] = { 0 };
	for (uint32_t flow = 0; flow < 400; flow++) {
		inner_frame(inner, 64, 0);
		test_put16(inner + 34, (uint16_t)flow);
		uint16_t port = vxlan_source_port(&t,
						  vxlan_flow_hash(inner, 64));
		assert_in_range(port, 50000, 50003);
		used[port - 50000]++;
	}
	for (int i = 0; i < 4; i++)
		assert_true(used[i] > 50);
	/* the whole range 1..65535 too */
	p.source_port_min = 1;
	p.source_port_max = 65535;
	build(&t, &p);
	assert_int_equal(t.source_port_span, 65535);
	assert_int_equal(vxlan_source_port(&t, 0xffffffffu), 65535);
	assert_int_equal(vxlan_source_port(&t, 0), 1);
}

/* vxlan_flow_hash()'s straight path for the usual frame gives what the
 * general parse gives, and frames just outside it (options, fragments,
 * other protocols, tags, short) take the general parse: every pair of
 * the two agrees, over many frames and lengths (exact-size buffers, so
 * ASan sees any read past the frame). */
static void test_flow_hash_paths_agree(void **state)
{
	(void)state;
	uint64_t seed = 0x2545f4914f6cdd1dull;
	unsigned straight = 0;
	for (uint32_t round = 0; round < 20000; round++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		uint32_t length = 14 + (uint32_t)(seed % 60);
		uint8_t *frame = malloc(length);
		assert_non_null(frame);
		for (uint32_t i = 0; i < length; i++)
			frame[i] = (uint8_t)(seed >> (i % 56));
		/* mostly near the usual frame, with one field off now and
		 * then */
		if (length >= 24) {
			bool off[4] = { (seed & 0x300) == 0x300,
					(seed & 0xc00) == 0xc00,
					(seed & 0x3000) == 0x3000,
					(seed & 0xc000) == 0xc000 };
			test_put16(frame + 12, off[0] ? 0x8100 : 0x0800);
			frame[14] = off[1] ? 0x46 : 0x45;
			test_put16(frame + 20, off[2] ? 0x2000 :
					       seed & 0x10000 ? 0x4000 : 0);
			frame[23] = off[3] ? 132 : seed & 0x20000 ? 6 : 17;
		}
		uint32_t fast = vxlan_flow_hash(frame, length);
		assert_int_equal(fast, vxlan_flow_hash_parsed(frame, length));
		straight += length >= 38 && frame[14] == 0x45 &&
			    frame[12] == 0x08 && frame[13] == 0 &&
			    (frame[20] & 0x3f) == 0 && frame[21] == 0 &&
			    (frame[23] == 6 || frame[23] == 17);
		free(frame);
	}
	assert_true(straight > 1000); /* the straight path was taken */
}

/* IPv6 and tagged inner frames hash their addresses and ports too; the
 * hash reads nothing past the frame (buffers of the exact size, ASan). */
static void test_flow_hash_bounds(void **state)
{
	(void)state;
	uint8_t frame[80];

	memset(frame, 0, sizeof(frame));
	test_put16(frame + 12, 0x86dd);
	frame[14] = 0x60;
	frame[20] = 6; /* TCP */
	uint32_t h0 = vxlan_flow_hash(frame, 80);
	frame[14 + 8 + 3] ^= 1; /* source address */
	uint32_t h1 = vxlan_flow_hash(frame, 80);
	assert_int_not_equal(h0, h1);
	frame[14 + 24 + 15] ^= 1; /* destination address */
	uint32_t h2 = vxlan_flow_hash(frame, 80);
	assert_int_not_equal(h1, h2);
	frame[14 + 40 + 1] ^= 1; /* TCP source port */
	assert_int_not_equal(vxlan_flow_hash(frame, 80), h2);

	uint8_t tagged[64];
	memset(tagged, 0, sizeof(tagged));
	test_put16(tagged + 12, 0x8100);
	test_put16(tagged + 16, 0x0800);
	tagged[18] = 0x45;
	tagged[18 + 9] = 17;
	h0 = vxlan_flow_hash(tagged, 64);
	tagged[18 + 20] ^= 1; /* UDP port behind the tag */
	assert_int_not_equal(vxlan_flow_hash(tagged, 64), h0);

	uint8_t source[128];
	for (size_t i = 0; i < sizeof(source); i++)
		source[i] = (uint8_t)(i * 13);
	test_put16(source + 12, 0x0800);
	source[14] = 0x4f; /* IHL 15: ports beyond short frames */
	source[23] = 6;
	for (uint32_t length = 0; length <= sizeof(source); length++) {
		uint8_t *exact = malloc(length ? length : 1);
		memcpy(exact, source, length);
		(void)vxlan_flow_hash(exact, length);
		if (length >= 14) {
			test_put16(exact + 12, 0x86dd);
			(void)vxlan_flow_hash(exact, length);
			test_put16(exact + 12, 0x8100);
			(void)vxlan_flow_hash(exact, length);
		}
		free(exact);
	}
	assert_int_equal(vxlan_flow_hash(source, 13), 0);
}

/* The header as RFC 791 and 768 say it, written field by field with a
 * full checksum fold: what vxlan_encap_write's shortcuts (two folds, one
 * store for length and ID) must give. */
static void reference_write(const struct vxlan_encap_template *t,
			    uint8_t *outer, uint32_t inner_length,
			    uint16_t source_port, uint16_t ip_id)
{
	memcpy(outer, t->header, t->length);
	uint8_t *ip = outer + t->ip_offset;
	uint16_t total = (uint16_t)(inner_length + 36);
	uint16_t id = ip_id & t->ip_id_mask;
	test_put16(ip + 2, total);
	test_put16(ip + 4, id);
	uint64_t sum = (uint64_t)t->checksum_base + total + id;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	test_put16(ip + 10, (uint16_t)~sum);
	test_put16(ip + 20, source_port);
	test_put16(ip + 24, (uint16_t)(inner_length + 16));
}

/* vxlan_encap_write gives the reference's bytes for every length, ID, DF,
 * TOS and underlay tag tried. */
static void test_write_same_as_reference(void **state)
{
	(void)state;
	for (int variant = 0; variant < 4; variant++) {
		struct vxlan_encap_params p;
		params_default(&p);
		p.df = variant & 1;
		p.tos = (uint8_t)(variant & 1 ? 0xb8 : 0);
		p.ttl = (uint8_t)(variant & 1 ? 64 : 3);
		p.vid = (uint16_t)(variant & 2 ? 42 : 0);
		struct vxlan_encap_template t;
		build(&t, &p);
		for (uint32_t length = 14; length <= 1450; length += 97) {
			for (uint32_t id = 0; id < 70000; id += 4099) {
				uint8_t a[64], b[64]; /* the tagged length fits */
				memset(a, 0x5a, sizeof(a));
				memset(b, 0xa5, sizeof(b));
				uint16_t port = (uint16_t)(49152 + id % 16384);
				reference_write(&t, a, length, port, (uint16_t)id);
				vxlan_encap_write(&t, b, length, port, (uint16_t)id);
				assert_memory_equal(a, b, t.length);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_fields),
		cmocka_unit_test(test_encap_byte_exact),
		cmocka_unit_test(test_encap_vlan_byte_exact),
		cmocka_unit_test(test_encap_identification),
		cmocka_unit_test(test_encap_checksum_every_length),
		cmocka_unit_test(test_encap_mtu),
		cmocka_unit_test(test_encap_decap_round_trip),
		cmocka_unit_test(test_source_port_spread),
		cmocka_unit_test(test_flow_hash_bounds),
		cmocka_unit_test(test_flow_hash_paths_agree),
		cmocka_unit_test(test_write_same_as_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
