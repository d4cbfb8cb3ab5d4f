/* Fuzz target vlan_parse: the whole input is one frame.
 *
 * Checks, aborting on any violation:
 *  - vlan_parse agrees with the bytes (offsets, fields, why it failed);
 *  - classification on each of a set of ports (every mode, QinQ with each
 *    TPID) is consistent with the parse and the port;
 *  - every accepted frame rewritten for every output port (one bridge
 *    domain, a different VID per port) is accepted back by that port in
 *    its VID, with MACs, inner tags and payload unchanged and PCP/DEI kept
 *    in a pushed tag; vlan_egress_header() gives the same bytes;
 *  - push then pop is the identity; set_vid/set_pcp touch only their bits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlan.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

#define FRAME_CAP 2048
#define HEADROOM 16

enum { A, T, NU, NT, Q, CQ, X, N9, QN, PORTS };
static struct vlan_port ports[PORTS];
static const uint16_t bd_vid[PORTS] = {
	[A] = 10, [T] = 100, [NU] = 20, [NT] = 1, [Q] = 200, [CQ] = 10,
	[X] = 30, [N9] = 10, [QN] = 300,
};

static void ports_build(void)
{
	static int built;
	int rc = 0;

	if (built)
		return;
	rc |= vlan_port_init(&ports[A], VLAN_PORT_access, 10);
	rc |= vlan_port_set_pcp(&ports[A], 2);
	rc |= vlan_port_init(&ports[T], VLAN_PORT_trunk, 0);
	rc |= vlan_port_allow_list(&ports[T], "10,20,100");
	rc |= vlan_port_init(&ports[NU], VLAN_PORT_native_untagged, 1);
	rc |= vlan_port_allow_list(&ports[NU], "10,20");
	rc |= vlan_port_init(&ports[NT], VLAN_PORT_native_tagged, 1);
	rc |= vlan_port_allow_list(&ports[NT], "10,20,4094");
	rc |= vlan_port_init(&ports[Q], VLAN_PORT_trunk, 0);
	rc |= vlan_port_set_tpid(&ports[Q], VLAN_TPID_8021AD, 1);
	rc |= vlan_port_allow_list(&ports[Q], "100,200,1-5");
	rc |= vlan_port_init(&ports[CQ], VLAN_PORT_trunk, 0);
	rc |= vlan_port_set_tpid(&ports[CQ], VLAN_TPID_8021Q, 1);
	rc |= vlan_port_allow_list(&ports[CQ], "10");
	rc |= vlan_port_init(&ports[X], VLAN_PORT_tunnel, 30);
	rc |= vlan_port_set_pcp(&ports[X], 6);
	rc |= vlan_port_init(&ports[N9], VLAN_PORT_trunk, 0);
	rc |= vlan_port_set_tpid(&ports[N9], VLAN_TPID_9100, 1);
	rc |= vlan_port_allow_list(&ports[N9], "10");
	rc |= vlan_port_init(&ports[QN], VLAN_PORT_native_untagged, 300);
	rc |= vlan_port_set_tpid(&ports[QN], VLAN_TPID_8021AD, 1);
	rc |= vlan_port_allow_list(&ports[QN], "100");
	CHECK(rc == 0);
	for (unsigned p = 0; p < PORTS; p++)
		CHECK(vlan_port_check(&ports[p]) == NULL);
	built = 1;
}

static void check_parse(const uint8_t *frame, size_t length,
			enum vlan_verdict verdict, const struct vlan_stack *s)
{
	CHECK(s->depth <= VLAN_MAX_DEPTH);
	for (unsigned i = 0; i < s->depth; i++) {
		const uint8_t *tag = frame + 12 + 4 * i;
		uint16_t tci = vlan_read16(tag + 2);
		CHECK(vlan_is_tpid(vlan_read16(tag)));
		CHECK(s->tags[i].tpid == vlan_read16(tag));
		CHECK(s->tags[i].vid == vlan_tci_vid(tci));
		CHECK(s->tags[i].pcp == vlan_tci_pcp(tci));
		CHECK(s->tags[i].dei == vlan_tci_dei(tci));
		CHECK(vlan_tci(s->tags[i].pcp, s->tags[i].dei,
			       s->tags[i].vid) == tci);
	}
	size_t end = 12 + 4u * s->depth; /* where the next type is */
	switch (verdict) {
	case VLAN_OK:
		CHECK(s->ethertype_offset == end);
		CHECK(length >= end + 2);
		CHECK(s->ethertype == vlan_read16(frame + end));
		CHECK(!vlan_is_tpid(s->ethertype));
		break;
	case VLAN_DROP_truncated:
		/* Ends before the next type, or inside the next tag. */
		CHECK(length < end + 2 ||
		      (vlan_is_tpid(vlan_read16(frame + end)) &&
		       s->depth < VLAN_MAX_DEPTH && length < end + 6));
		break;
	case VLAN_DROP_too_deep:
		CHECK(s->depth == VLAN_MAX_DEPTH && length >= end + 2);
		CHECK(vlan_is_tpid(vlan_read16(frame + end)));
		break;
	default:
		CHECK(0);
	}
}

static void check_classification(unsigned p, enum vlan_verdict parsed,
				 const struct vlan_stack *s,
				 const struct vlan_classification *c)
{
	const struct vlan_port *port = &ports[p];

	if (parsed != VLAN_OK) {
		CHECK(c->verdict == parsed);
		return;
	}
	if (c->verdict != VLAN_OK) {
		CHECK(c->verdict < VLAN_VERDICT_MAX);
		CHECK(c->verdict != VLAN_DROP_truncated &&
		      c->verdict != VLAN_DROP_push_failed);
		CHECK(c->vid == 0 && c->tags_to_strip == 0);
		if (c->verdict == VLAN_DROP_tagged_on_access)
			CHECK(port->mode == VLAN_PORT_access && s->depth > 0);
		if (c->verdict == VLAN_DROP_untagged_not_allowed)
			CHECK(port->mode == VLAN_PORT_trunk);
		if (c->verdict == VLAN_DROP_too_deep)
			CHECK(s->depth == 2);
		return;
	}
	CHECK(c->vid >= VLAN_VID_FIRST && c->vid <= VLAN_VID_LAST);
	CHECK(c->pcp <= 7 && c->dei <= 1);
	CHECK(c->tags_to_strip <= 1 && c->tags_to_strip <= s->depth);
	CHECK(c->inner_tags == s->depth - c->tags_to_strip);
	CHECK(c->ethertype == s->ethertype);
	switch (port->mode) {
	case VLAN_PORT_access:
		CHECK(c->vid == port->vid && c->inner_tags == 0);
		break;
	case VLAN_PORT_tunnel:
		CHECK(c->vid == port->vid && c->tags_to_strip == 0);
		CHECK(s->depth == 0 || s->tags[0].tpid == VLAN_TPID_8021Q);
		break;
	default:
		CHECK(vlan_port_allows(port, c->vid));
		CHECK(c->inner_tags <= port->inner_tags);
		if (s->depth)
			CHECK(s->tags[0].tpid == port->tpid);
		if (c->inner_tags)
			CHECK(s->tags[1].tpid == VLAN_TPID_8021Q);
		if (c->tags_to_strip && s->tags[0].vid)
			CHECK(c->vid == s->tags[0].vid);
		else
			CHECK(c->vid == port->vid &&
			      port->mode != VLAN_PORT_trunk);
	}
	if (c->tags_to_strip || (port->mode == VLAN_PORT_tunnel && s->depth))
		CHECK(c->pcp == s->tags[0].pcp && c->dei == s->tags[0].dei);
	else
		CHECK(c->pcp == port->pcp && c->dei == 0);
}

static uint8_t work[HEADROOM + FRAME_CAP + 8];

static void check_egress(const uint8_t *frame, size_t length,
			 const struct vlan_classification *c)
{
	for (unsigned out = 0; out < PORTS; out++) {
		struct vlan_egress e = vlan_port_egress(&ports[out],
							bd_vid[out]);
		CHECK(e.verdict == VLAN_OK);
		uint8_t *data = work + HEADROOM;
		memcpy(data, frame, length);
		int moved;
		enum vlan_verdict v = vlan_rewrite(data, length, HEADROOM, c,
						   &e, &moved);
		uint8_t header[16];
		size_t header_length, rest;
		enum vlan_verdict hv = vlan_egress_header(
			header, frame, length, c, &e, &header_length, &rest);
		CHECK(v == hv);
		if (v != VLAN_OK) {
			CHECK(v == VLAN_DROP_too_deep);
			CHECK(c->inner_tags > e.inner_tags_max);
			CHECK(memcmp(data, frame, length) == 0);
			continue;
		}
		CHECK(moved == 4 * (c->tags_to_strip - e.push));
		uint8_t *out_data = data + moved;
		size_t out_length = (size_t)((long)length - moved);
		CHECK(header_length + length - rest == out_length);
		CHECK(memcmp(out_data, header, header_length) == 0);
		CHECK(memcmp(out_data + header_length, frame + rest,
			     length - rest) == 0);
		CHECK(memcmp(out_data, frame, 12) == 0);

		struct vlan_classification back =
			vlan_port_classify(&ports[out], out_data, out_length);
		CHECK(back.verdict == VLAN_OK);
		CHECK(back.vid == bd_vid[out]);
		CHECK(back.inner_tags == c->inner_tags);
		CHECK(back.ethertype == c->ethertype);
		if (e.push) {
			CHECK(back.pcp == c->pcp && back.dei == c->dei);
			CHECK(vlan_read16(out_data + 12) == ports[out].tpid);
		}
	}
}

static void check_push_pop(const uint8_t *frame, size_t length,
			   enum vlan_verdict parsed,
			   const struct vlan_stack *s)
{
	if (length < 12)
		return;
	uint16_t tpid = (length & 1) ? VLAN_TPID_8021AD : VLAN_TPID_8021Q;
	uint16_t tci = (uint16_t)(frame[length - 1] << 8 | frame[0]);
	uint8_t *data = work + HEADROOM;

	memcpy(data, frame, length);
	uint8_t *pushed = vlan_push(data, length, HEADROOM, tpid, tci);
	CHECK(pushed == data - 4);
	CHECK(memcmp(pushed, frame, 12) == 0);
	CHECK(memcmp(pushed + 16, frame + 12, length - 12) == 0);
	struct vlan_stack after;
	enum vlan_verdict v = vlan_parse(pushed, length + 4, &after);
	if (parsed == VLAN_OK)
		CHECK(s->depth < 2 ? v == VLAN_OK && after.depth == s->depth + 1
				   : v == VLAN_DROP_too_deep);
	if (v == VLAN_OK)
		CHECK(after.tags[0].tpid == tpid &&
		      vlan_tci(after.tags[0].pcp, after.tags[0].dei,
			       after.tags[0].vid) == tci);
	uint8_t *popped = vlan_pop(pushed, length + 4);
	CHECK(popped == data);
	CHECK(memcmp(popped, frame, length) == 0);

	/* Pop of the frame itself, then push back its tag. */
	memcpy(data, frame, length);
	popped = vlan_pop(data, length);
	bool tagged = length >= 16 && vlan_is_tpid(vlan_read16(frame + 12));
	CHECK((popped != NULL) == tagged);
	if (popped) {
		uint8_t *back = vlan_push(popped, length - 4, 4,
					  vlan_read16(frame + 12),
					  vlan_read16(frame + 14));
		CHECK(back == data);
		CHECK(memcmp(back, frame, length) == 0);

		/* set_vid and set_pcp touch only their bits. */
		uint16_t vid = (uint16_t)(tci & 0xfff);
		uint16_t old = vlan_read16(frame + 14);
		CHECK(vlan_set_vid(data, length, vid) == 0);
		CHECK(vlan_read16(data + 14) == ((old & 0xf000) | vid));
		CHECK(vlan_set_pcp(data, length, (uint8_t)(tci >> 13)) == 0);
		CHECK(vlan_read16(data + 14) ==
		      (((old & 0x1000) | vid) | (tci & 0xe000)));
		CHECK(memcmp(data, frame, 14) == 0);
		CHECK(memcmp(data + 16, frame + 16, length - 16) == 0);
	} else {
		CHECK(vlan_set_vid(data, length, 1) == -1);
		CHECK(vlan_set_pcp(data, length, 1) == -1);
		CHECK(memcmp(data, frame, length) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ports_build();
	if (size > FRAME_CAP)
		size = FRAME_CAP;
	/* An exact-size copy, so ASan sees any read past the frame. */
	uint8_t *frame = malloc(size ? size : 1);
	CHECK(frame);
	memcpy(frame, data, size);

	struct vlan_stack s;
	enum vlan_verdict parsed = vlan_parse(frame, size, &s);
	check_parse(frame, size, parsed, &s);
	for (unsigned p = 0; p < PORTS; p++) {
		struct vlan_classification c =
			vlan_port_classify(&ports[p], frame, size);
		check_classification(p, parsed, &s, &c);
		if (c.verdict == VLAN_OK)
			check_egress(frame, size, &c);
	}
	check_push_pop(frame, size, parsed, &s);
	free(frame);
	return 0;
}
