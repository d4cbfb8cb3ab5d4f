/* vxlan underlay: ARP request -> reply in place (byte-exact), ARP
 * verdicts and truncations, request building, the neighbour table's states
 * in virtual time (learning, static entries, aging, probing), and
 * longest-prefix route lookup against a brute-force model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "vxlan.h"
#include "vxlan_test.h"

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

static struct vxlan_underlay underlay_default(void)
{
	struct vxlan_underlay u;

	vxlan_underlay_defaults(&u);
	memcpy(u.mac, our_mac, 6);
	u.address = IPV4(192, 0, 2, 1);
	u.prefix_length = 24;
	return u;
}

/* An ARP packet by hand; padding to 60 bytes with 0xcc. */
static uint32_t arp_frame(uint8_t *f, bool tagged, uint16_t operation,
			  const uint8_t sender_mac[6], uint32_t sender,
			  const uint8_t target_mac[6], uint32_t target)
{
	static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff };
	uint32_t at = 12;

	memset(f, 0xcc, 64);
	memcpy(f, operation == 1 ? broadcast : target_mac, 6);
	memcpy(f + 6, sender_mac, 6);
	if (tagged) {
		test_put16(f + 12, 0x8100);
		test_put16(f + 14, 0x2000 | 7); /* PCP 1, VID 7 */
		at += 4;
	}
	test_put16(f + at, 0x0806);
	uint8_t *a = f + at + 2;
	test_put16(a, 1);
	test_put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	test_put16(a + 6, operation);
	memcpy(a + 8, sender_mac, 6);
	test_put32(a + 14, sender);
	memcpy(a + 18, target_mac, 6);
	test_put32(a + 24, target);
	return tagged ? 64 : 60;
}

static void test_arp_reply_byte_exact(void **state)
{
	(void)state;
	struct vxlan_underlay u = underlay_default();
	static const uint8_t zero[6];
	uint8_t frame[64];
	struct vxlan_arp arp;

	uint32_t length = arp_frame(frame, false, 1, peer_mac,
				    IPV4(192, 0, 2, 7), zero,
				    IPV4(192, 0, 2, 1));
	assert_int_equal(vxlan_arp_handle(&u, frame, length, &arp),
			 VXLAN_ARP_reply);
	assert_int_equal(arp.sender_address, IPV4(192, 0, 2, 7));
	assert_memory_equal(arp.sender_mac, peer_mac, 6);

	const uint8_t expected[60] = {
		/* to the requester, from us, ARP */
		0x02, 0x11, 0x22, 0x33, 0x44, 0x55,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
		/* Ethernet, IPv4, 6, 4, reply */
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
		/* sender: us */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 192, 0, 2, 1,
		/* target: the requester */
		0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 192, 0, 2, 7,
		/* padding kept */
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
	};
	assert_memory_equal(frame, expected, 60);

	/* the reply parses as a reply from us */
	assert_int_equal(vxlan_arp_parse(frame, length, &arp),
			 VXLAN_ARP_parsed);
	assert_int_equal(arp.operation, VXLAN_ARP_REPLY);
	assert_int_equal(arp.sender_address, u.address);

	/* tagged underlay: the tag (PCP too) is kept */
	u.vid = 7;
	length = arp_frame(frame, true, 1, peer_mac, IPV4(192, 0, 2, 7), zero,
			   IPV4(192, 0, 2, 1));
	assert_int_equal(vxlan_arp_handle(&u, frame, length, &arp),
			 VXLAN_ARP_reply);
	assert_int_equal(arp.vid, 7);
	assert_memory_equal(frame, peer_mac, 6);
	assert_memory_equal(frame + 6, our_mac, 6);
	assert_int_equal(test_get16(frame + 14), 0x2007);
	assert_int_equal(test_get16(frame + 18 + 6), 2);
	assert_memory_equal(frame + 18 + 8, our_mac, 6);
	assert_memory_equal(frame + 18 + 18, peer_mac, 6);

	/* an address probe (sender 0.0.0.0) for our address is answered */
	u.vid = 0;
	length = arp_frame(frame, false, 1, peer_mac, 0, zero,
			   IPV4(192, 0, 2, 1));
	assert_int_equal(vxlan_arp_handle(&u, frame, length, &arp),
			 VXLAN_ARP_reply);
	assert_int_equal(test_get16(frame + 14 + 24), 0);
}

static void test_arp_verdicts(void **state)
{
	(void)state;
	struct vxlan_underlay u = underlay_default();
	static const uint8_t zero[6];
	static const uint8_t multicast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	uint8_t frame[64];
	struct vxlan_arp arp;
	uint32_t length;

#define handle(want)                                                           \
	do {                                                                   \
		enum vxlan_arp_verdict got_ =                                  \
			vxlan_arp_handle(&u, frame, length, &arp);             \
		if (got_ != (want))                                            \
			fail_msg("line %d: got %s, expected %s", __LINE__,     \
				 vxlan_arp_verdict_names[got_],                \
				 vxlan_arp_verdict_names[want]);               \
	} while (0)

	/* request for someone else */
	length = arp_frame(frame, false, 1, peer_mac, IPV4(192, 0, 2, 7), zero,
			   IPV4(192, 0, 2, 8));
	handle(VXLAN_ARP_not_for_us);
	/* reply to us: learn */
	length = arp_frame(frame, false, 2, peer_mac, IPV4(192, 0, 2, 7),
			   our_mac, IPV4(192, 0, 2, 1));
	handle(VXLAN_ARP_learn);
	assert_int_equal(arp.sender_address, IPV4(192, 0, 2, 7));
	/* reply to someone else */
	length = arp_frame(frame, false, 2, peer_mac, IPV4(192, 0, 2, 7),
			   peer_mac, IPV4(192, 0, 2, 9));
	handle(VXLAN_ARP_not_for_us);
	/* gratuitous request and reply: learn */
	length = arp_frame(frame, false, 1, peer_mac, IPV4(192, 0, 2, 7), zero,
			   IPV4(192, 0, 2, 7));
	handle(VXLAN_ARP_learn);
	length = arp_frame(frame, false, 2, peer_mac, IPV4(192, 0, 2, 7),
			   peer_mac, IPV4(192, 0, 2, 7));
	handle(VXLAN_ARP_learn);
	/* someone claims our address; our own request coming back */
	length = arp_frame(frame, false, 1, peer_mac, IPV4(192, 0, 2, 1), zero,
			   IPV4(192, 0, 2, 1));
	handle(VXLAN_ARP_address_conflict);
	length = arp_frame(frame, false, 1, our_mac, IPV4(192, 0, 2, 1), zero,
			   IPV4(192, 0, 2, 7));
	handle(VXLAN_ARP_not_for_us);
	/* bad senders */
	length = arp_frame(frame, false, 1, multicast, IPV4(192, 0, 2, 7), zero,
			   IPV4(192, 0, 2, 1));
	handle(VXLAN_ARP_bad_sender);
	length = arp_frame(frame, false, 1, zero, IPV4(192, 0, 2, 7), zero,
			   IPV4(192, 0, 2, 1));
	handle(VXLAN_ARP_bad_sender);
	/* malformed fields */
	length = arp_frame(frame, false, 1, peer_mac, IPV4(192, 0, 2, 7), zero,
			   IPV4(192, 0, 2, 1));
	uint8_t good[64];
	memcpy(good, frame, 64);
	frame[15] = 6; /* hardware type 6 */
	handle(VXLAN_ARP_bad_hardware);
	memcpy(frame, good, 64);
	frame[18] = 8; /* hardware length */
	handle(VXLAN_ARP_bad_hardware);
	memcpy(frame, good, 64);
	test_put16(frame + 16, 0x86dd);
	handle(VXLAN_ARP_bad_protocol);
	memcpy(frame, good, 64);
	frame[19] = 16;
	handle(VXLAN_ARP_bad_protocol);
	memcpy(frame, good, 64);
	test_put16(frame + 20, 3); /* RARP request */
	handle(VXLAN_ARP_bad_operation);
	memcpy(frame, good, 64);
	test_put16(frame + 12, 0x0800);
	handle(VXLAN_ARP_not_arp);
	/* wrong VLAN both ways */
	length = arp_frame(frame, true, 1, peer_mac, IPV4(192, 0, 2, 7), zero,
			   IPV4(192, 0, 2, 1));
	handle(VXLAN_ARP_wrong_vlan);
	u.vid = 8;
	handle(VXLAN_ARP_wrong_vlan);
	memcpy(frame, good, 64);
	length = 60;
	handle(VXLAN_ARP_wrong_vlan);
	u.vid = 0;

	/* drops are drops, the rest are not */
	assert_true(vxlan_arp_is_drop(VXLAN_ARP_address_conflict));
	assert_true(vxlan_arp_is_drop(VXLAN_ARP_truncated));
	assert_false(vxlan_arp_is_drop(VXLAN_ARP_reply));
	assert_false(vxlan_arp_is_drop(VXLAN_ARP_learn));
	assert_false(vxlan_arp_is_drop(VXLAN_ARP_not_for_us));
	assert_false(vxlan_arp_is_drop(VXLAN_ARP_VERDICT_MAX));
	for (int v = 0; v < VXLAN_ARP_VERDICT_MAX; v++)
		assert_non_null(vxlan_arp_verdict_names[v]);
#undef handle
}

/* Every truncation of a request: runt, then truncated, then a reply from
 * 42 bytes (ARP needs no padding to parse). The frame is an exact-size heap
 * copy so over-reads are sanitizer errors; nothing is written on a
 * refusal. */
static void test_arp_truncations(void **state)
{
	(void)state;
	struct vxlan_underlay u = underlay_default();
	static const uint8_t zero[6];
	uint8_t frame[64];
	struct vxlan_arp arp;

	for (int tagged = 0; tagged < 2; tagged++) {
		u.vid = tagged ? 7 : 0;
		uint32_t full = arp_frame(frame, tagged, 1, peer_mac,
					  IPV4(192, 0, 2, 7), zero,
					  IPV4(192, 0, 2, 1));
		uint32_t ethernet = tagged ? 18 : 14;
		for (uint32_t cut = 0; cut <= full; cut++) {
			uint8_t *copy = malloc(cut ? cut : 1);
			memcpy(copy, frame, cut);
			enum vxlan_arp_verdict v =
				vxlan_arp_handle(&u, copy, cut, &arp);
			enum vxlan_arp_verdict want =
				cut < ethernet ? VXLAN_ARP_runt
				: cut < ethernet + 28 ? VXLAN_ARP_truncated
						      : VXLAN_ARP_reply;
			if (v != want)
				fail_msg("tagged %d cut %u: %s", tagged, cut,
					 vxlan_arp_verdict_names[v]);
			if (v != VXLAN_ARP_reply)
				assert_memory_equal(copy, frame, cut);
			free(copy);
		}
	}
}

static void test_arp_request_build(void **state)
{
	(void)state;
	struct vxlan_underlay u = underlay_default();
	uint8_t frame[64];

	memset(frame, 0xee, sizeof(frame));
	assert_int_equal(vxlan_arp_request_build(&u, IPV4(192, 0, 2, 254),
						 frame, sizeof(frame)),
			 60);
	const uint8_t expected[60] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 192, 0, 2, 1,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 192, 0, 2, 254,
		/* zero padding */
	};
	assert_memory_equal(frame, expected, 60);
	assert_int_equal(frame[60], 0xee);

	/* tagged: 64 bytes, tag after the MACs */
	u.vid = 300;
	assert_int_equal(vxlan_arp_request_build(&u, IPV4(192, 0, 2, 254),
						 frame, sizeof(frame)),
			 64);
	assert_int_equal(test_get16(frame + 12), 0x8100);
	assert_int_equal(test_get16(frame + 14), 300);
	assert_int_equal(test_get16(frame + 16), 0x0806);
	struct vxlan_arp arp;
	assert_int_equal(vxlan_arp_parse(frame, 64, &arp), VXLAN_ARP_parsed);
	assert_int_equal(arp.operation, VXLAN_ARP_REQUEST);
	assert_int_equal(arp.vid, 300);
	assert_int_equal(arp.target_address, IPV4(192, 0, 2, 254));
	assert_int_equal(arp.sender_address, u.address);
	assert_int_equal(vxlan_arp_request_build(&u, 1, frame, 63), 0);

	/* another VTEP built like us answers our request; we learn it */
	struct vxlan_underlay peer = u;
	memcpy(peer.mac, peer_mac, 6);
	peer.address = IPV4(192, 0, 2, 254);
	assert_int_equal(vxlan_arp_handle(&peer, frame, 64, &arp),
			 VXLAN_ARP_reply);
	assert_int_equal(vxlan_arp_handle(&u, frame, 64, &arp),
			 VXLAN_ARP_learn);
	assert_memory_equal(arp.sender_mac, peer_mac, 6);
	assert_int_equal(arp.sender_address, IPV4(192, 0, 2, 254));
}

static const struct vxlan_neighbour_config neighbour_config = {
	.reachable_ms = 30000, .retry_ms = 1000, .max_probes = 3
};

static void test_neighbour_resolution(void **state)
{
	(void)state;
	struct vxlan_neighbour_table *t =
		vxlan_neighbour_table_create(4, &neighbour_config);
	const uint32_t gateway = IPV4(192, 0, 2, 254);
	uint8_t mac[6];
	uint32_t probe[4];
	bool changed = false;

	/* unsolicited: not learned */
	assert_int_equal(vxlan_neighbour_learn(t, gateway, peer_mac, 0),
			 VXLAN_NEIGHBOUR_LEARN_unknown);
	assert_null(vxlan_neighbour_lookup(t, gateway));

	/* resolve: incomplete, probed at once, then every second */
	assert_false(vxlan_neighbour_resolve(t, gateway, 100, mac));
	assert_int_equal(vxlan_neighbour_lookup(t, gateway)->state,
			 VXLAN_NEIGHBOUR_incomplete);
	assert_false(vxlan_neighbour_resolve(t, gateway, 150, mac));
	assert_int_equal(vxlan_neighbour_count(t), 1);
	assert_int_equal(vxlan_neighbour_tick(t, 100, probe, 4, &changed), 1);
	assert_int_equal(probe[0], gateway);
	assert_int_equal(vxlan_neighbour_tick(t, 1099, probe, 4, &changed), 0);
	assert_int_equal(vxlan_neighbour_tick(t, 1100, probe, 4, &changed), 1);
	assert_int_equal(vxlan_neighbour_tick(t, 2100, probe, 4, &changed), 1);
	assert_int_equal(vxlan_neighbour_lookup(t, gateway)->probes, 3);
	/* three unanswered: gone (it had no MAC: nothing changed) */
	assert_int_equal(vxlan_neighbour_tick(t, 3100, probe, 4, &changed), 0);
	assert_null(vxlan_neighbour_lookup(t, gateway));
	assert_false(changed);

	/* again, answered this time */
	vxlan_neighbour_resolve(t, gateway, 5000, mac);
	assert_int_equal(vxlan_neighbour_tick(t, 5000, probe, 4, &changed), 1);
	assert_int_equal(vxlan_neighbour_learn(t, gateway, peer_mac, 5010),
			 VXLAN_NEIGHBOUR_LEARN_resolved);
	assert_true(vxlan_neighbour_learn_changed(
		VXLAN_NEIGHBOUR_LEARN_resolved));
	assert_true(vxlan_neighbour_resolve(t, gateway, 5020, mac));
	assert_memory_equal(mac, peer_mac, 6);
	const struct vxlan_neighbour *e = vxlan_neighbour_lookup(t, gateway);
	assert_int_equal(e->state, VXLAN_NEIGHBOUR_reachable);
	assert_int_equal(e->probes, 0);
	assert_int_equal(vxlan_neighbour_learn(t, gateway, peer_mac, 6000),
			 VXLAN_NEIGHBOUR_LEARN_confirmed);
	assert_false(vxlan_neighbour_learn_changed(
		VXLAN_NEIGHBOUR_LEARN_confirmed));

	/* reachable for 30 s after the last confirmation, no probes */
	assert_int_equal(vxlan_neighbour_tick(t, 35999, probe, 4, &changed), 0);
	assert_int_equal(e->state, VXLAN_NEIGHBOUR_reachable);
	/* then stale: still usable, re-probed */
	assert_int_equal(vxlan_neighbour_tick(t, 36000, probe, 4, &changed), 1);
	assert_int_equal(e->state, VXLAN_NEIGHBOUR_stale);
	assert_true(vxlan_neighbour_resolve(t, gateway, 36000, mac));
	/* a reply confirms it again */
	assert_int_equal(vxlan_neighbour_learn(t, gateway, peer_mac, 36500),
			 VXLAN_NEIGHBOUR_LEARN_confirmed);
	assert_int_equal(e->state, VXLAN_NEIGHBOUR_reachable);

	/* stale and silent: probed three times, then removed: changed */
	assert_int_equal(vxlan_neighbour_tick(t, 66500, probe, 4, &changed), 1);
	assert_int_equal(vxlan_neighbour_tick(t, 67500, probe, 4, &changed), 1);
	assert_int_equal(vxlan_neighbour_tick(t, 68500, probe, 4, &changed), 1);
	assert_false(changed);
	assert_int_equal(vxlan_neighbour_tick(t, 69500, probe, 4, &changed), 0);
	assert_true(changed);
	assert_null(vxlan_neighbour_lookup(t, gateway));

	/* a MAC change is a move */
	vxlan_neighbour_resolve(t, gateway, 70000, mac);
	vxlan_neighbour_learn(t, gateway, peer_mac, 70000);
	uint8_t other[6] = { 0x02, 9, 9, 9, 9, 9 };
	assert_int_equal(vxlan_neighbour_learn(t, gateway, other, 70001),
			 VXLAN_NEIGHBOUR_LEARN_moved);
	assert_true(vxlan_neighbour_resolve(t, gateway, 70002, mac));
	assert_memory_equal(mac, other, 6);
	/* multicast senders are never learned */
	uint8_t multicast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	assert_int_equal(vxlan_neighbour_learn(t, gateway, multicast, 70003),
			 VXLAN_NEIGHBOUR_LEARN_unknown);
	vxlan_neighbour_table_free(t);
}

static void test_neighbour_static_and_limits(void **state)
{
	(void)state;
	struct vxlan_neighbour_table *t =
		vxlan_neighbour_table_create(3, NULL);
	const uint32_t a = IPV4(192, 0, 2, 10), b = IPV4(192, 0, 2, 11),
		       c = IPV4(192, 0, 2, 12), d = IPV4(192, 0, 2, 13);
	uint8_t mac[6];
	uint32_t probe[4];
	bool changed = false;
	uint8_t other[6] = { 0x02, 9, 9, 9, 9, 9 };

	assert_int_equal(vxlan_neighbour_add_static(t, a, peer_mac), 0);
	assert_int_equal(vxlan_neighbour_learn(t, a, other, 1),
			 VXLAN_NEIGHBOUR_LEARN_static_kept);
	assert_true(vxlan_neighbour_resolve(t, a, 2, mac));
	assert_memory_equal(mac, peer_mac, 6);
	/* never aged, never probed */
	assert_int_equal(vxlan_neighbour_tick(t, 1000000000, probe, 4,
					      &changed), 0);
	assert_int_equal(vxlan_neighbour_lookup(t, a)->state,
			 VXLAN_NEIGHBOUR_static);
	assert_false(changed);

	/* static over a learned entry replaces it */
	vxlan_neighbour_resolve(t, b, 0, mac);
	vxlan_neighbour_learn(t, b, other, 0);
	assert_int_equal(vxlan_neighbour_add_static(t, b, peer_mac), 0);
	assert_int_equal(vxlan_neighbour_lookup(t, b)->state,
			 VXLAN_NEIGHBOUR_static);
	assert_memory_equal(vxlan_neighbour_lookup(t, b)->mac, peer_mac, 6);
	assert_int_equal(vxlan_neighbour_add_static(t, c, (uint8_t[6]){ 0 }),
			 -1);
	assert_int_equal(vxlan_neighbour_add_static(t, c, (uint8_t[6]){ 1 }),
			 -1);

	/* full: a third entry fits, a fourth is neither created nor added */
	assert_false(vxlan_neighbour_resolve(t, c, 0, mac));
	assert_int_equal(vxlan_neighbour_count(t), 3);
	assert_false(vxlan_neighbour_resolve(t, d, 0, mac));
	assert_null(vxlan_neighbour_lookup(t, d));
	assert_int_equal(vxlan_neighbour_add_static(t, d, peer_mac), -1);
	/* probe list smaller than needed: the rest wait for the next tick */
	assert_int_equal(vxlan_neighbour_tick(t, 0, probe, 0, &changed), 0);
	assert_int_equal(vxlan_neighbour_lookup(t, c)->probes, 0);
	assert_int_equal(vxlan_neighbour_tick(t, 0, probe, 1, &changed), 1);
	assert_int_equal(probe[0], c);

	/* remove and walk */
	assert_int_equal(vxlan_neighbour_remove(t, a), 0);
	assert_int_equal(vxlan_neighbour_remove(t, a), -1);
	assert_int_equal(vxlan_neighbour_count(t), 2);
	bool saw_b = false, saw_c = false;
	for (uint32_t i = 0; i < vxlan_neighbour_count(t); i++) {
		const struct vxlan_neighbour *e = vxlan_neighbour_at(t, i);
		saw_b |= e->address == b;
		saw_c |= e->address == c;
	}
	assert_true(saw_b && saw_c);
	assert_null(vxlan_neighbour_at(t, 2));
	assert_string_equal(
		vxlan_neighbour_state_names[VXLAN_NEIGHBOUR_static], "static");
	assert_string_equal(
		vxlan_neighbour_learn_names[VXLAN_NEIGHBOUR_LEARN_static_kept],
		"static_kept");
	vxlan_neighbour_table_free(t);
}

/* Longest prefix match, checked against every route by brute force. */
static bool model_lookup(const struct vxlan_route *routes, size_t count,
			 uint32_t destination, uint32_t *next_hop)
{
	int best = -1;
	for (size_t i = 0; i < count; i++) {
		uint32_t mask = routes[i].length
					? 0xffffffffu << (32 - routes[i].length)
					: 0;
		if ((destination & mask) == routes[i].prefix &&
		    (best < 0 || routes[i].length > routes[best].length))
			best = (int)i;
	}
	if (best < 0)
		return false;
	*next_hop = routes[best].next_hop ? routes[best].next_hop
					  : destination;
	return true;
}

static void test_routes(void **state)
{
	(void)state;
	struct vxlan_underlay u = underlay_default();
	u.address = IPV4(10, 0, 0, 1);
	u.prefix_length = 16;
	const struct vxlan_route routes[] = {
		{ IPV4(10, 1, 2, 3), 32, IPV4(10, 0, 0, 251) },
		{ IPV4(10, 1, 0, 0), 16, IPV4(10, 0, 0, 253) },
		{ 0, 0, IPV4(10, 0, 0, 254) },
		{ IPV4(10, 1, 2, 0), 24, IPV4(10, 0, 0, 252) },
		{ IPV4(10, 0, 0, 0), 16, 0 }, /* connected */
		{ IPV4(128, 0, 0, 0), 1, IPV4(10, 0, 0, 250) },
	};
	const size_t count = sizeof(routes) / sizeof(routes[0]);

	/* two insertion orders give the same answers */
	for (int order = 0; order < 2; order++) {
		struct vxlan_route_table *t = vxlan_route_table_create(8);
		for (size_t k = 0; k < count; k++) {
			const struct vxlan_route *r =
				&routes[order ? count - 1 - k : k];
			if (r->next_hop == 0)
				assert_int_equal(
					vxlan_route_add_connected(t, &u), 0);
			else
				assert_int_equal(vxlan_route_add(t, r->prefix,
								 r->length,
								 r->next_hop),
						 0);
		}
		assert_int_equal(vxlan_route_count(t), count);
		for (uint32_t i = 1; i < count; i++)
			assert_true(vxlan_route_at(t, i)->length <=
				    vxlan_route_at(t, i - 1)->length);

		uint32_t hop;
		assert_true(vxlan_route_lookup(t, IPV4(10, 0, 3, 4), &hop));
		assert_int_equal(hop, IPV4(10, 0, 3, 4)); /* on-link */
		assert_true(vxlan_route_lookup(t, IPV4(8, 8, 8, 8), &hop));
		assert_int_equal(hop, IPV4(10, 0, 0, 254));
		assert_true(vxlan_route_lookup(t, IPV4(10, 1, 9, 9), &hop));
		assert_int_equal(hop, IPV4(10, 0, 0, 253));
		assert_true(vxlan_route_lookup(t, IPV4(10, 1, 2, 9), &hop));
		assert_int_equal(hop, IPV4(10, 0, 0, 252));
		assert_true(vxlan_route_lookup(t, IPV4(10, 1, 2, 3), &hop));
		assert_int_equal(hop, IPV4(10, 0, 0, 251));
		assert_true(vxlan_route_lookup(t, IPV4(200, 1, 1, 1), &hop));
		assert_int_equal(hop, IPV4(10, 0, 0, 250));

		uint32_t seed = 99;
		for (int n = 0; n < 20000; n++) {
			seed = seed * 1103515245u + 12345u;
			/* bias towards the interesting prefixes */
			uint32_t destination =
				n % 2 ? seed : IPV4(10, 0, 0, 0) |
						       (seed & 0x0103ffff);
			uint32_t want = 0, got = 0;
			bool found = model_lookup(routes, count, destination,
						  &want);
			assert_int_equal(vxlan_route_lookup(t, destination,
							    &got),
					 found);
			assert_int_equal(got, want);
		}
		vxlan_route_table_free(t);
	}

	/* replace, remove, errors, no default */
	struct vxlan_route_table *t = vxlan_route_table_create(3);
	uint32_t hop = 0;
	assert_false(vxlan_route_lookup(t, IPV4(1, 2, 3, 4), &hop));
	assert_int_equal(vxlan_route_add(t, IPV4(10, 1, 0, 0), 16,
					 IPV4(10, 0, 0, 253)), 0);
	assert_int_equal(vxlan_route_add(t, IPV4(10, 1, 0, 0), 16,
					 IPV4(10, 0, 0, 250)), 0);
	assert_int_equal(vxlan_route_count(t), 1);
	assert_true(vxlan_route_lookup(t, IPV4(10, 1, 7, 7), &hop));
	assert_int_equal(hop, IPV4(10, 0, 0, 250));
	assert_false(vxlan_route_lookup(t, IPV4(10, 2, 7, 7), &hop));
	assert_int_equal(vxlan_route_add(t, IPV4(10, 1, 0, 1), 16, 1), -1);
	assert_int_equal(vxlan_route_add(t, 0, 33, 1), -1);
	assert_int_equal(vxlan_route_add(t, IPV4(10, 2, 0, 0), 16, 1), 0);
	assert_int_equal(vxlan_route_add(t, IPV4(10, 3, 0, 0), 16, 1), 0);
	assert_int_equal(vxlan_route_add(t, IPV4(10, 4, 0, 0), 16, 1), -1);
	assert_int_equal(vxlan_route_remove(t, IPV4(10, 1, 0, 0), 16), 0);
	assert_int_equal(vxlan_route_remove(t, IPV4(10, 1, 0, 0), 16), -1);
	assert_false(vxlan_route_lookup(t, IPV4(10, 1, 7, 7), &hop));
	assert_true(vxlan_route_lookup(t, IPV4(10, 3, 7, 7), &hop));
	assert_null(vxlan_route_at(t, 2));
	vxlan_route_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp_reply_byte_exact),
		cmocka_unit_test(test_arp_verdicts),
		cmocka_unit_test(test_arp_truncations),
		cmocka_unit_test(test_arp_request_build),
		cmocka_unit_test(test_neighbour_resolution),
		cmocka_unit_test(test_neighbour_static_and_limits),
		cmocka_unit_test(test_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
