/* Decision steps shared by the pipeline (pipeline.c) and the trace
 * (trace.c), so that `trace` reports exactly what forwarding does. */
#ifndef LOOM_VSWITCH_PIPELINE_PRIVATE_H
#define LOOM_VSWITCH_PIPELINE_PRIVATE_H

#include "vswitch.h"
#include "vxlan.h"

#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

/* MACs straight from the frame as 48-bit numbers (FDB keys without the
 * BD): one unaligned 8-byte load and a byte swap each (the frame has at
 * least 14 bytes). */
static inline uint64_t frame_destination_mac(const uint8_t *frame)
{
	uint64_t word;
	memcpy(&word, frame, 8); /* dst[0..5] src[0..1] */
	return rte_be_to_cpu_64(word) >> 16;
}

static inline uint64_t frame_source_mac(const uint8_t *frame)
{
	uint64_t word;
	memcpy(&word, frame + 4, 8); /* dst[4..5] src[0..5] */
	return rte_be_to_cpu_64(word) & UINT64_C(0xffffffffffff);
}

#define MAC_GROUP_BIT (UINT64_C(1) << 40) /* I/G bit of the first byte */

static inline uint64_t fdb_key_destination(uint16_t bd, const uint8_t *frame)
{
	return ((uint64_t)bd << 48) | frame_destination_mac(frame);
}

static inline uint64_t fdb_key_source(uint16_t bd, const uint8_t *frame)
{
	return ((uint64_t)bd << 48) | frame_source_mac(frame);
}

/* A source MAC that may be learned, or why not. */
static inline bool source_mac_valid(uint64_t mac, enum vswitch_drop_reason *why)
{
	if (unlikely(mac & MAC_GROUP_BIT)) {
		*why = VSWITCH_DROP_source_multicast;
		return false;
	}
	if (unlikely(mac == 0)) {
		*why = VSWITCH_DROP_source_zero;
		return false;
	}
	return true;
}

/* vlan.h's verdicts are vswitch drop reasons of the same names. */
static const uint8_t vlan_drop_reason[VLAN_VERDICT_MAX] = {
#define _(name, text) [VLAN_DROP_##name] = VSWITCH_DROP_vlan_##name,
	foreach_vlan_drop
#undef _
};

/* How an input frame is classified. The frame keeps its received form
 * until it leaves: each output member rewrites it from `vlan` (the tags to
 * strip, the PCP) to its own egress form. */
struct classification {
	uint16_t member;   /* 0 when dropped */
	uint16_t bd;
	struct vlan_classification vlan;
	enum vswitch_drop_reason drop;
};

/* Hybrid ports (no VLAN mode): untagged is VID 0; an 802.1Q tag gives its
 * VID (0 = priority tag: VID 0 with a tag to strip) when the port has VID
 * members; otherwise every frame goes to the VID 0 member unchanged. */
static inline uint16_t classify_hybrid(const struct vswitch_port *port,
				       const uint8_t *frame, uint16_t length,
				       struct classification *c)
{
	uint16_t type = vlan_read16(frame + 12);
	c->vlan = (struct vlan_classification){ .verdict = VLAN_OK };
	if (likely(!vlan_is_tpid(type)))
		return port->untagged_member;
	if (port->vid_member && type == VLAN_TPID_8021Q) {
		if (unlikely(length < 18)) {
			c->drop = VSWITCH_DROP_vlan_truncated;
			return 0;
		}
		uint16_t tci = vlan_read16(frame + 14);
		uint16_t vid = vlan_tci_vid(tci);
		c->vlan.vid = vid;
		c->vlan.pcp = vlan_tci_pcp(tci);
		c->vlan.dei = vlan_tci_dei(tci);
		c->vlan.tags_to_strip = 1;
		c->vlan.inner_tags = length >= 18 && vlan_is_tpid(vlan_read16(frame + 16));
		uint16_t member = vid ? port->vid_member[vid] : port->untagged_member;
		if (unlikely(!member))
			c->drop = VSWITCH_DROP_vlan_not_allowed;
		return member;
	}
	/* Passed through with its tags: count them for egress checks. */
	struct vlan_stack stack;
	enum vlan_verdict verdict = vlan_parse(frame, length, &stack);
	if (unlikely(verdict != VLAN_OK)) {
		c->drop = vlan_drop_reason[verdict];
		return 0;
	}
	c->vlan.inner_tags = (uint8_t)stack.depth;
	return port->untagged_member;
}

/* Classifies a frame to (member, BD). Does not touch the frame. */
static inline void classify_frame(const struct vswitch_table *table,
				  const struct vswitch_port *port,
				  const uint8_t *frame, uint16_t length,
				  struct classification *c)
{
	c->member = 0;
	if (unlikely(length < RTE_ETHER_HDR_LEN)) {
		c->drop = VSWITCH_DROP_runt;
		return;
	}
	uint16_t member;
	if (port->vlan_mode) {
		c->vlan = vlan_port_classify(&port->vlan, frame, length);
		if (unlikely(c->vlan.verdict != VLAN_OK)) {
			c->drop = vlan_drop_reason[c->vlan.verdict];
			return;
		}
		member = port->vid_member ? port->vid_member[c->vlan.vid] : 0;
		if (unlikely(!member)) {
			c->drop = VSWITCH_DROP_no_bd;
			return;
		}
	} else {
		c->drop = VSWITCH_DROP_no_bd;
		member = classify_hybrid(port, frame, length, c);
		if (unlikely(!member))
			return;
	}
	if (unlikely(!source_mac_valid(frame_source_mac(frame), &c->drop)))
		return;
	c->member = member;
	c->bd = table->members[member].bd;
}

/* Whether the frame keeps its received bytes through `out`. */
static inline bool egress_unchanged(const struct vlan_classification *in,
				    const struct vswitch_member *out)
{
	return !(in->tags_to_strip | out->rewrites);
}

/* vxlan.h's decap drops are vswitch drop reasons named vxlan_<name>. */
static const uint8_t vxlan_decap_drop_reason[VXLAN_DECAP_VERDICT_MAX] = {
#define _(name, text) [VXLAN_DECAP_##name] = VSWITCH_DROP_vxlan_##name,
	foreach_vxlan_decap_drop
#undef _
};

/* Where an underlay ARP frame ends when it is not answered or learned:
 * its drop reason. */
static inline enum vswitch_drop_reason arp_drop_reason(enum vxlan_arp_verdict v)
{
	switch (v) {
	case VXLAN_ARP_learn:
		return VSWITCH_DROP_arp_learned;
	case VXLAN_ARP_wrong_vlan:
	case VXLAN_ARP_not_for_us:
		return VSWITCH_DROP_arp_not_for_us;
	case VXLAN_ARP_address_conflict:
		return VSWITCH_DROP_arp_address_conflict;
	default:
		return VSWITCH_DROP_arp_invalid;
	}
}

/* A frame on the underlay port: VXLAN to one of our tunnels is
 * classified to that tunnel's member (inner_offset/inner_length say where
 * the inner frame is; the caller strips the rest); anything else is left
 * to the underlay handling (c->member 0, *verdict says what it is). */
/* The last tunnel a decapsulated frame was looked up to: a burst from the
 * underlay mostly comes from one remote VTEP and VNI (or a few), so the
 * others cost a compare instead of a tunnel table probe. */
struct tunnel_memo {
	uint64_t addresses; /* outer source << 32 | outer destination */
	uint64_t rest;      /* VNI | UDP port << 24 */
	uint16_t member;    /* VXLAN_NO_MEMBER: nothing remembered yet */
};

/* vxlan_decap(), with the lookup remembered in memo (NULL: none). */
static inline enum vxlan_decap_verdict
underlay_decap(const struct vxlan_tunnel_table *vxlan, const uint8_t *frame,
	       uint16_t length, struct vxlan_decap_result *decap,
	       struct tunnel_memo *memo)
{
	if (!memo)
		return vxlan_decap(vxlan, frame, length, decap);
	enum vxlan_decap_verdict verdict =
		vxlan_decap_parse(&vxlan->underlay, frame, length, decap);
	decap->member = VXLAN_NO_MEMBER;
	if (unlikely(verdict != VXLAN_DECAP_ok))
		return verdict;
	uint64_t addresses = (uint64_t)decap->outer_source << 32 |
			     decap->outer_destination;
	uint64_t rest = (uint64_t)(decap->vni & VXLAN_VNI_MAX) |
			(uint64_t)decap->udp_port << 24;
	if (unlikely(addresses != memo->addresses || rest != memo->rest ||
		     memo->member == VXLAN_NO_MEMBER)) {
		uint16_t member = vxlan_tunnel_lookup(
			vxlan, decap->outer_source, decap->outer_destination,
			decap->udp_port, decap->vni);
		if (member == VXLAN_NO_MEMBER)
			return VXLAN_DECAP_unknown_vtep;
		*memo = (struct tunnel_memo){ addresses, rest, member };
	}
	decap->member = memo->member;
	return VXLAN_DECAP_ok;
}

static inline void classify_underlay(const struct vswitch_table *table,
				     const uint8_t *frame, uint16_t length,
				     struct classification *c,
				     struct vxlan_decap_result *decap,
				     enum vxlan_decap_verdict *verdict,
				     struct tunnel_memo *memo)
{
	c->member = 0;
	*verdict = underlay_decap(table->vxlan, frame, length, decap, memo);
	if (*verdict != VXLAN_DECAP_ok) {
		c->drop = vxlan_decap_is_drop(*verdict)
				  ? vxlan_decap_drop_reason[*verdict]
				  : VSWITCH_DROP_vxlan_not_for_us;
		return;
	}
	const uint8_t *inner = frame + decap->inner_offset;
	/* The inner frame passes with whatever tags it has (up to two). */
	c->vlan = (struct vlan_classification){ .verdict = VLAN_OK };
	if (vlan_is_tpid(vlan_read16(inner + 12))) {
		struct vlan_stack stack;
		enum vlan_verdict v = vlan_parse(inner, decap->inner_length, &stack);
		if (v != VLAN_OK) {
			c->drop = vlan_drop_reason[v];
			return;
		}
		c->vlan.inner_tags = (uint8_t)stack.depth;
	}
	if (!source_mac_valid(frame_source_mac(inner), &c->drop))
		return;
	c->member = decap->member;
	c->bd = table->members[decap->member].bd;
}

/* Whether the frame may leave through `out` in its egress form; the
 * reason when not (tags the port may not carry). */
static inline bool egress_allowed(const struct vlan_classification *in,
				  const struct vswitch_member *out,
				  enum vswitch_drop_reason *why)
{
	if (unlikely(in->inner_tags > out->egress.inner_tags_max)) {
		*why = VSWITCH_DROP_vlan_too_deep;
		return false;
	}
	return true;
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
	/* Tunnels form one split-horizon group: nothing received from a
	 * tunnel goes back into a tunnel (the remote VTEPs flood their own). */
	if ((in->split_horizon && in->split_horizon == out->split_horizon) ||
	    (in->kind == VSWITCH_MEMBER_KIND_TUNNEL &&
	     out->kind == VSWITCH_MEMBER_KIND_TUNNEL)) {
		*why = VSWITCH_DROP_split_horizon;
		return false;
	}
	if (!table->ports[out->port].up) {
		*why = VSWITCH_DROP_port_down;
		return false;
	}
	if (unlikely(!table->ports[out->port].link_up)) {
		*why = VSWITCH_DROP_port_link_down;
		return false;
	}
	return true;
}

/* ---- What the pipeline and its burst paths share ---- */

/* Counting runs: consecutive frames of one member are counted with one
 * update, so a burst of one flow costs one counter write, not one per
 * frame. The runs live in vswitch_process's locals for a burst. */

/* Frames in from one member: its rx counters and its BD's packets and
 * bytes. */
struct rx_run {
	uint16_t member; /* 0 = none yet */
	uint32_t packets;
	uint64_t bytes;
};

/* Frames of one BD forwarded as unicast. */
struct unicast_run {
	uint16_t bd;
	uint32_t packets;
};

/* Frames out through one member: its tx counters, and its port's slot
 * count and bytes in ctx->out, kept here while the run lasts and written
 * back when it ends. Every frame put in ctx->out goes through the run
 * (tx_run_end before anything else writes there), so `count` is the
 * truth while the run lasts. */
struct tx_run {
	uint16_t member; /* 0 = none */
	uint16_t port;
	uint16_t count;  /* ctx->out.count[port] */
	uint32_t packets;
	uint64_t bytes;
};

/* The counting runs of one burst. */
struct burst_runs {
	struct rx_run rx;
	struct unicast_run unicast;
	struct tx_run tx;
};

/* What a flow cache entry matches besides the keys. */
static inline uint32_t flow_cache_input(uint16_t member,
					const struct vlan_classification *vlan)
{
	return member | (uint32_t)vlan->inner_tags << 16 |
	       (uint32_t)vlan->tags_to_strip << 24;
}

/* A frame as the flow cache keys it: its MACs and the EtherType after
 * them, its first 14 bytes as they lie (no byte swap, no BD: the input
 * member implies the BD). With the EtherType in the key, an entry made
 * for an untagged frame never answers a tagged one with the same MACs:
 * classification counts every tag (tags_to_strip + inner_tags), so the
 * entry's input differs whenever bytes 12..13 are a TPID. */
struct flow_key {
	uint64_t head; /* bytes 0..7 */
	uint64_t tail; /* bytes 8..13, the top 16 bits 0 */
};

/* Reads the key; the frame's length is the caller's to check (an mbuf's
 * buffer is far longer than the 16 bytes read). */
static inline struct flow_key flow_key_read(const uint8_t *frame)
{
	struct flow_key key;
	memcpy(&key.head, frame, sizeof(key.head));
	memcpy(&key.tail, frame + 8, sizeof(key.tail)); /* bytes 8..15 */
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	key.tail &= UINT64_C(0x0000ffffffffffff); /* bytes 8..13 */
#else
	key.tail &= UINT64_C(0xffffffffffff0000);
#endif
	return key;
}

static inline struct flow_cache_entry *
flow_cache_slot(struct flow_cache_entry *cache, struct flow_key key)
{
	/* Multiplicative: CRC32 is linear, so flows that differ in the
	 * same bits of both MACs would cancel out. Here the two MACs' last
	 * bytes (where flows mostly differ) lie at different bits of head
	 * and tail, and the multiply carries every bit into the 12 the index
	 * takes. */
	uint64_t hash = (key.head ^ key.tail) * UINT64_C(0x9e3779b97f4a7c15);
	return &cache[hash >> (64 - 12)];
}

/* An entry's last word: input, output member, action and the reserved
 * byte (0), as they lie; what the prefix compares in one go. */
static inline uint64_t flow_cache_outcome(const struct flow_cache_entry *e)
{
	uint64_t word;
	memcpy(&word, (const uint8_t *)e + offsetof(struct flow_cache_entry, input),
	       sizeof(word));
	return word;
}

/* Does e hold the decision for this key and input under stamp? One
 * branch for the words. */
static inline bool flow_cache_match(const struct flow_cache_entry *e,
				    uint64_t stamp, struct flow_key key,
				    uint32_t input)
{
	return ((e->stamp ^ stamp) | (e->mac_head ^ key.head) |
		(e->mac_tail ^ key.tail) | (uint64_t)(e->input ^ input)) == 0;
}

/* A frame's 802.1Q tag, written as one 4-byte store. */
static inline void tag_write(uint8_t *at, uint16_t tpid, uint16_t tci)
{
	uint32_t tag = rte_cpu_to_be_32((uint32_t)tpid << 16 | tci);
	memcpy(at, &tag, sizeof(tag));
}


/* How a port's frames are classified the common way, without the general
 * classifier (classify_frame) but to the same result: untagged frames of
 * a port that gives them a member (without a VLAN mode its untagged
 * member; with one but trunk, its VID's member, at the port's PCP), and
 * on a trunk-like port (trunk, native-*) frames with one tag of the
 * port's own TPID, an allowed VID and no tag inside. Worked out once per
 * burst, for the uniform prefix and the general loop. */
struct common_classes {
	uint16_t untagged_member; /* 0: untagged frames take the general way */
	uint16_t own_tpid;        /* 0: tagged frames take the general way */
	struct vlan_classification untagged_vlan;
};

/* The uniform prefix of a burst (prefix.c): its first frames, classified
 * the common way and answered by the flow cache with one decision, are
 * switched a burst at a time. Each returns how many frames it switched
 * (0: none), sets the runs as switching them one by one would, and adds
 * their bytes as received to *rx_bytes. */
uint16_t vswitch_prefix_switch(struct vswitch_context *ctx,
			       const struct vswitch_table *table,
			       const struct vswitch_port *port,
			       struct rte_mbuf **pkts, uint16_t n,
			       uint64_t stamp, const struct common_classes *cc,
			       struct burst_runs *runs, uint64_t *rx_bytes);
/* The same for frames from the underlay port (VXLAN to decapsulate). */
uint16_t vswitch_prefix_decap_switch(struct vswitch_context *ctx,
				     const struct vswitch_table *table,
				     struct rte_mbuf **pkts, uint16_t n,
				     uint64_t stamp, struct burst_runs *runs,
				     uint64_t *rx_bytes);

#endif
