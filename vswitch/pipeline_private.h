/* Decision steps shared by the pipeline (pipeline.c) and the trace
 * (trace.c), so that `trace` reports exactly what forwarding does. */
#ifndef LOOM_VSWITCH_PIPELINE_PRIVATE_H
#define LOOM_VSWITCH_PIPELINE_PRIVATE_H

#include "vswitch.h"

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

/* FDB keys straight from the frame: one unaligned 8-byte load and a byte
 * swap each (the frame has at least 14 bytes). */
static inline uint64_t fdb_key_destination(uint16_t bd, const uint8_t *frame)
{
	uint64_t word;
	memcpy(&word, frame, 8); /* dst[0..5] src[0..1] */
	return ((uint64_t)bd << 48) | (rte_be_to_cpu_64(word) >> 16);
}

static inline uint64_t fdb_key_source(uint16_t bd, const uint8_t *frame)
{
	uint64_t word;
	memcpy(&word, frame + 4, 8); /* dst[4..5] src[0..5] */
	return ((uint64_t)bd << 48) |
	       (rte_be_to_cpu_64(word) & UINT64_C(0xffffffffffff));
}

/* How an input frame is classified. */
struct classification {
	uint16_t member;   /* 0 when dropped */
	uint16_t bd;
	uint16_t tci;      /* the received tag's TCI (PCP kept), if tagged */
	bool tagged;       /* a tag must be stripped */
	enum vswitch_drop_reason drop;
};

/* Classifies a frame to (member, BD). Does not touch the frame. */
static inline void classify_frame(const struct vswitch_table *table,
				  const struct vswitch_port *port,
				  const uint8_t *frame, uint16_t length,
				  struct classification *c)
{
	c->member = 0;
	c->tagged = false;
	c->tci = 0;
	if (unlikely(length < RTE_ETHER_HDR_LEN)) {
		c->drop = VSWITCH_DROP_runt;
		return;
	}
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)frame;
	uint16_t member = port->untagged_member;
	if (port->vid_member &&
	    eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
		if (unlikely(length < RTE_ETHER_HDR_LEN + 4)) {
			c->drop = VSWITCH_DROP_vlan_truncated;
			return;
		}
		const struct rte_vlan_hdr *vlan =
			(const struct rte_vlan_hdr *)(eth + 1);
		c->tci = rte_be_to_cpu_16(vlan->vlan_tci);
		member = port->vid_member[c->tci & 0xfff];
		c->tagged = true;
		if (unlikely(!member)) {
			c->drop = VSWITCH_DROP_vlan_not_allowed;
			return;
		}
	}
	if (unlikely(!member)) {
		c->drop = VSWITCH_DROP_no_bd;
		return;
	}
	const uint8_t *src = eth->src_addr.addr_bytes;
	if (unlikely(src[0] & 1)) {
		c->drop = VSWITCH_DROP_source_multicast;
		return;
	}
	if (unlikely((src[0] | src[1] | src[2] | src[3] | src[4] | src[5]) == 0)) {
		c->drop = VSWITCH_DROP_source_zero;
		return;
	}
	c->member = member;
	c->bd = table->members[member].bd;
}

/* May a frame from member `in` leave through member `out`? */
static inline bool member_may_send(const struct vswitch_table *table,
				   const struct vswitch_member *in,
				   const struct vswitch_member *out,
				   enum vswitch_drop_reason *why)
{
	if (out->id == in->id) {
		*why = VSWITCH_DROP_same_member;
		return false;
	}
	if (in->split_horizon && in->split_horizon == out->split_horizon) {
		*why = VSWITCH_DROP_split_horizon;
		return false;
	}
	if (!table->ports[out->port].up) {
		*why = VSWITCH_DROP_port_down;
		return false;
	}
	return true;
}

#endif
