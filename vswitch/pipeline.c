/* The packet pipeline: once per rx burst, classify, learn, look up, forward
 * or flood. Runs on worker lcores: no allocation beyond flood copies, no
 * locks except the FDB's bucket lock when a MAC is learned, no syscalls.
 *
 * The burst, in order (process_burst):
 *   1. classify each frame to (member, BD) (the common cases inline, the
 *      rest by classify_frame), drop what cannot be;
 *   2. ask the worker's flow cache; while every frame so far was a hit,
 *      switch the frame at once: a plain hit is queued on its output run,
 *      a push, pop, retag or encap hit takes a short path;
 *   3. from the first miss on, frames wait for switch_deferred: one bulk
 *      FDB lookup of their sources and destinations (its bucket prefetches
 *      overlap), then per frame: learn the source if needed, then unicast
 *      (caching the decision) or flood.
 * Counters are kept in runs (per-burst locals), written once per run.
 * Cost budget, measured: ~20 cycles per frame for a plain hit, ~35 with a
 * tag pushed or popped (32-frame bursts, data in cache).
 */
#include "pipeline_private.h"

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

static inline void count_drop(struct vswitch_context *ctx, struct rte_mbuf *m,
			      enum vswitch_drop_reason why, uint16_t member,
			      uint16_t bd)
{
	ctx->counters->drops[why]++;
	if (member)
		ctx->counters->member[member][VSWITCH_MEMBER_drops]++;
	if (bd)
		ctx->counters->bd[bd][VSWITCH_BD_drops]++;
	rte_pktmbuf_free(m);
}

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

static inline void rx_run_end(struct vswitch_counters *counters,
			      const struct vswitch_table *table,
			      struct rx_run *run)
{
	if (!run->packets)
		return;
	uint64_t *mc = counters->member[run->member];
	uint64_t *bc = counters->bd[table->members[run->member].bd];
	mc[VSWITCH_MEMBER_rx_packets] += run->packets;
	mc[VSWITCH_MEMBER_rx_bytes] += run->bytes;
	bc[VSWITCH_BD_packets] += run->packets;
	bc[VSWITCH_BD_bytes] += run->bytes;
	run->packets = 0;
	run->bytes = 0;
}

static inline void rx_run_add(struct vswitch_counters *counters,
			      const struct vswitch_table *table,
			      struct rx_run *run, uint16_t member,
			      uint32_t bytes)
{
	if (unlikely(run->member != member)) {
		rx_run_end(counters, table, run);
		run->member = member;
	}
	run->packets++;
	run->bytes += bytes;
}

/* Frames of one BD forwarded as unicast. */
struct unicast_run {
	uint16_t bd;
	uint32_t packets;
};

static inline void unicast_run_end(struct vswitch_counters *counters,
				   struct unicast_run *run)
{
	if (run->packets)
		counters->bd[run->bd][VSWITCH_BD_unicast] += run->packets;
	run->packets = 0;
}

static inline void unicast_run_add(struct vswitch_counters *counters,
				   struct unicast_run *run, uint16_t bd)
{
	if (unlikely(run->bd != bd)) {
		unicast_run_end(counters, run);
		run->bd = bd;
	}
	run->packets++;
}

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

static inline void tx_run_end(struct vswitch_context *ctx, struct tx_run *run)
{
	if (!run->packets)
		return;
	struct vswitch_output *o = &ctx->out;
	uint64_t *mc = ctx->counters->member[run->member];
	o->count[run->port] = run->count;
	o->bytes[run->port] += run->bytes;
	o->dirty |= UINT64_C(1) << run->port;
	mc[VSWITCH_MEMBER_tx_packets] += run->packets;
	mc[VSWITCH_MEMBER_tx_bytes] += run->bytes;
	run->member = 0;
	run->packets = 0;
	run->bytes = 0;
}

static inline void tx_run_append(struct vswitch_context *ctx,
				 struct tx_run *run,
				 const struct vswitch_member *out,
				 struct rte_mbuf *m)
{
	if (unlikely(run->member != out->id)) {
		tx_run_end(ctx, run);
		run->member = out->id;
		run->port = out->port;
		run->count = ctx->out.count[out->port];
	}
	ctx->out.pkts[run->port][run->count++] = m;
	run->packets++;
	run->bytes += rte_pktmbuf_pkt_len(m);
}

/* The same for a member known by id (a flow cache decision): its port is
 * read only when a run begins. */
static inline void tx_run_queue(struct vswitch_context *ctx,
				const struct vswitch_table *table,
				struct tx_run *run, uint16_t member,
				struct rte_mbuf *m)
{
	if (unlikely(run->member != member)) {
		tx_run_end(ctx, run);
		run->member = member;
		run->port = table->members[member].port;
		run->count = ctx->out.count[run->port];
	}
	ctx->out.pkts[run->port][run->count++] = m;
	run->packets++;
	run->bytes += rte_pktmbuf_pkt_len(m);
}

/* Puts the frame in the output slot of the member's port, in the
 * member's egress form (tags stripped, pushed or rewritten by vlan.h). The
 * mbuf must be private (refcnt 1) unless egress_unchanged(). */
/* Marks an exceeding frame: DSCP in its IPv4 header (checksum updated,
 * RFC 1624), or PCP in its outermost 802.1Q tag. */
static void frame_mark(uint8_t *frame, uint32_t length,
		       const struct policer_profile *profile)
{
	if (length < VLAN_ETHER_HEADER_BYTES)
		return;
	if (profile->action == POLICER_mark_pcp) {
		if (length >= 18 && vlan_is_tpid(vlan_read16(frame + 12)))
			vlan_set_pcp(frame, length, profile->mark);
		return;
	}
	uint32_t offset = 12;
	while (offset + 6 <= length && vlan_is_tpid(vlan_read16(frame + offset)))
		offset += 4;
	if (offset + 2 + 20 > length || vlan_read16(frame + offset) != 0x0800)
		return;
	uint8_t *ip = frame + offset + 2;
	uint16_t old_word = vlan_read16(ip);
	ip[1] = (uint8_t)((profile->mark << 2) | (ip[1] & 3));
	uint16_t new_word = vlan_read16(ip);
	uint32_t sum = (uint16_t)~vlan_read16(ip + 10) + (uint16_t)~old_word +
		       new_word;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	vlan_write16(ip + 10, (uint16_t)~sum);
}

/* Polices a frame through a member in one direction: POLICE_pass (green),
 * POLICE_mark (red, to be marked: the caller marks it once the frame is in
 * its final form) or POLICE_drop (red, dropped and counted). */
enum police_verdict { POLICE_pass, POLICE_mark, POLICE_drop };

static inline enum police_verdict member_police(struct vswitch_context *ctx,
						const struct vswitch_member *member,
						enum policer_direction direction,
						struct rte_mbuf *m)
{
	const struct policer_profile *profile = member->policer[direction];
	if (policer_conform(&ctx->policers[member->id][direction], profile,
			    ctx->now, rte_pktmbuf_pkt_len(m)))
		return POLICE_pass;
	if (profile->action == POLICER_drop) {
		count_drop(ctx, m, VSWITCH_DROP_policer, member->id, member->bd);
		return POLICE_drop;
	}
	return POLICE_mark;
}

/* Puts the outer headers of the member's tunnel in front of the frame
 * (head-end replication calls it once per remote VTEP, on a copy). */
static inline __attribute__((always_inline)) bool
tunnel_encap(struct vswitch_context *ctx, const struct vswitch_member *out,
	     struct rte_mbuf *m)
{
	const struct vxlan_encap_template *template = out->encap;
	enum vswitch_drop_reason why = VSWITCH_DROP_vxlan_unresolved;
	if (likely(template)) {
		if (unlikely(rte_pktmbuf_headroom(m) < template->length)) {
			why = VSWITCH_DROP_vxlan_no_headroom;
		} else {
			enum vxlan_encap_verdict verdict = vxlan_encap(
				template, rte_pktmbuf_mtod(m, uint8_t *),
				rte_pktmbuf_data_len(m), ctx->ip_id++);
			if (likely(verdict == VXLAN_ENCAP_ok)) {
				rte_pktmbuf_prepend(m, template->length);
				return true;
			}
			why = verdict == VXLAN_ENCAP_too_big
				      ? VSWITCH_DROP_vxlan_too_big
				      : VSWITCH_DROP_vxlan_unresolved;
		}
	}
	count_drop(ctx, m, why, out->id, out->bd);
	return false;
}

static inline __attribute__((always_inline)) void
member_emit(struct vswitch_context *ctx, struct tx_run *tx_run,
	    const struct vswitch_member *out, struct rte_mbuf *m,
	    const struct vlan_classification *in)
{
	enum police_verdict police = POLICE_pass;
	if (unlikely(out->policer[POLICER_OUT])) {
		police = member_police(ctx, out, POLICER_OUT, m);
		if (police == POLICE_drop)
			return;
	}
	if (!egress_unchanged(in, out)) {
		int moved;
		enum vlan_verdict verdict = vlan_rewrite(
			rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m),
			rte_pktmbuf_headroom(m), in, &out->egress, &moved);
		if (unlikely(verdict != VLAN_OK)) {
			count_drop(ctx, m, vlan_drop_reason[verdict], out->id,
				   out->bd);
			return;
		}
		if (moved < 0)
			rte_pktmbuf_prepend(m, VLAN_TAG_BYTES);
		else if (moved > 0)
			rte_pktmbuf_adj(m, VLAN_TAG_BYTES);
		if (out->kind == VSWITCH_MEMBER_KIND_TUNNEL &&
		    !tunnel_encap(ctx, out, m))
			return;
	}
	/* Marks go on the frame as it leaves (the outer header of a
	 * tunnel's). */
	if (unlikely(police == POLICE_mark))
		frame_mark(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m),
			   out->policer[POLICER_OUT]);
	tx_run_append(ctx, tx_run, out, m);
}

/* One copy to every other member of the BD, exactly once each. Members
 * that send the frame as received share it by reference count; each one
 * that rewrites its tags gets a private copy. */
static void bd_flood(struct vswitch_context *ctx, struct tx_run *tx_run,
		     const struct vswitch_table *table,
		     const struct vswitch_bd *bd,
		     const struct vswitch_member *in, struct rte_mbuf *m,
		     const struct vlan_classification *vlan)
{
	const struct vswitch_member *targets[VSWITCH_TRACE_MAX_OUTPUTS];
	unsigned n_targets = 0, n_shared = 0;
	for (uint16_t i = 0; i < bd->n_members; i++) {
		const struct vswitch_member *out = &table->members[bd->members[i]];
		enum vswitch_drop_reason why;
		if (!member_may_send(table, in, out, &why))
			continue;
		if (unlikely(!egress_allowed(vlan, out, &why))) {
			ctx->counters->drops[why]++;
			continue;
		}
		if (n_targets == VSWITCH_TRACE_MAX_OUTPUTS)
			break;
		targets[n_targets++] = out;
		n_shared += egress_unchanged(vlan, out);
	}
	uint64_t *bc = ctx->counters->bd[bd->id];
	if (n_targets == 0) {
		count_drop(ctx, m, VSWITCH_DROP_flood_no_members, 0, bd->id);
		return;
	}
	bc[VSWITCH_BD_flooded]++;
	bc[VSWITCH_BD_flood_copies] += n_targets;

	/* Copies are made from the original before anything rewrites it:
	 * the original itself goes, last, to a rewriting member only when
	 * no member shares it. */
	if (n_shared > 1)
		rte_mbuf_refcnt_update(m, (int16_t)(n_shared - 1));
	const struct vswitch_member *original_target = NULL;
	for (unsigned i = 0; i < n_targets; i++) {
		const struct vswitch_member *out = targets[i];
		if (egress_unchanged(vlan, out))
			continue;
		if (!n_shared && !original_target) {
			original_target = out; /* sent after the copies */
			continue;
		}
		struct rte_mbuf *copy = rte_pktmbuf_copy(m, ctx->pool, 0, UINT32_MAX);
		if (unlikely(!copy)) {
			ctx->counters->drops[VSWITCH_DROP_flood_copy_failed]++;
			continue;
		}
		member_emit(ctx, tx_run, out, copy, vlan);
	}
	if (original_target) {
		member_emit(ctx, tx_run, original_target, m, vlan);
		return;
	}
	for (unsigned i = 0; i < n_targets; i++)
		if (egress_unchanged(vlan, targets[i]))
			member_emit(ctx, tx_run, targets[i], m, vlan);
}

/* Underlay ARP: requests for our address are answered in place and sent
 * back; replies to us go to the control thread's neighbour table. */
static void underlay_arp(struct vswitch_context *ctx,
			 const struct vswitch_table *table, uint16_t in_port,
			 struct rte_mbuf *m, struct tx_run *tx_run)
{
	struct vxlan_arp arp;
	enum vxlan_arp_verdict verdict = vxlan_arp_handle(
		&table->vxlan->underlay, rte_pktmbuf_mtod(m, uint8_t *),
		rte_pktmbuf_data_len(m), &arp);
	switch (verdict) {
	case VXLAN_ARP_reply: {
		struct vswitch_output *o = &ctx->out;
		tx_run_end(ctx, tx_run); /* it may hold in_port's count */
		o->pkts[in_port][o->count[in_port]++] = m;
		o->bytes[in_port] += rte_pktmbuf_pkt_len(m);
		o->dirty |= UINT64_C(1) << in_port;
		return;
	}
	case VXLAN_ARP_learn: {
		struct vswitch_punt punt = { .address = arp.sender_address };
		memcpy(punt.mac, arp.sender_mac, 6);
		bool queued = ctx->punt &&
			      rte_ring_mp_enqueue_elem(ctx->punt, &punt,
						       sizeof(punt)) == 0;
		count_drop(ctx, m, queued ? VSWITCH_DROP_arp_learned
					  : VSWITCH_DROP_punt_full, 0, 0);
		return;
	}
	default:
		count_drop(ctx, m, arp_drop_reason(verdict), 0, 0);
		return;
	}
}

/* A frame from the underlay port: decapsulated to its tunnel's member (the
 * mbuf then holds the inner frame only), or handled as underlay traffic.
 * Returns whether c now classifies an inner frame to switch. */
/* An underlay frame that is not VXLAN for one of our tunnels: ARP is
 * answered or learned, the rest dropped by its reason. */
static __attribute__((noinline)) void
underlay_other(struct vswitch_context *ctx, const struct vswitch_table *table,
	       uint16_t in_port, struct rte_mbuf *m,
	       enum vswitch_drop_reason why, enum vxlan_decap_verdict verdict,
	       struct tx_run *tx_run)
{
	if (verdict == VXLAN_DECAP_arp)
		underlay_arp(ctx, table, in_port, m, tx_run);
	else
		count_drop(ctx, m, why, 0, 0);
}

static inline __attribute__((always_inline)) bool
underlay_input(struct vswitch_context *ctx, const struct vswitch_table *table,
	       uint16_t in_port, struct rte_mbuf *m, struct classification *c,
	       struct tunnel_memo *memo, struct tx_run *tx_run)
{
	struct vxlan_decap_result decap = { 0 };
	enum vxlan_decap_verdict verdict;
	classify_underlay(table, rte_pktmbuf_mtod(m, const uint8_t *),
			  rte_pktmbuf_data_len(m), c, &decap, &verdict, memo);
	if (unlikely(!c->member)) {
		underlay_other(ctx, table, in_port, m, c->drop, verdict, tx_run);
		return false;
	}
	rte_pktmbuf_adj(m, decap.inner_offset);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - decap.inner_length));
	return true;
}

/* Frames are switched as if one at a time: a MAC learned from frame i is
 * known to the lookups of frames i.. of the same burst (their results
 * were fetched before). Learning is rare, so this scan is too. Frames
 * that hit the flow cache have no results: they are checked against the
 * keys learned in the burst instead (see vswitch_process). */
static void burst_see_learned(const uint64_t *source_keys,
			      const uint64_t *destination_keys,
			      const uint8_t *slot, uint16_t n_lookups,
			      struct fdb_result *results, uint16_t k,
			      uint16_t i, uint16_t member)
{
	uint64_t key = source_keys[i];
	/* From i itself: a frame addressed to its own source MAC is then
	 * seen behind its own member (same_member), as a later one is. */
	for (uint16_t j = i; j < k; j++) {
		if (slot[j] == UINT8_MAX)
			continue;
		if (destination_keys[j] == key) {
			results[n_lookups + slot[j]].member = member;
			results[n_lookups + slot[j]].is_static = 0;
		}
		if (j > i && source_keys[j] == key) {
			results[slot[j]].member = member;
			results[slot[j]].refresh_due = 0;
		}
	}
}

/* What a flow cache entry matches besides the keys. */
static inline uint32_t flow_cache_input(uint16_t member,
					const struct vlan_classification *vlan)
{
	return member | (uint32_t)vlan->inner_tags << 16 |
	       (uint32_t)vlan->tags_to_strip << 24;
}

/* A frame's MACs as the flow cache keys them: its first 12 bytes as they
 * lie (no byte swap, no BD: the input member implies the BD). */
struct flow_key {
	uint64_t head; /* bytes 0..7 */
	uint32_t tail; /* bytes 8..11 */
};

/* Reads the key; the frame's length is the caller's to check (an mbuf's
 * buffer is far longer than the 12 bytes read). */
static inline struct flow_key flow_key_read(const uint8_t *frame)
{
	struct flow_key key;
	memcpy(&key.head, frame, sizeof(key.head));
	memcpy(&key.tail, frame + 8, sizeof(key.tail));
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

/* The entry's words from mac_tail on, as two 32-bit fields lie in one
 * 64-bit word: what the prefix compares in one go. */
static inline uint64_t flow_cache_word(uint32_t low, uint32_t high)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	return low | (uint64_t)high << 32;
#else
	return (uint64_t)low << 32 | high;
#endif
}

/* What a hit on a decision to send a frame classified as `vlan` from
 * `in` to `out` does (checked to be allowed: egress_allowed). */
static inline uint8_t flow_cache_action(const struct vswitch_member *in,
					const struct vswitch_member *out,
					const struct vlan_classification *vlan)
{
	if (in->policer[POLICER_IN] || out->policer[POLICER_OUT])
		return FLOW_CACHE_general;
	if (out->kind == VSWITCH_MEMBER_KIND_TUNNEL)
		return vlan->tags_to_strip ? FLOW_CACHE_general : FLOW_CACHE_encap;
	if (vlan->tags_to_strip)
		return out->egress.push ? FLOW_CACHE_retag : FLOW_CACHE_pop;
	return out->egress.push ? FLOW_CACHE_push : FLOW_CACHE_plain;
}

/* A frame's 802.1Q tag, written as one 4-byte store. */
static inline void tag_write(uint8_t *at, uint16_t tpid, uint16_t tci)
{
	uint32_t tag = rte_cpu_to_be_32((uint32_t)tpid << 16 | tci);
	memcpy(at, &tag, sizeof(tag));
}

/* A flow cache hit's action other than plain and general: what
 * member_emit would do, without the checks the decision already passed
 * (policers, egress verdicts, tag depth) and with one test left, the
 * headroom of a push. Returns false when the frame was dropped. */
static inline __attribute__((always_inline)) bool
flow_cache_emit(struct vswitch_context *ctx, struct tx_run *tx_run,
		uint8_t action, const struct vswitch_member *out,
		struct rte_mbuf *m, const struct vlan_classification *vlan)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	switch (action) {
	case FLOW_CACHE_push:
		if (unlikely(rte_pktmbuf_headroom(m) < VLAN_TAG_BYTES)) {
			count_drop(ctx, m, VSWITCH_DROP_vlan_push_failed, out->id,
				   out->bd);
			return false;
		}
		vlan_move_macs(frame - VLAN_TAG_BYTES, frame);
		tag_write(frame - VLAN_TAG_BYTES + VLAN_MAC_BYTES, out->egress.tpid,
			  vlan_tci(vlan->pcp, vlan->dei, out->egress.vid));
		m->data_off -= VLAN_TAG_BYTES;
		m->data_len += VLAN_TAG_BYTES;
		m->pkt_len += VLAN_TAG_BYTES;
		break;
	case FLOW_CACHE_pop: /* classified with its tag: >= 18 bytes */
		vlan_move_macs(frame + VLAN_TAG_BYTES, frame);
		m->data_off += VLAN_TAG_BYTES;
		m->data_len -= VLAN_TAG_BYTES;
		m->pkt_len -= VLAN_TAG_BYTES;
		break;
	case FLOW_CACHE_retag:
		tag_write(frame + VLAN_MAC_BYTES, out->egress.tpid,
			  vlan_tci(vlan->pcp, vlan->dei, out->egress.vid));
		break;
	default: /* encap */
		if (!tunnel_encap(ctx, out, m))
			return false;
		break;
	}
	tx_run_append(ctx, tx_run, out, m);
	return true;
}

/* Does e hold the decision for this key and input under stamp? One
 * branch for the words. */
static inline bool flow_cache_match(const struct flow_cache_entry *e,
				    uint64_t stamp, struct flow_key key,
				    uint32_t input)
{
	return ((e->stamp ^ stamp) | (e->mac_head ^ key.head) |
		(flow_cache_word(e->mac_tail, e->input) ^
		 flow_cache_word(key.tail, input))) == 0;
}

/* Input policing of a frame from `in`: false when it was dropped. A mark
 * goes on the frame as received, and on any tag an output member writes
 * from the classification. */
static inline bool input_police(struct vswitch_context *ctx,
				const struct vswitch_member *in,
				struct rte_mbuf *m, struct classification *c)
{
	enum police_verdict police = member_police(ctx, in, POLICER_IN, m);
	if (police == POLICE_drop)
		return false;
	if (police == POLICE_mark) {
		const struct policer_profile *profile = in->policer[POLICER_IN];
		frame_mark(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m),
			   profile);
		if (profile->action == POLICER_mark_pcp)
			c->vlan.pcp = profile->mark;
	}
	return true;
}

/* The counting runs of one burst. */
struct burst_runs {
	struct rx_run rx;
	struct unicast_run unicast;
	struct tx_run tx;
};

/* Frames of a burst from its first flow-cache miss on, kept in order for
 * the FDB's bulk lookup and then switched one at a time. */
struct deferred {
	uint16_t k;         /* frames */
	uint16_t n_lookups; /* of them not answered by the flow cache */
	struct rte_mbuf *frames[VSWITCH_BURST];
	struct classification classes[VSWITCH_BURST];
	uint64_t source_keys[VSWITCH_BURST];
	uint64_t destination_keys[VSWITCH_BURST];
	uint16_t cached[VSWITCH_BURST]; /* output member from the cache, 0 */
	uint8_t slot[VSWITCH_BURST];    /* lookup slot, UINT8_MAX on a hit */
	uint64_t lookup_keys[2 * VSWITCH_BURST]; /* sources, destinations */
};

/* Switches the deferred frames: one bulk lookup for those the cache did
 * not answer, then each in order: learn its source if needed, then
 * unicast or flood. */
static __attribute__((noinline)) void
switch_deferred(struct vswitch_context *ctx, const struct vswitch_table *table,
		struct deferred *d, struct burst_runs *runs, uint64_t stamp)
{
	struct vswitch_counters *counters = ctx->counters;
	struct flow_cache_entry *cache = ctx->flow_cache;
	struct fdb_result results[2 * VSWITCH_BURST];
	uint16_t k = d->k, n_lookups = d->n_lookups;
	const uint64_t *source_keys = d->source_keys;
	const uint64_t *destination_keys = d->destination_keys;

	/* One bulk lookup for the frames the cache did not answer: sources
	 * then destinations, contiguous. */
	if (n_lookups) {
		for (uint16_t i = 0; i < k; i++)
			if (d->slot[i] != UINT8_MAX)
				d->lookup_keys[n_lookups + d->slot[i]] =
					destination_keys[i];
		fdb_lookup_bulk(ctx->fdb, d->lookup_keys, 2u * n_lookups,
				results);
	}

	uint64_t learned_keys[VSWITCH_BURST];
	unsigned n_learned = 0;
	for (uint16_t i = 0; i < k; i++) {
		struct rte_mbuf *m = d->frames[i];
		struct classification *c = &d->classes[i];
		const struct vswitch_member *in = &table->members[c->member];
		const struct vswitch_bd *bd = &table->bds[c->bd];
		uint64_t *bc = counters->bd[bd->id];
		if (unlikely(in->policer[POLICER_IN]) &&
		    !input_police(ctx, in, m, c))
			continue;

		struct fdb_result own[2];
		const struct fdb_result *src, *dst_result;
		if (d->cached[i]) {
			/* A MAC learned earlier in this burst may change the
			 * decision: look such a frame up after all. */
			bool stale = false;
			for (unsigned l = 0; l < n_learned; l++)
				stale |= learned_keys[l] == source_keys[i] ||
					 learned_keys[l] == destination_keys[i];
			if (likely(!stale)) {
				unicast_run_add(counters, &runs->unicast, bd->id);
				member_emit(ctx, &runs->tx,
					    &table->members[d->cached[i]], m,
					    &c->vlan);
				continue;
			}
			uint64_t pair[2] = { source_keys[i], destination_keys[i] };
			fdb_lookup_bulk(ctx->fdb, pair, 2, own);
			src = &own[0];
			dst_result = &own[1];
		} else {
			src = &results[d->slot[i]];
			dst_result = &results[n_lookups + d->slot[i]];
		}

		/* Learn the source. */
		bool source_settled = src->member == in->id && !src->refresh_due;
		if (unlikely(!source_settled)) {
			if (src->is_static) {
				count_drop(ctx, m, VSWITCH_DROP_static_mac_violation,
					   in->id, bd->id);
				continue;
			}
			if (bd->learning) {
				enum fdb_learn_result learned =
					fdb_learn(ctx->fdb, source_keys[i], in->id);
				if (learned == FDB_LEARN_learned ||
				    learned == FDB_LEARN_moved) {
					burst_see_learned(source_keys, destination_keys,
							  d->slot, n_lookups, results, k,
							  i, in->id);
					learned_keys[n_learned++] = source_keys[i];
					if (destination_keys[i] == source_keys[i]) {
						own[1] = *dst_result;
						own[1].member = in->id;
						dst_result = &own[1];
					}
				}
				switch (learned) {
				case FDB_LEARN_learned:
					bc[VSWITCH_BD_learned]++;
					break;
				case FDB_LEARN_moved:
					bc[VSWITCH_BD_moved]++;
					break;
				case FDB_LEARN_static_conflict:
					count_drop(ctx, m,
						   VSWITCH_DROP_static_mac_violation,
						   in->id, bd->id);
					continue;
				case FDB_LEARN_bd_limit:
				case FDB_LEARN_global_limit:
				case FDB_LEARN_table_full:
					bc[VSWITCH_BD_learn_limited]++;
					break;
				default:
					break;
				}
			}
		}

		/* Forward. The frame is still as received: each output
		 * member rewrites its tags (VID translation). */
		const uint8_t *dst = rte_pktmbuf_mtod(m, const uint8_t *);
		if (likely(!(dst[0] & 1) && dst_result->member != FDB_NO_MEMBER)) {
			const struct vswitch_member *out =
				vswitch_table_member(table, dst_result->member);
			if (likely(out && out->bd == bd->id)) {
				enum vswitch_drop_reason why;
				if (unlikely(!member_may_send(table, in, out, &why) ||
					     !egress_allowed(&c->vlan, out, &why))) {
					count_drop(ctx, m, why, in->id, bd->id);
					continue;
				}
				if (cache && source_settled) {
					struct flow_key key = flow_key_read(
						rte_pktmbuf_mtod(m, const uint8_t *));
					struct flow_cache_entry *e =
						flow_cache_slot(cache, key);
					*e = (struct flow_cache_entry){
						.mac_head = key.head,
						.mac_tail = key.tail,
						.stamp = stamp,
						.input = flow_cache_input(in->id,
									  &c->vlan),
						.out_member = out->id,
						.action = flow_cache_action(in, out,
									    &c->vlan),
					};
				}
				unicast_run_add(counters, &runs->unicast, bd->id);
				member_emit(ctx, &runs->tx, out, m, &c->vlan);
				continue;
			}
		}
		bd_flood(ctx, &runs->tx, table, bd, in, m, &c->vlan);
	}
}

/* How far ahead of the frame being classified its data is prefetched. */
#ifndef PREFETCH_AHEAD
#define PREFETCH_AHEAD 4
#endif

/* The last VID classify_own_tagged found allowed and a member for: a
 * burst from a trunk mostly carries one VID (or a few), so the others
 * cost a compare. */
struct vid_memo {
	uint16_t vid; /* UINT16_MAX = none (a VID has 12 bits; 0 is never
		       * remembered: a priority tag is the general case's) */
	uint16_t member;
	uint16_t bd;
};

/* A frame with one tag of the port's own TPID (the caller checked that
 * and the source MAC) on a trunk-like port: classified as
 * vlan_port_classify and classify_frame would, or false for them to
 * decide. */
static inline bool classify_own_tagged(const struct vswitch_port *port,
				       const struct vswitch_member *members,
				       const uint8_t *data, uint16_t length,
				       struct vid_memo *memo,
				       struct classification *c)
{
	if (length < 18 || vlan_is_tpid(vlan_read16(data + 16)))
		return false;
	uint16_t tci = vlan_read16(data + 14);
	uint16_t vid = vlan_tci_vid(tci);
	if (unlikely(vid != memo->vid)) {
		if (!vid || !vlan_port_allows(&port->vlan, vid) ||
		    !port->vid_member[vid])
			return false;
		memo->vid = vid;
		memo->member = port->vid_member[vid];
		memo->bd = members[memo->member].bd;
	}
	c->member = memo->member;
	c->bd = memo->bd;
	c->vlan = (struct vlan_classification){
		.verdict = VLAN_OK,
		.pcp = vlan_tci_pcp(tci),
		.dei = vlan_tci_dei(tci),
		.tags_to_strip = 1,
		.vid = vid };
	return true;
}

/* ---- The uniform prefix ----------------------------------------------
 * Most bursts are a few flows between the same two members: every frame
 * classified the common way and answered by the flow cache with the same
 * decision. Such a prefix of the burst is switched in two tight passes
 * (find it, then act on it as a whole) that keep their few values in
 * registers; the general loop goes on from the first frame that differs.
 * The result is what the general loop would do frame by frame: the same
 * outputs, in order, and the same counters. */

/* The decision word of a cache entry: output member, action, 0. */
static inline uint64_t flow_cache_decision(const struct flow_cache_entry *e)
{
	uint64_t word;
	memcpy(&word,
	       (const uint8_t *)e + offsetof(struct flow_cache_entry, out_member),
	       sizeof(word));
	return word;
}

/* What the prefix knows of its frames. */
struct prefix {
	uint16_t in_member;  /* as classified */
	uint16_t bd;
	uint32_t input;      /* flow_cache_input() */
	uint64_t decision;   /* out_member..reserved of every frame's entry */
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
	const uint64_t decision = p->decision;
	const uint64_t input_word = flow_cache_word(0, p->input);
	const uint16_t vid = p->vid;
	const uint16_t own_tpid_network = rte_cpu_to_be_16(own_tpid);
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
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
		struct flow_key key = flow_key_read(frame);
		uint16_t type; /* network order */
		memcpy(&type, frame + 12, sizeof(type));
		uint16_t length = rte_pktmbuf_data_len(m);
		/* The source needs no check: an entry with these MACs was
		 * made for a frame whose source was valid. */
		bool ok = length >= (tagged ? 18 : RTE_ETHER_HDR_LEN);
		if (tagged)
			ok &= type == own_tpid_network &&
			      vlan_tci_vid(vlan_read16(frame + 14)) == vid &&
			      !vlan_is_tpid(vlan_read16(frame + 16));
		else
			ok &= !vlan_is_tpid_network(type);
		if (action == FLOW_CACHE_push)
			ok &= m->data_off >= VLAN_TAG_BYTES;
		if (action == FLOW_CACHE_encap)
			ok &= m->data_off >= VXLAN_ENCAP_IPV4_LENGTH &&
			      length <= template.max_inner_length;
		const struct flow_cache_entry *e = flow_cache_slot(
			(struct flow_cache_entry *)cache, key);
		if (!ok || ((e->stamp ^ stamp) | (e->mac_head ^ key.head) |
			    (flow_cache_word(e->mac_tail, e->input) ^
			     (key.tail | input_word)) |
			    (flow_cache_decision(e) ^ decision)) != 0)
			break;
		uint32_t pkt_len = rte_pktmbuf_pkt_len(m);
		rx_bytes += pkt_len;
		int delta = 0; /* bytes the action adds in front */
		switch (action) {
		case FLOW_CACHE_plain:
			break;
		case FLOW_CACHE_push: /* untagged in: one tag for all */
			vlan_move_macs(frame - VLAN_TAG_BYTES, frame);
			memcpy(frame - VLAN_TAG_BYTES + VLAN_MAC_BYTES, &push_tag,
			       sizeof(push_tag));
			delta = VLAN_TAG_BYTES;
			break;
		case FLOW_CACHE_pop:
			vlan_move_macs(frame + VLAN_TAG_BYTES, frame);
			delta = -VLAN_TAG_BYTES;
			break;
		case FLOW_CACHE_retag: { /* each keeps its PCP and DEI */
			uint16_t tci = vlan_read16(frame + VLAN_MAC_BYTES + 2);
			tag_write(frame + VLAN_MAC_BYTES, rewrite_tpid,
				  (uint16_t)((tci & 0xf000u) | rewrite_vid));
			break;
		}
		default: /* encap */
			vxlan_encap_write_untagged(
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

/* Switches the burst's uniform prefix, if it has one: classified as the
 * general loop would (see process_burst), then acted on. Returns how many
 * frames it took (*rx_bytes gets their bytes as received). */
static inline __attribute__((always_inline)) uint16_t
prefix_switch(struct vswitch_context *ctx, const struct vswitch_table *table,
	      const struct vswitch_port *port, struct rte_mbuf **pkts,
	      uint16_t n, uint64_t stamp, uint16_t untagged_member,
	      const struct vlan_classification *untagged_vlan,
	      uint16_t own_tpid, struct burst_runs *runs, uint64_t *rx_bytes)
{
	const struct vswitch_member *members = table->members;
	const uint8_t *first = rte_pktmbuf_mtod(pkts[0], const uint8_t *);
	uint16_t type = vlan_read16(first + 12);
	struct prefix p = { 0 };
	bool tagged;
	if (untagged_member && !vlan_is_tpid(type)) {
		tagged = false;
		p.in_member = untagged_member;
		p.input = flow_cache_input(untagged_member, untagged_vlan);
		p.pcp = untagged_vlan->pcp;
		p.dei = untagged_vlan->dei;
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
	p.decision = flow_cache_decision(e);
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
	if (r.taken == 0)
		return 0;

	/* The runs, as the frames through the general loop would leave
	 * them. */
	runs->rx = (struct rx_run){ p.in_member, r.taken, r.rx_bytes };
	runs->unicast = (struct unicast_run){ p.bd, r.taken };
	runs->tx = (struct tx_run){ out->id, out->port,
				    (uint16_t)(o->count[out->port] + r.taken),
				    r.taken, r.tx_bytes };
	*rx_bytes += r.rx_bytes;
	return r.taken;
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
	const uint64_t decision = p->decision;
	const uint64_t input_word = flow_cache_word(0, p->input);
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
		struct flow_key key = flow_key_read(inner);
		uint16_t type;
		memcpy(&type, inner + 12, sizeof(type));
		bool ok = differ == 0 && length == rte_pktmbuf_pkt_len(m) &&
			  length >= DECAP_OUTER + RTE_ETHER_HDR_LEN &&
			  total_length == length - RTE_ETHER_HDR_LEN &&
			  udp_length == total_length - 20 &&
			  vxlan_checksum_fold(sum) == 0xffff &&
			  !vlan_is_tpid_network(type);
		const struct flow_cache_entry *e = flow_cache_slot(
			(struct flow_cache_entry *)cache, key);
		if (!ok || ((e->stamp ^ stamp) | (e->mac_head ^ key.head) |
			    (flow_cache_word(e->mac_tail, e->input) ^
			     (key.tail | input_word)) |
			    (flow_cache_decision(e) ^ decision)) != 0)
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
static inline __attribute__((always_inline)) uint16_t
prefix_decap_switch(struct vswitch_context *ctx,
		    const struct vswitch_table *table, struct rte_mbuf **pkts,
		    uint16_t n, uint64_t stamp, struct burst_runs *runs,
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
	p.decision = flow_cache_decision(e);
	uint64_t expected[DECAP_WORDS];
	for (unsigned w = 0; w < DECAP_WORDS; w++)
		expected[w] = vxlan_load64(first + decap_word_offsets[w]);

	const struct vswitch_member *out = &table->members[e->out_member];
	struct vswitch_output *o = &ctx->out;
	struct rte_mbuf **slot = &o->pkts[out->port][o->count[out->port]];
	struct prefix_result r = prefix_decap(ctx, pkts, n, stamp, &p, expected,
					      slot);
	if (r.taken == 0)
		return 0;
	runs->rx = (struct rx_run){ p.in_member, r.taken, r.tx_bytes };
	runs->unicast = (struct unicast_run){ p.bd, r.taken };
	runs->tx = (struct tx_run){ out->id, out->port,
				    (uint16_t)(o->count[out->port] + r.taken),
				    r.taken, r.tx_bytes };
	*rx_bytes += r.rx_bytes;
	return r.taken;
}

/* One pass classifies each frame and asks the flow cache. A frame the
 * cache answers, with nothing before it left waiting, is switched at once
 * (switching frames one at a time in order is then what happens); from
 * the first miss on, frames wait for switch_deferred, which looks the
 * misses up in bulk and switches them all in order. Counters are summed
 * in runs (locals) and written once per run. Inlined three times (the
 * underlay port, ports with a VLAN mode, the others), so that each tests
 * nothing of the others' cases per frame. */
static inline __attribute__((always_inline)) void
process_burst(struct vswitch_context *ctx, const struct vswitch_table *table,
	      uint16_t in_port, struct rte_mbuf **pkts, uint16_t n,
	      const bool underlay, const bool vlan_mode)
{
	const struct vswitch_port *port = &table->ports[in_port];
	const struct vswitch_member *members = table->members;
	struct vswitch_counters *counters = ctx->counters;
	struct flow_cache_entry *cache = ctx->flow_cache;
	uint64_t stamp = (table->version << 32 | (fdb_epoch(ctx->fdb) & 0xffffffff)) |
			 UINT64_C(1) << 63;
	/* The common cases are classified here without the general
	 * classifier (classify_frame), to the same result: untagged frames
	 * of a port that gives them a member (without a VLAN mode its
	 * untagged member; with one but trunk, its VID's member, at the
	 * port's PCP), and on a trunk-like port (trunk, native-*) frames
	 * with one tag of the port's own TPID, an allowed VID and no tag
	 * inside. */
	uint16_t untagged_member = 0, own_tpid = 0;
	struct vlan_classification untagged_vlan = { .verdict = VLAN_OK };
	const uint16_t *vid_member = port->vid_member;
	if (!vlan_mode) {
		untagged_member = port->untagged_member;
	} else if (vid_member) {
		if (port->vlan.mode != VLAN_PORT_trunk) {
			untagged_member = vid_member[port->vlan.vid];
			untagged_vlan.vid = port->vlan.vid;
			untagged_vlan.pcp = port->vlan.pcp;
		}
		if (port->vlan.mode != VLAN_PORT_access &&
		    port->vlan.mode != VLAN_PORT_tunnel)
			own_tpid = port->vlan.tpid;
	}
	uint16_t untagged_bd = members[untagged_member].bd;
	bool prefetch = !port->rx_data_hot;
	struct vid_memo memo = { UINT16_MAX, 0, 0 };
	struct tunnel_memo tunnel_memo = { 0, 0, 0 };
	struct burst_runs runs = { { 0, 0, 0 }, { 0, 0 }, { 0, 0, 0, 0, 0 } };
	struct deferred d;
	d.k = 0;
	d.n_lookups = 0;
	uint64_t rx_bytes = 0;
	uint16_t dropped = 0;
	uint16_t first = 0;
	if (underlay && likely(cache != NULL))
		first = prefix_decap_switch(ctx, table, pkts, n, stamp, &runs,
					    &rx_bytes);
	else if (likely(cache != NULL))
		first = prefix_switch(ctx, table, port, pkts, n, stamp,
				      untagged_member, &untagged_vlan, own_tpid,
				      &runs, &rx_bytes);

	for (uint16_t i = first; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		if (prefetch && i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD],
						       void *));
		rx_bytes += rte_pktmbuf_pkt_len(m);
		struct classification c;
		if (underlay) {
			if (!underlay_input(ctx, table, in_port, m, &c,
					    &tunnel_memo, &runs.tx)) {
				dropped++;
				continue;
			}
		} else {
			const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
			uint16_t length = rte_pktmbuf_data_len(m);
			uint64_t source_mac = frame_source_mac(data);
			uint16_t type = vlan_read16(data + 12);
			bool source_ok = !(source_mac & MAC_GROUP_BIT) && source_mac;
			if (likely(untagged_member && length >= RTE_ETHER_HDR_LEN &&
				   !vlan_is_tpid(type) && source_ok)) {
				c.member = untagged_member;
				c.bd = untagged_bd;
				c.vlan = untagged_vlan;
			} else if (own_tpid && type == own_tpid && source_ok &&
				   classify_own_tagged(port, members, data, length,
						       &memo, &c)) {
				/* classified */
			} else {
				classify_frame(table, port, data, length, &c);
				if (unlikely(!c.member)) {
					count_drop(ctx, m, c.drop, 0, 0);
					dropped++;
					continue;
				}
			}
		}
		const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
		rx_run_add(counters, table, &runs.rx, c.member,
			   rte_pktmbuf_pkt_len(m));
		uint16_t out_member = 0;
		const struct flow_cache_entry *e = NULL;
		if (likely(cache != NULL)) {
			struct flow_key key = flow_key_read(data);
			e = flow_cache_slot(cache, key);
			if (flow_cache_match(e, stamp, key,
					     flow_cache_input(c.member, &c.vlan)))
				out_member = e->out_member;
		}
		if (likely(out_member && d.k == 0)) {
			uint8_t action = e->action;
			if (likely(action == FLOW_CACHE_plain)) {
				unicast_run_add(counters, &runs.unicast, c.bd);
				tx_run_queue(ctx, table, &runs.tx, out_member, m);
				continue;
			}
			if (likely(action != FLOW_CACHE_general)) {
				unicast_run_add(counters, &runs.unicast, c.bd);
				flow_cache_emit(ctx, &runs.tx, action,
						&members[out_member], m, &c.vlan);
				continue;
			}
			const struct vswitch_member *in = &members[c.member];
			if (unlikely(in->policer[POLICER_IN]) &&
			    !input_police(ctx, in, m, &c))
				continue;
			unicast_run_add(counters, &runs.unicast, c.bd);
			member_emit(ctx, &runs.tx, &members[out_member], m,
				    &c.vlan);
			continue;
		}
		uint16_t k = d.k++;
		d.frames[k] = m;
		d.classes[k] = c;
		uint64_t source_key = fdb_key_source(c.bd, data);
		d.source_keys[k] = source_key;
		d.destination_keys[k] = fdb_key_destination(c.bd, data);
		d.cached[k] = out_member;
		if (out_member) {
			d.slot[k] = UINT8_MAX;
		} else {
			d.slot[k] = (uint8_t)d.n_lookups;
			d.lookup_keys[d.n_lookups++] = source_key;
		}
	}
	counters->port[in_port][VSWITCH_PORT_rx_packets] += n;
	counters->port[in_port][VSWITCH_PORT_rx_bytes] += rx_bytes;
	ctx->flow_cache_hits += (uint16_t)(n - dropped) - d.n_lookups;
	ctx->flow_cache_misses += d.n_lookups;

	if (unlikely(d.k)) {
		/* A copy, so that `runs` itself stays in registers. */
		struct burst_runs deferred_runs = runs;
		switch_deferred(ctx, table, &d, &deferred_runs, stamp);
		runs = deferred_runs;
	}
	rx_run_end(counters, table, &runs.rx);
	unicast_run_end(counters, &runs.unicast);
	tx_run_end(ctx, &runs.tx);
}

void vswitch_process(struct vswitch_context *ctx,
		     const struct vswitch_table *table, uint16_t in_port,
		     struct rte_mbuf **pkts, uint16_t n)
{
	if (unlikely(table->vxlan && in_port == table->underlay_port))
		process_burst(ctx, table, in_port, pkts, n, true, false);
	else if (table->ports[in_port].vlan_mode)
		process_burst(ctx, table, in_port, pkts, n, false, true);
	else
		process_burst(ctx, table, in_port, pkts, n, false, false);
}
