/* Fuzz target: underlay ARP handling and the neighbour table behind it.
 *
 * Input: byte 0 selects the underlay (bit 0: VLAN 7) and a clock step; the
 * rest is the frame, handled from a heap copy of its exact size.
 * Properties: the verdict is in range; a frame is only written when the
 * verdict is reply, and then it parses as our reply to the requester, of
 * the same length, with nothing past the ARP packet changed; the senders
 * of replies and announcements go through a neighbour table (after we
 * asked for them, as the control thread would), whose size stays within
 * its capacity and whose usable entries carry the learned MAC; and a
 * request we build for the target parses back. */
#include <stdlib.h>

#include "vxlan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 10000)
		return 0;

	struct vxlan_underlay u;
	vxlan_underlay_defaults(&u);
	u.mac[0] = 2;
	u.mac[5] = 1;
	u.address = 0x0a000001;
	u.prefix_length = 24;
	u.vid = data[0] & 1 ? 7 : 0;

	uint32_t length = (uint32_t)(size - 1);
	uint8_t *frame = malloc(length ? length : 1);
	memcpy(frame, data + 1, length);

	struct vxlan_arp arp;
	enum vxlan_arp_verdict verdict =
		vxlan_arp_handle(&u, frame, length, &arp);
	if ((unsigned)verdict >= VXLAN_ARP_VERDICT_MAX ||
	    verdict == VXLAN_ARP_parsed)
		abort();
	if (verdict != VXLAN_ARP_reply && memcmp(frame, data + 1, length) != 0)
		abort();

	if (verdict == VXLAN_ARP_reply) {
		struct vxlan_arp reply;
		uint32_t end = arp.l3_offset + VXLAN_ARP_LENGTH;
		if (vxlan_arp_parse(frame, length, &reply) != VXLAN_ARP_parsed ||
		    reply.operation != VXLAN_ARP_REPLY ||
		    reply.sender_address != u.address ||
		    memcmp(reply.sender_mac, u.mac, 6) != 0 ||
		    reply.target_address != arp.sender_address ||
		    memcmp(reply.target_mac, arp.sender_mac, 6) != 0 ||
		    memcmp(frame, arp.sender_mac, 6) != 0 ||
		    memcmp(frame + end, data + 1 + end, length - end) != 0)
			abort();
	}

	if (verdict == VXLAN_ARP_reply || verdict == VXLAN_ARP_learn) {
		struct vxlan_neighbour_table *neighbours =
			vxlan_neighbour_table_create(4, NULL);
		uint64_t now = (uint64_t)(data[0] >> 1) * 1000;
		uint8_t mac[6];
		uint32_t probe[4];
		bool changed = false;

		vxlan_neighbour_resolve(neighbours, arp.sender_address, 0, mac);
		vxlan_neighbour_tick(neighbours, 0, probe, 4, &changed);
		enum vxlan_neighbour_learn_result learned =
			vxlan_neighbour_learn(neighbours, arp.sender_address,
					      arp.sender_mac, now);
		if (learned != VXLAN_NEIGHBOUR_LEARN_resolved ||
		    !vxlan_neighbour_resolve(neighbours, arp.sender_address,
					     now, mac) ||
		    memcmp(mac, arp.sender_mac, 6) != 0)
			abort();
		vxlan_neighbour_tick(neighbours, now * 40, probe, 4, &changed);
		if (vxlan_neighbour_count(neighbours) > 4)
			abort();
		vxlan_neighbour_table_free(neighbours);
	}

	if (verdict != VXLAN_ARP_runt && verdict != VXLAN_ARP_not_arp &&
	    verdict != VXLAN_ARP_truncated) {
		uint8_t request[64];
		struct vxlan_arp parsed;
		uint32_t request_length = vxlan_arp_request_build(
			&u, arp.target_address, request, sizeof(request));
		if (request_length == 0 ||
		    vxlan_arp_parse(request, request_length, &parsed) !=
			    VXLAN_ARP_parsed ||
		    parsed.target_address != arp.target_address)
			abort();
	}
	free(frame);
	return 0;
}
