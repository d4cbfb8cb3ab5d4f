/* Underlay ARP: parse, answer requests for our VTEP address in place, and
 * build requests for next hops. Called by workers (parse, handle) and the
 * control thread (request build); touches nothing but the given frame. */
#include "vxlan.h"

const char *const vxlan_arp_verdict_names[VXLAN_ARP_VERDICT_MAX] = {
#define _(name, text) [VXLAN_ARP_##name] = #name,
	foreach_vxlan_arp_verdict
#undef _
};

const char *const vxlan_arp_verdict_descriptions[VXLAN_ARP_VERDICT_MAX] = {
#define _(name, text) [VXLAN_ARP_##name] = text,
	foreach_vxlan_arp_verdict
#undef _
};

bool vxlan_arp_is_drop(enum vxlan_arp_verdict verdict)
{
	static const bool is_drop[VXLAN_ARP_VERDICT_MAX] = {
#define _(name, text) [VXLAN_ARP_##name] = true,
		foreach_vxlan_arp_drop
#undef _
	};
	return (unsigned)verdict < VXLAN_ARP_VERDICT_MAX && is_drop[verdict];
}

static const uint8_t broadcast_mac[6] = { 0xff, 0xff, 0xff,
					  0xff, 0xff, 0xff };

static bool mac_is_unicast(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, 6) != 0;
}

enum vxlan_arp_verdict vxlan_arp_parse(const uint8_t *frame, uint32_t length,
				       struct vxlan_arp *arp)
{
	uint32_t l3 = VXLAN_ETHERNET_LENGTH;
	uint16_t ethertype;

	memset(arp, 0, sizeof(*arp));
	if (length < VXLAN_ETHERNET_LENGTH)
		return VXLAN_ARP_runt;
	ethertype = vxlan_get16(frame + 12);
	if (ethertype == VXLAN_ETHERTYPE_VLAN) {
		if (length < VXLAN_ETHERNET_LENGTH + VXLAN_VLAN_LENGTH)
			return VXLAN_ARP_runt;
		arp->vid = vxlan_get16(frame + 14) & 0x0fff;
		ethertype = vxlan_get16(frame + 16);
		l3 += VXLAN_VLAN_LENGTH;
	}
	arp->l3_offset = (uint16_t)l3;
	if (ethertype != VXLAN_ETHERTYPE_ARP)
		return VXLAN_ARP_not_arp;
	if (length < l3 + VXLAN_ARP_LENGTH)
		return VXLAN_ARP_truncated;

	const uint8_t *a = frame + l3;
	if (vxlan_get16(a) != 1 || a[4] != 6)
		return VXLAN_ARP_bad_hardware;
	if (vxlan_get16(a + 2) != VXLAN_ETHERTYPE_IPV4 || a[5] != 4)
		return VXLAN_ARP_bad_protocol;
	arp->operation = vxlan_get16(a + 6);
	if (arp->operation != VXLAN_ARP_REQUEST &&
	    arp->operation != VXLAN_ARP_REPLY)
		return VXLAN_ARP_bad_operation;
	memcpy(arp->sender_mac, a + 8, 6);
	arp->sender_address = vxlan_get32(a + 14);
	memcpy(arp->target_mac, a + 18, 6);
	arp->target_address = vxlan_get32(a + 24);
	if (!mac_is_unicast(arp->sender_mac))
		return VXLAN_ARP_bad_sender;
	return VXLAN_ARP_parsed;
}

/* Turns the request in frame into our reply, in place: Ethernet to the
 * requester from us (any 802.1Q tag and padding kept), ARP reply with the
 * sender and target swapped and our MAC as the answer. */
static void reply_in_place(const struct vxlan_underlay *underlay,
			   uint8_t *frame, const struct vxlan_arp *request)
{
	uint8_t *a = frame + request->l3_offset;

	memcpy(frame, request->sender_mac, 6);
	memcpy(frame + 6, underlay->mac, 6);
	vxlan_put16(a + 6, VXLAN_ARP_REPLY);
	memcpy(a + 8, underlay->mac, 6);
	vxlan_put32(a + 14, underlay->address);
	memcpy(a + 18, request->sender_mac, 6);
	vxlan_put32(a + 24, request->sender_address);
}

enum vxlan_arp_verdict vxlan_arp_handle(const struct vxlan_underlay *underlay,
					uint8_t *frame, uint32_t length,
					struct vxlan_arp *arp)
{
	enum vxlan_arp_verdict verdict = vxlan_arp_parse(frame, length, arp);

	if (verdict != VXLAN_ARP_parsed)
		return verdict;
	if (arp->vid != underlay->vid)
		return VXLAN_ARP_wrong_vlan;
	if (arp->sender_address == underlay->address) {
		/* our own broadcast coming back is harmless; anyone else
		 * using our address is a misconfiguration worth counting */
		if (memcmp(arp->sender_mac, underlay->mac, 6) != 0)
			return VXLAN_ARP_address_conflict;
		return VXLAN_ARP_not_for_us;
	}
	if (arp->operation == VXLAN_ARP_REQUEST &&
	    arp->target_address == underlay->address) {
		/* also answers address probes (sender 0.0.0.0, RFC 5227),
		 * which is how a prober learns the address is taken */
		reply_in_place(underlay, frame, arp);
		return VXLAN_ARP_reply;
	}
	if (arp->sender_address != 0 &&
	    (arp->sender_address == arp->target_address ||
	     (arp->operation == VXLAN_ARP_REPLY &&
	      arp->target_address == underlay->address)))
		return VXLAN_ARP_learn;
	return VXLAN_ARP_not_for_us;
}

uint32_t vxlan_arp_request_build(const struct vxlan_underlay *underlay,
				 uint32_t target, uint8_t *frame, size_t room)
{
	uint32_t l3 = VXLAN_ETHERNET_LENGTH;
	uint32_t length = VXLAN_ARP_FRAME_LENGTH;

	if (underlay->vid) {
		l3 += VXLAN_VLAN_LENGTH;
		length += VXLAN_VLAN_LENGTH;
	}
	if (room < length)
		return 0;
	memset(frame, 0, length);
	memcpy(frame, broadcast_mac, 6);
	memcpy(frame + 6, underlay->mac, 6);
	if (underlay->vid) {
		vxlan_put16(frame + 12, VXLAN_ETHERTYPE_VLAN);
		vxlan_put16(frame + 14, underlay->vid);
	}
	vxlan_put16(frame + l3 - 2, VXLAN_ETHERTYPE_ARP);

	uint8_t *a = frame + l3;
	vxlan_put16(a, 1);
	vxlan_put16(a + 2, VXLAN_ETHERTYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	vxlan_put16(a + 6, VXLAN_ARP_REQUEST);
	memcpy(a + 8, underlay->mac, 6);
	vxlan_put32(a + 14, underlay->address);
	/* target MAC stays zero: it is what we ask for */
	vxlan_put32(a + 24, target);
	return length;
}
