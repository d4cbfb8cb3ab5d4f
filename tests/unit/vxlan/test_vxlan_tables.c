/* vxlan tunnel tables: the decap hash against a brute-force model, the
 * member -> template index, flood lists, build-time validation, and
 * resolving tunnels through routes and neighbours. */
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
	u.address = IPV4(10, 0, 0, 1);
	u.prefix_length = 16;
	return u;
}

static uint32_t random_state = 12345;
static uint32_t next_random(void)
{
	random_state = random_state * 1103515245u + 12345u;
	return random_state >> 8;
}

/* Many tunnels: every key finds its member, every near-miss misses (checked
 * against a linear search of the specs). */
static void test_lookup_many(void **state)
{
	(void)state;
	enum { COUNT = 3000 };
	struct vxlan_underlay u = underlay_default();
	struct vxlan_tunnel_spec *specs = calloc(COUNT, sizeof(*specs));

	for (uint32_t i = 0; i < COUNT; i++) {
		specs[i].member = (uint16_t)(i + 1);
		specs[i].bd = (uint16_t)(i % 50 + 1);
		/* 300 VTEPs x 10 VNIs, VNIs spread over 24 bits */
		specs[i].remote = IPV4(10, 0, 1, 0) + i / 10;
		specs[i].vni = (i % 10) * 0x11111 + 1;
		specs[i].resolved = i % 3 != 0;
		specs[i].next_hop_mac[0] = 0x02;
		specs[i].next_hop_mac[5] = (uint8_t)i;
	}
	char error[128] = "";
	struct vxlan_tunnel_table *table =
		vxlan_tunnel_table_build(&u, specs, COUNT, error,
					 sizeof(error));
	if (!table)
		fail_msg("%s", error);
	assert_true(table->slot_mask + 1 >= 2 * COUNT);

	for (uint32_t i = 0; i < COUNT; i++) {
		assert_int_equal(vxlan_tunnel_lookup(table, specs[i].remote,
						     u.address, 4789,
						     specs[i].vni),
				 specs[i].member);
		/* near misses on each part of the key */
		assert_int_equal(vxlan_tunnel_lookup(table, specs[i].remote,
						     u.address + 1, 4789,
						     specs[i].vni),
				 VXLAN_NO_MEMBER);
		assert_int_equal(vxlan_tunnel_lookup(table, specs[i].remote,
						     u.address, 4790,
						     specs[i].vni),
				 VXLAN_NO_MEMBER);
		assert_int_equal(vxlan_tunnel_lookup(table, specs[i].remote,
						     u.address, 4789,
						     specs[i].vni ^ 0x800000),
				 VXLAN_NO_MEMBER);
		assert_int_equal(vxlan_tunnel_lookup(table, specs[i].remote ^
								    0x01000000,
						     u.address, 4789,
						     specs[i].vni),
				 VXLAN_NO_MEMBER);
	}
	/* random keys against the model */
	for (int n = 0; n < 5000; n++) {
		uint32_t remote = IPV4(10, 0, 1, 0) + next_random() % 400;
		uint32_t vni = (next_random() % 12) * 0x11111 + 1;
		uint16_t want = VXLAN_NO_MEMBER;
		for (uint32_t i = 0; i < COUNT; i++)
			if (specs[i].remote == remote && specs[i].vni == vni)
				want = specs[i].member;
		assert_int_equal(vxlan_tunnel_lookup(table, remote, u.address,
						     4789, vni),
				 want);
	}
	/* templates by member */
	for (uint32_t i = 0; i < COUNT; i++) {
		const struct vxlan_encap_template *t =
			vxlan_tunnel_template(table, specs[i].member);
		assert_non_null(t);
		assert_int_equal(t->member, specs[i].member);
		assert_int_equal(t->vni, specs[i].vni);
		assert_int_equal(t->resolved, specs[i].resolved);
		assert_memory_equal(t->header, specs[i].next_hop_mac, 6);
		assert_int_equal(vxlan_get32(t->header + 30), specs[i].remote);
		assert_true(((uintptr_t)t & 63) == 0);
	}
	assert_null(vxlan_tunnel_template(table, 0));
	assert_null(vxlan_tunnel_template(table, COUNT + 1));
	assert_null(vxlan_tunnel_template(table, 65535));

	/* flood lists: each BD's members, in spec order, nothing else */
	uint32_t total = 0;
	for (uint16_t bd = 1; bd <= 50; bd++) {
		uint32_t count;
		const uint16_t *members = vxlan_flood_members(table, bd, &count);
		assert_int_equal(count, COUNT / 50);
		for (uint32_t k = 0; k < count; k++) {
			assert_int_equal(specs[members[k] - 1].bd, bd);
			if (k)
				assert_true(members[k] > members[k - 1]);
		}
		total += count;
	}
	assert_int_equal(total, COUNT);
	uint32_t count = 99;
	assert_null(vxlan_flood_members(table, 0, &count));
	assert_int_equal(count, 0);
	count = 99;
	vxlan_flood_members(table, 51, &count);
	assert_int_equal(count, 0);
	vxlan_tunnel_table_free(table);
	free(specs);
}

/* A BD mixing VNIs and a tunnel excluded from flooding (bd 0). */
static void test_flood_lists(void **state)
{
	(void)state;
	struct vxlan_underlay u = underlay_default();
	const struct vxlan_tunnel_spec specs[] = {
		{ .member = 10, .bd = 3, .vni = 5000, .remote = IPV4(10, 0, 0, 2) },
		{ .member = 11, .bd = 3, .vni = 5001, .remote = IPV4(10, 0, 0, 3) },
		{ .member = 12, .bd = 0, .vni = 5000, .remote = IPV4(10, 0, 0, 4) },
		{ .member = 13, .bd = 3, .vni = 5000, .remote = IPV4(10, 0, 0, 5) },
		{ .member = 14, .bd = 1, .vni = 7, .remote = IPV4(10, 0, 0, 2) },
	};
	struct vxlan_tunnel_table *table =
		vxlan_tunnel_table_build(&u, specs, 5, NULL, 0);
	assert_non_null(table);
	uint32_t count;
	const uint16_t *members = vxlan_flood_members(table, 3, &count);
	assert_int_equal(count, 3);
	assert_int_equal(members[0], 10);
	assert_int_equal(members[1], 11);
	assert_int_equal(members[2], 13);
	/* each copy gets its own VNI from its template */
	assert_int_equal(vxlan_tunnel_template(table, 11)->vni, 5001);
	members = vxlan_flood_members(table, 1, &count);
	assert_int_equal(count, 1);
	assert_int_equal(members[0], 14);
	vxlan_flood_members(table, 2, &count);
	assert_int_equal(count, 0);
	/* member 12 is still a tunnel for unicast and decap */
	assert_non_null(vxlan_tunnel_template(table, 12));
	assert_int_equal(vxlan_tunnel_lookup(table, IPV4(10, 0, 0, 4),
					     u.address, 4789, 5000),
			 12);
	/* members 1..9 are not tunnels */
	for (uint16_t m = 1; m < 10; m++)
		assert_null(vxlan_tunnel_template(table, m));
	vxlan_tunnel_table_free(table);
}

static void expect_build_error(const struct vxlan_underlay *u,
			       const struct vxlan_tunnel_spec *specs,
			       size_t count, const char *fragment)
{
	char error[160] = "";
	struct vxlan_tunnel_table *table =
		vxlan_tunnel_table_build(u, specs, count, error, sizeof(error));
	if (table)
		fail_msg("built a table, expected an error about %s", fragment);
	if (!strstr(error, fragment))
		fail_msg("error \"%s\" does not mention \"%s\"", error,
			 fragment);
}

static void test_build_errors(void **state)
{
	(void)state;
	struct vxlan_underlay u = underlay_default();
	struct vxlan_tunnel_spec specs[2] = {
		{ .member = 1, .vni = 1, .remote = IPV4(10, 0, 0, 2) },
		{ .member = 2, .vni = 2, .remote = IPV4(10, 0, 0, 2) },
	};
	struct vxlan_tunnel_table *table =
		vxlan_tunnel_table_build(&u, specs, 2, NULL, 0);
	assert_non_null(table);
	vxlan_tunnel_table_free(table);
	vxlan_tunnel_table_free(NULL);

	specs[1].member = 1;
	expect_build_error(&u, specs, 2, "member 1 used twice");
	specs[1].member = 2;
	specs[1].vni = 1;
	expect_build_error(&u, specs, 2, "already used");
	specs[1].vni = 0x1000000;
	expect_build_error(&u, specs, 2, "VNI");
	specs[1].vni = 2;
	specs[1].member = 0;
	expect_build_error(&u, specs, 2, "member id");
	specs[1].member = 65535;
	expect_build_error(&u, specs, 2, "member id");
	specs[1].member = 2;
	specs[1].remote = u.address;
	expect_build_error(&u, specs, 2, "remote");
	specs[1].remote = IPV4(239, 1, 1, 1);
	expect_build_error(&u, specs, 2, "remote");
	specs[1].remote = IPV4(10, 0, 0, 3);

	struct vxlan_underlay bad = u;
	bad.mtu = 67;
	expect_build_error(&bad, specs, 2, "MTU");
	bad = u;
	bad.ttl = 0;
	expect_build_error(&bad, specs, 2, "TTL");
	bad = u;
	bad.source_port_min = 0;
	expect_build_error(&bad, specs, 2, "source port");
	bad = u;
	bad.address = 0;
	expect_build_error(&bad, specs, 2, "address");
	bad = u;
	bad.mac[0] = 0x01;
	expect_build_error(&bad, specs, 2, "MAC");
	bad = u;
	bad.vid = 4095;
	expect_build_error(&bad, specs, 2, "VID");
	bad = u;
	bad.udp_port = 0;
	expect_build_error(&bad, specs, 2, "port");
	bad = u;
	bad.prefix_length = 33;
	expect_build_error(&bad, specs, 2, "prefix");
}

/* Route a remote VTEP, resolve its next hop by ARP, build the table. */
static void test_tunnel_resolve(void **state)
{
	(void)state;
	struct vxlan_underlay u = underlay_default();
	struct vxlan_route_table *routes = vxlan_route_table_create(8);
	struct vxlan_neighbour_table *neighbours =
		vxlan_neighbour_table_create(8, NULL);
	assert_int_equal(vxlan_route_add_connected(routes, &u), 0);

	struct vxlan_tunnel_spec on_link = { .member = 1, .bd = 1, .vni = 10,
					     .remote = IPV4(10, 0, 5, 5) };
	struct vxlan_tunnel_spec far = { .member = 2, .bd = 1, .vni = 10,
					 .remote = IPV4(203, 0, 113, 9) };
	/* no route yet for far */
	assert_int_equal(vxlan_tunnel_resolve(routes, neighbours, 0, &far),
			 VXLAN_RESOLVE_no_route);
	assert_false(far.resolved);
	assert_int_equal(vxlan_route_add(routes, 0, 0, IPV4(10, 0, 0, 254)),
			 0);
	assert_int_equal(vxlan_tunnel_resolve(routes, neighbours, 0, &far),
			 VXLAN_RESOLVE_incomplete);
	assert_int_equal(vxlan_tunnel_resolve(routes, neighbours, 0, &on_link),
			 VXLAN_RESOLVE_incomplete);
	/* the gateway and the on-link VTEP are being resolved */
	uint32_t probe[8];
	bool changed = false;
	assert_int_equal(vxlan_neighbour_tick(neighbours, 0, probe, 8,
					      &changed),
			 2);
	const uint8_t gateway_mac[6] = { 0x02, 0, 0, 0, 0, 0xfe };
	const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 5, 5 };
	assert_int_equal(vxlan_neighbour_learn(neighbours, IPV4(10, 0, 0, 254),
					       gateway_mac, 10),
			 VXLAN_NEIGHBOUR_LEARN_resolved);
	assert_int_equal(vxlan_tunnel_resolve(routes, neighbours, 10, &far),
			 VXLAN_RESOLVE_resolved);
	assert_true(far.resolved);
	assert_memory_equal(far.next_hop_mac, gateway_mac, 6);
	assert_int_equal(vxlan_tunnel_resolve(routes, neighbours, 10, &on_link),
			 VXLAN_RESOLVE_incomplete);

	struct vxlan_tunnel_spec specs[2] = { on_link, far };
	struct vxlan_tunnel_table *table =
		vxlan_tunnel_table_build(&u, specs, 2, NULL, 0);
	assert_non_null(table);
	assert_false(vxlan_tunnel_template(table, 1)->resolved);
	assert_true(vxlan_tunnel_template(table, 2)->resolved);
	assert_memory_equal(vxlan_tunnel_template(table, 2)->header,
			    gateway_mac, 6);
	vxlan_tunnel_table_free(table);

	vxlan_neighbour_learn(neighbours, IPV4(10, 0, 5, 5), peer_mac, 20);
	assert_int_equal(vxlan_tunnel_resolve(routes, neighbours, 20, &on_link),
			 VXLAN_RESOLVE_resolved);
	assert_memory_equal(on_link.next_hop_mac, peer_mac, 6);
	assert_string_equal(vxlan_resolve_result_names[VXLAN_RESOLVE_no_route],
			    "no_route");
	vxlan_route_table_free(routes);
	vxlan_neighbour_table_free(neighbours);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_many),
		cmocka_unit_test(test_flood_lists),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_tunnel_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
