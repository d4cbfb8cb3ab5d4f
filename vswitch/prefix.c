/* The uniform prefix: the burst-at-a-time path of the pipeline.
 *
 * Most bursts are a few flows between the same two members, so
 * process_burst (pipeline.c) first offers the burst here: the frames from
 * the first on that are classified the common way and answered by the
 * worker's flow cache with one decision are switched by a tight loop per
 * kind of decision (plain, push, pop, retag, encap; decap for the
 * underlay port), and the general loop goes on from the first frame that
 * differs. What comes out is what the general loop would make of the same
 * frames: the same bytes in the same order, the same counters
 * (tests/unit/vswitch/test_flow_cache.c and the VXLAN golden tests check
 * it). Runs on worker lcores, as the pipeline does.
 */
#include "pipeline_private.h"

#include <stddef.h>

#include <rte_mbuf.h>

/* Two bytes as they lie (network order). */
static inline uint16_t load16(const uint8_t *at)
{
	uint16_t value;
	memcpy(&value, at, sizeof(value));
	return value;
}

/* Does the cache hold this outcome for the key under stamp? The four
 * words, one branch. */
static inline __attribute__((always_inline)) bool
prefix_hit(const struct flow_cache_entry *cache, struct flow_key key,
	   uint64_t stamp, uint64_t outcome)
{
	const struct flow_cache_entry *e =
		flow_cache_slot((struct flow_cache_entry *)cache, key);
	return ((e->stamp ^ stamp) | (e->mac_head ^ key.head) |
		(e->mac_tail ^ key.tail) | (flow_cache_outcome(e) ^ outcome)) == 0;
}

/* What the prefix knows of its frames. */
struct prefix {
	uint16_t in_member;  /* as classified */
	uint16_t bd;
	uint32_t input;      /* flow_cache_input() */
	uint64_t outcome;    /* flow_cache_outcome() of every frame's entry */
	uint16_t vid;        /* tagged: the VID every frame carries */
	uint8_t pcp, dei;    /* untagged: what a pushed tag carries */
};

/* What a prefix run returns. */
struct prefix_result {
	uint16_t taken;    /* frames of the prefix, all sent */
	uint64_t rx_bytes; /* as received */
	uint64_t tx_bytes; /* as sent */
};

/* Takes frames from the first while each hits the cache with p's
 * decision (untagged frames, or with `tagged` frames with one tag of
 * `own_tpid` and p's VID and nothing inside) and its action can be done
 * (headroom for a push or outer headers, an inner length the tunnel
 * takes), and does it to each at once, while its bytes are at hand; the
 * frames go to `slot` in order. A frame that would be dropped ends the
 * prefix: the general loop drops it, counted. `tagged` and `action` are
 * constants in each instance; what the loop reads of the decision is
 * copied to locals first, since stores to frame bytes may alias anything
 * else in memory. */
static inline __attribute__((always_inline)) struct prefix_result
prefix_run(struct vswitch_context *ctx, struct rte_mbuf **pkts, uint16_t n,
	   uint64_t stamp, const struct prefix *p, const bool tagged,
	   uint16_t own_tpid, const uint8_t action,
	   const struct vswitch_member *out, struct rte_mbuf **slot)
{
	const struct flow_cache_entry *cache = ctx->flow_cache;
	const uint64_t outcome = p->outcome;
	const uint16_t vid = p->vid;
	/* tagged: the tag's TPID and VID as they lie, PCP and DEI masked */
	const uint32_t tag_mask = rte_cpu_to_be_32(0xffff0fffu);
	const uint32_t tag_expected = rte_cpu_to_be_32((uint32_t)own_tpid << 16 | vid);
	uint32_t push_tag = 0;
	/* encap: the template is 50 bytes (prefix_switch checked) */
	uint16_t rewrite_vid = 0, rewrite_tpid = 0;
	struct vxlan_encap_template template;
	uint16_t ip_id = 0;
	if (action == FLOW_CACHE_push)
		push_tag = rte_cpu_to_be_32((uint32_t)out->egress.tpid << 16 |
					    vlan_tci(p->pcp, p->dei,
						     out->egress.vid));
	if (action == FLOW_CACHE_retag) {
		rewrite_vid = vlan_tci_vid(out->egress.vid);
		rewrite_tpid = out->egress.tpid;
	}
	if (action == FLOW_CACHE_encap) {
		template = *out->encap; /* checked: resolved */
		ip_id = ctx->ip_id;
	}
	uint64_t rx_bytes = 0;
	uint16_t i;
	/* With outer headers to write, each frame's address is found one
	 * frame ahead: the chain from the burst array through the mbuf to
	 * the frame's bytes then runs beside the previous frame's work
	 * (measured: encap 3 cycles per packet less; the short loops of the
	 * other actions overlap it by themselves). The mbuf too comes from
	 * the previous iteration's registers (re-reading pkts[i] instead
	 * costs 16 instructions more in the loop). */
	struct rte_mbuf *next = pkts[0];
	uint8_t *next_frame = rte_pktmbuf_mtod(next, uint8_t *);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
		if (action == FLOW_CACHE_encap) {
			m = next;
			frame = next_frame;
			next = pkts[i + 1 < n ? i + 1 : i];
			next_frame = rte_pktmbuf_mtod(next, uint8_t *);
		}
		struct flow_key key = flow_key_read(frame);
		uint16_t length = rte_pktmbuf_data_len(m);
		/* The source needs no check: an entry with these MACs was
		 * made for a frame whose source was valid. */
		bool ok = length >= (tagged ? 18 : RTE_ETHER_HDR_LEN);
		/* Untagged frames need no look at their EtherType: it is in
		 * the key (flow_key). */
		if (tagged)
			ok &= (vxlan_load32(frame + 12) & tag_mask) == tag_expected &&
			      !vlan_is_tpid_network(load16(frame + 16));
		if (action == FLOW_CACHE_push || action == FLOW_CACHE_pop)
			ok &= m->data_off >= VLAN_TAG_BYTES;
		if (action == FLOW_CACHE_encap)
			ok &= m->data_off >= VXLAN_ENCAP_IPV4_LENGTH &&
			      length <= template.max_inner_length;
		if (!ok || !prefix_hit(cache, key, stamp, outcome))
			break;
		uint32_t pkt_len = rte_pktmbuf_pkt_len(m);
		rx_bytes += pkt_len;
		int delta = 0; /* bytes the action adds in front */
		switch (action) {
		case FLOW_CACHE_plain:
			break;
		case FLOW_CACHE_push: { /* untagged in: one tag for all */
			/* The MACs move 4 bytes forward as 16 bytes (the 4
			 * after them are the tag's place), then the tag. */
			uint8_t moved[16];
			memcpy(moved, frame, sizeof(moved));
			memcpy(frame - VLAN_TAG_BYTES, moved, sizeof(moved));
			memcpy(frame - VLAN_TAG_BYTES + VLAN_MAC_BYTES, &push_tag,
			       sizeof(push_tag));
			delta = VLAN_TAG_BYTES;
			break;
		}
		case FLOW_CACHE_pop: { /* the MACs move 4 bytes back, as 16
					* bytes with the 4 of headroom before
					* them (headroom again after) */
			uint8_t moved[16];
			memcpy(moved, frame - VLAN_TAG_BYTES, sizeof(moved));
			memcpy(frame, moved, sizeof(moved));
			delta = -VLAN_TAG_BYTES;
			break;
		}
		case FLOW_CACHE_retag: { /* each keeps its PCP and DEI */
			uint16_t tci = vlan_read16(frame + VLAN_MAC_BYTES + 2);
			tag_write(frame + VLAN_MAC_BYTES, rewrite_tpid,
				  (uint16_t)((tci & 0xf000u) | rewrite_vid));
			break;
		}
		default: /* encap */
			vxlan_encap_write(
				&template, frame - VXLAN_ENCAP_IPV4_LENGTH, length,
				vxlan_source_port(&template,
						  vxlan_flow_hash(frame, length)),
				ip_id++);
			delta = VXLAN_ENCAP_IPV4_LENGTH;
			break;
		}
		if (delta != 0) {
			m->data_off = (uint16_t)(m->data_off - delta);
			m->data_len = (uint16_t)(length + delta);
			m->pkt_len = (uint32_t)(pkt_len + delta);
		}
		slot[i] = m;
	}
	if (action == FLOW_CACHE_encap)
		ctx->ip_id = ip_id;
	/* Every frame changed by the same number of bytes. */
	int delta = action == FLOW_CACHE_push	 ? VLAN_TAG_BYTES
		    : action == FLOW_CACHE_pop	 ? -VLAN_TAG_BYTES
		    : action == FLOW_CACHE_encap ? VXLAN_ENCAP_IPV4_LENGTH
						 : 0;
	return (struct prefix_result){ i, rx_bytes,
				       (uint64_t)((int64_t)rx_bytes +
						  (int64_t)delta * i) };
}

/* One instance per kind of prefix, each a function of its own: its loop
 * has the registers to itself. */
#define PREFIX_INSTANCE(name, tagged, action)                                  \
	static __attribute__((noinline)) struct prefix_result name(            \
		struct vswitch_context *ctx, struct rte_mbuf **pkts,            \
		uint16_t n, uint64_t stamp, const struct prefix *p,             \
		uint16_t own_tpid, const struct vswitch_member *out,            \
		struct rte_mbuf **slot)                                         \
	{                                                                      \
		return prefix_run(ctx, pkts, n, stamp, p, tagged, own_tpid,     \
				  action, out, slot);                           \
	}
PREFIX_INSTANCE(prefix_plain, false, FLOW_CACHE_plain)
PREFIX_INSTANCE(prefix_push, false, FLOW_CACHE_push)
PREFIX_INSTANCE(prefix_encap, false, FLOW_CACHE_encap)
PREFIX_INSTANCE(prefix_pop, true, FLOW_CACHE_pop)
PREFIX_INSTANCE(prefix_retag, true, FLOW_CACHE_retag)
#undef PREFIX_INSTANCE

/* After a prefix of r->taken frames: the runs, as the general loop would
 * leave them after the same frames (the input member's rx bytes are
 * member_rx_bytes), and the port's rx bytes. Returns r->taken. */
static uint16_t prefix_done(struct vswitch_context *ctx,
			    struct burst_runs *runs, const struct prefix *p,
			    const struct vswitch_member *out,
			    const struct prefix_result *r,
			    uint64_t member_rx_bytes, uint64_t *rx_bytes)
{
	if (r->taken == 0)
		return 0;
	runs->rx = (struct rx_run){ p->in_member, r->taken, member_rx_bytes };
	runs->unicast = (struct unicast_run){ p->bd, r->taken };
	runs->tx = (struct tx_run){ out->id, out->port,
				    (uint16_t)(ctx->out.count[out->port] + r->taken),
				    r->taken, r->tx_bytes };
	*rx_bytes += r->rx_bytes;
	return r->taken;
}

/* Switches the burst's uniform prefix, if it has one: classified as the
 * general loop would (see process_burst), then acted on. Returns how many
 * frames it took (*rx_bytes gets their bytes as received). */
uint16_t vswitch_prefix_switch(struct vswitch_context *ctx,
			       const struct vswitch_table *table,
			       const struct vswitch_port *port,
			       struct rte_mbuf **pkts, uint16_t n,
			       uint64_t stamp, const struct common_classes *cc,
			       struct burst_runs *runs, uint64_t *rx_bytes)
{
	const uint16_t own_tpid = cc->own_tpid;
	const struct vswitch_member *members = table->members;
	const uint8_t *first = rte_pktmbuf_mtod(pkts[0], const uint8_t *);
	uint16_t type = vlan_read16(first + 12);
	struct prefix p = { 0 };
	bool tagged;
	if (cc->untagged_member && !vlan_is_tpid(type)) {
		tagged = false;
		p.in_member = cc->untagged_member;
		p.input = flow_cache_input(cc->untagged_member, &cc->untagged_vlan);
		p.pcp = cc->untagged_vlan.pcp;
		p.dei = cc->untagged_vlan.dei;
	} else if (own_tpid && type == own_tpid &&
		   rte_pktmbuf_data_len(pkts[0]) >= 18) {
		uint16_t vid = vlan_tci_vid(vlan_read16(first + 14));
		if (!vid || !vlan_port_allows(&port->vlan, vid) ||
		    !port->vid_member[vid])
			return 0;
		tagged = true;
		p.in_member = port->vid_member[vid];
		p.vid = vid;
		struct vlan_classification vlan = { .verdict = VLAN_OK,
						    .tags_to_strip = 1,
						    .vid = vid };
		p.input = flow_cache_input(p.in_member, &vlan);
	} else {
		return 0;
	}
	p.bd = members[p.in_member].bd;

	/* The decision: the first frame's entry, if it is for this input
	 * (prefix_run checks the rest of it for every frame). */
	const struct flow_cache_entry *e =
		flow_cache_slot(ctx->flow_cache, flow_key_read(first));
	if (e->input != p.input || !e->out_member)
		return 0;
	p.outcome = flow_cache_outcome(e);
	const struct vswitch_member *out = &members[e->out_member];
	struct vswitch_output *o = &ctx->out;
	struct rte_mbuf **slot = &o->pkts[out->port][o->count[out->port]];
	struct prefix_result r;
	switch (e->action) {
	case FLOW_CACHE_plain:
		r = prefix_plain(ctx, pkts, n, stamp, &p, 0, out, slot);
		break;
	case FLOW_CACHE_push:
		r = prefix_push(ctx, pkts, n, stamp, &p, 0, out, slot);
		break;
	case FLOW_CACHE_encap: /* the usual template only */
		if (!out->encap || !out->encap->resolved ||
		    out->encap->length != VXLAN_ENCAP_IPV4_LENGTH)
			return 0;
		r = prefix_encap(ctx, pkts, n, stamp, &p, 0, out, slot);
		break;
	case FLOW_CACHE_pop:
		if (!tagged)
			return 0;
		r = prefix_pop(ctx, pkts, n, stamp, &p, own_tpid, out, slot);
		break;
	case FLOW_CACHE_retag:
		if (!tagged)
			return 0;
		r = prefix_retag(ctx, pkts, n, stamp, &p, own_tpid, out, slot);
		break;
	default:
		return 0;
	}
	return prefix_done(ctx, runs, &p, out, &r, r.rx_bytes, rx_bytes);
}

/* ---- The underlay's uniform prefix ----
 * VXLAN frames from one remote VTEP and VNI, to one output: each frame's
 * outer headers are compared with the first's (which vxlan_decap checked
 * in full) in five masked words, which covers every field decap checks
 * or looks the tunnel up by; then only the lengths and the IPv4 checksum
 * remain to check per frame. Only the plain layout: untagged underlay,
 * IPv4 without options, no outer padding, no UDP checksum to verify. */

#define DECAP_OUTER 50 /* Ethernet 14, IPv4 20, UDP 8, VXLAN 8 */
#define DECAP_WORDS 5
static const uint8_t decap_word_offsets[DECAP_WORDS] = { 12, 20, 28, 36, 44 };
/* Per byte from offset 12: the bits every frame must share with the
 * first. Variable: TOS, lengths, ID, TTL, checksums, UDP source port. */
static const uint8_t decap_mask_bytes[DECAP_WORDS * 8] = {
	0xff, 0xff, 0xff, 0, 0, 0, 0, 0,          /* type, version+IHL */
	0x3f, 0xff, 0, 0xff, 0, 0, 0xff, 0xff,    /* fragment, protocol, source */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, /* source, destination */
	0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff,       /* UDP port, VXLAN flags */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, /* flags, VNI, reserved */
};

static __attribute__((noinline)) struct prefix_result
prefix_decap(struct vswitch_context *ctx, struct rte_mbuf **pkts, uint16_t n,
	     uint64_t stamp, const struct prefix *p, const uint64_t *expected,
	     struct rte_mbuf **slot)
{
	const struct flow_cache_entry *cache = ctx->flow_cache;
	const uint64_t outcome = p->outcome;
	uint64_t mask[DECAP_WORDS], want[DECAP_WORDS];
	for (unsigned w = 0; w < DECAP_WORDS; w++) {
		memcpy(&mask[w], decap_mask_bytes + 8 * w, 8);
		want[w] = expected[w];
	}
	uint64_t rx_bytes = 0;
	uint16_t i;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
		uint16_t length = rte_pktmbuf_data_len(m);
		uint64_t differ = 0;
		for (unsigned w = 0; w < DECAP_WORDS; w++)
			differ |= (vxlan_load64(frame + decap_word_offsets[w]) ^
				   want[w]) & mask[w];
		uint16_t total_length = vlan_read16(frame + 16);
		uint16_t udp_length = vlan_read16(frame + 38);
		uint64_t sum = (uint64_t)vxlan_load32(frame + 14) +
			       vxlan_load32(frame + 18) + vxlan_load32(frame + 22) +
			       vxlan_load32(frame + 26) + vxlan_load32(frame + 30);
		const uint8_t *inner = frame + DECAP_OUTER;
		struct flow_key key = flow_key_read(inner); /* EtherType too */
		bool ok = differ == 0 && length == rte_pktmbuf_pkt_len(m) &&
			  length >= DECAP_OUTER + RTE_ETHER_HDR_LEN &&
			  total_length == length - RTE_ETHER_HDR_LEN &&
			  udp_length == total_length - 20 &&
			  vxlan_checksum_fold(sum) == 0xffff;
		if (!ok || !prefix_hit(cache, key, stamp, outcome))
			break;
		rx_bytes += length;
		m->data_off = (uint16_t)(m->data_off + DECAP_OUTER);
		m->data_len = (uint16_t)(length - DECAP_OUTER);
		m->pkt_len = (uint32_t)(length - DECAP_OUTER);
		slot[i] = m;
	}
	/* rx_bytes: as received (the port's); tx_bytes: the inner frames
	 * (the member's rx and tx). */
	return (struct prefix_result){ i, rx_bytes,
				       rx_bytes - (uint64_t)DECAP_OUTER * i };
}

/* The underlay port's prefix, if the burst has one: see above. */
uint16_t vswitch_prefix_decap_switch(struct vswitch_context *ctx,
				     const struct vswitch_table *table,
				     struct rte_mbuf **pkts, uint16_t n,
				     uint64_t stamp, struct burst_runs *runs,
				     uint64_t *rx_bytes)
{
	const struct vxlan_tunnel_table *vxlan = table->vxlan;
	if (vxlan->underlay.verify_udp_checksum || vxlan->underlay.vid)
		return 0;
	const uint8_t *first = rte_pktmbuf_mtod(pkts[0], const uint8_t *);
	uint16_t length = rte_pktmbuf_data_len(pkts[0]);
	struct vxlan_decap_result decap;
	if (vxlan_decap(vxlan, first, length, &decap) != VXLAN_DECAP_ok ||
	    decap.inner_offset != DECAP_OUTER ||
	    decap.inner_length != length - DECAP_OUTER)
		return 0;
	const uint8_t *inner = first + DECAP_OUTER;
	if (vlan_is_tpid(vlan_read16(inner + 12)))
		return 0;
	struct prefix p = { .in_member = decap.member };
	p.bd = table->members[decap.member].bd;
	struct vlan_classification vlan = { .verdict = VLAN_OK };
	p.input = flow_cache_input(decap.member, &vlan);
	const struct flow_cache_entry *e =
		flow_cache_slot(ctx->flow_cache, flow_key_read(inner));
	if (e->input != p.input || !e->out_member ||
	    e->action != FLOW_CACHE_plain)
		return 0;
	p.outcome = flow_cache_outcome(e);
	uint64_t expected[DECAP_WORDS];
	for (unsigned w = 0; w < DECAP_WORDS; w++)
		expected[w] = vxlan_load64(first + decap_word_offsets[w]);

	const struct vswitch_member *out = &table->members[e->out_member];
	struct vswitch_output *o = &ctx->out;
	struct rte_mbuf **slot = &o->pkts[out->port][o->count[out->port]];
	struct prefix_result r = prefix_decap(ctx, pkts, n, stamp, &p, expected,
					      slot);
	/* The tunnel member received the inner frames. */
	return prefix_done(ctx, runs, &p, out, &r, r.tx_bytes, rx_bytes);
}
