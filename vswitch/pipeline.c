/* The packet pipeline: once per rx burst, classify, learn, look up, forward
 * or flood. Runs on worker lcores: no allocation beyond flood copies, no
 * locks except the FDB's bucket lock when a MAC is learned, no syscalls.
 *
 * The burst, in order (vswitch_process, then process_burst):
 *   0. the uniform prefix (prefix.c): the first frames that are alike
 *      (classified the common way, one flow cache decision) are switched a
 *      burst at a time; a burst taken whole ends there (burst_end), the
 *      steps below take the rest;
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
 * Cost budget, measured (tests/perf/switch-bench, loom's share beside the
 * PMDs'): ~13 cycles per frame for a burst of plain hits, ~17 with a tag
 * pushed or popped, ~27 with outer headers written.
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

static inline void common_classes_of(const struct vswitch_port *port,
				     bool vlan_mode, struct common_classes *cc)
{
	cc->untagged_member = 0;
	cc->own_tpid = 0;
	cc->untagged_vlan = (struct vlan_classification){ .verdict = VLAN_OK };
	if (!vlan_mode) {
		cc->untagged_member = port->untagged_member;
	} else if (port->vid_member) {
		if (port->vlan.mode != VLAN_PORT_trunk) {
			cc->untagged_member = port->vid_member[port->vlan.vid];
			cc->untagged_vlan.vid = port->vlan.vid;
			cc->untagged_vlan.pcp = port->vlan.pcp;
		}
		if (port->vlan.mode != VLAN_PORT_access &&
		    port->vlan.mode != VLAN_PORT_tunnel)
			cc->own_tpid = port->vlan.tpid;
	}
}

/* The counters a burst leaves: the port's rx, the flow cache's, and the
 * runs still open. */
static inline void burst_end(struct vswitch_context *ctx,
			     const struct vswitch_table *table, uint16_t in_port,
			     uint16_t n, uint64_t rx_bytes, uint16_t hits,
			     uint16_t misses, struct burst_runs *runs)
{
	struct vswitch_counters *counters = ctx->counters;
	counters->port[in_port][VSWITCH_PORT_rx_packets] += n;
	counters->port[in_port][VSWITCH_PORT_rx_bytes] += rx_bytes;
	ctx->flow_cache_hits += hits;
	ctx->flow_cache_misses += misses;
	rx_run_end(counters, table, &runs->rx);
	unicast_run_end(counters, &runs->unicast);
	tx_run_end(ctx, &runs->tx);
}

/* The general loop, from frame `first` (the uniform prefix took the
 * frames before it and left `runs` and `rx_bytes` as this loop would
 * have). One pass classifies each frame and asks the flow cache. A frame
 * the cache answers, with nothing before it left waiting, is switched at
 * once (switching frames one at a time in order is then what happens);
 * from the first miss on, frames wait for switch_deferred, which looks the
 * misses up in bulk and switches them all in order. Counters are summed
 * in runs (locals) and written once per run. Two instances (the
 * underlay port, the others: process_underlay, process_port), so that
 * neither tests the other's case per frame. */
static inline __attribute__((always_inline)) void
process_burst(struct vswitch_context *ctx, const struct vswitch_table *table,
	      uint16_t in_port, struct rte_mbuf **pkts, uint16_t n,
	      const bool underlay, const struct common_classes *cc,
	      uint64_t stamp, uint16_t first, const struct burst_runs *runs_in,
	      uint64_t rx_bytes)
{
	const struct vswitch_port *port = &table->ports[in_port];
	const struct vswitch_member *members = table->members;
	struct vswitch_counters *counters = ctx->counters;
	struct flow_cache_entry *cache = ctx->flow_cache;
	const uint16_t untagged_member = cc->untagged_member;
	const uint16_t own_tpid = cc->own_tpid;
	const struct vlan_classification untagged_vlan = cc->untagged_vlan;
	uint16_t untagged_bd = members[untagged_member].bd;
	bool prefetch = !port->rx_data_hot;
	struct vid_memo memo = { UINT16_MAX, 0, 0 };
	struct tunnel_memo tunnel_memo = { 0, 0, 0 };
	struct burst_runs runs = *runs_in;
	struct deferred d;
	d.k = 0;
	d.n_lookups = 0;
	uint16_t dropped = 0;

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
	uint16_t n_lookups = d.n_lookups;
	if (unlikely(d.k)) {
		/* A copy, so that `runs` itself stays in registers. */
		struct burst_runs deferred_runs = runs;
		switch_deferred(ctx, table, &d, &deferred_runs, stamp);
		runs = deferred_runs;
	}
	burst_end(ctx, table, in_port, n, rx_bytes,
		  (uint16_t)((uint16_t)(n - dropped) - n_lookups), n_lookups, &runs);
}

/* The general loop's three instances, each a function of its own so that
 * a burst the prefix takes whole pays none of their set-up. */
#define PROCESS_INSTANCE(name, underlay)                                       \
	static __attribute__((noinline)) void name(                             \
		struct vswitch_context *ctx, const struct vswitch_table *table, \
		uint16_t in_port, struct rte_mbuf **pkts, uint16_t n,           \
		const struct common_classes *cc, uint64_t stamp,                \
		uint16_t first, const struct burst_runs *runs,                  \
		uint64_t rx_bytes)                                              \
	{                                                                      \
		process_burst(ctx, table, in_port, pkts, n, underlay, cc,       \
			      stamp, first, runs, rx_bytes);                    \
	}
PROCESS_INSTANCE(process_underlay, true)
PROCESS_INSTANCE(process_port, false)
#undef PROCESS_INSTANCE


void vswitch_process(struct vswitch_context *ctx,
		     const struct vswitch_table *table, uint16_t in_port,
		     struct rte_mbuf **pkts, uint16_t n)
{
	const bool underlay = table->vxlan && in_port == table->underlay_port;
	const struct vswitch_port *port = &table->ports[in_port];
	struct common_classes cc = { 0 };
	if (!underlay) /* the underlay's frames are VXLAN: decap classifies */
		common_classes_of(port, port->vlan_mode, &cc);
	uint64_t stamp = (table->version << 32 | (fdb_epoch(ctx->fdb) & 0xffffffff)) |
			 UINT64_C(1) << 63;
	struct burst_runs runs = { { 0, 0, 0 }, { 0, 0 }, { 0, 0, 0, 0, 0 } };
	uint64_t rx_bytes = 0;
	uint16_t first = 0;
	if (likely(ctx->flow_cache != NULL)) {
		if (unlikely(underlay))
			first = vswitch_prefix_decap_switch(ctx, table, pkts, n,
							    stamp, &runs,
							    &rx_bytes);
		else
			first = vswitch_prefix_switch(ctx, table, port, pkts, n,
						      stamp, &cc, &runs,
						      &rx_bytes);
		if (likely(first == n)) {
			burst_end(ctx, table, in_port, n, rx_bytes, n, 0, &runs);
			return;
		}
	}
	if (unlikely(underlay))
		process_underlay(ctx, table, in_port, pkts, n, &cc, stamp, first,
				 &runs, rx_bytes);
	else
		process_port(ctx, table, in_port, pkts, n, &cc, stamp, first,
			     &runs, rx_bytes);
}
