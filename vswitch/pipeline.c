/* The packet pipeline: once per rx burst, classify, learn, look up, forward
 * or flood. Runs on worker lcores: no allocation beyond flood copies, no
 * locks except the FDB's bucket lock when a MAC is learned, no syscalls.
 *
 * Steps over the whole burst, so the FDB sees one bulk lookup of all source
 * and destination keys (its bucket prefetches overlap):
 *   1. classify every frame to (member, BD); drop what cannot be;
 *   2. bulk lookup of sources and destinations;
 *   3. per frame: learn the source if needed, then unicast or flood.
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
 * frame. */
struct counter_run {
	uint16_t member;
	uint32_t packets;
	uint64_t bytes;
};

static inline void run_flush(uint64_t (*counters)[VSWITCH_MEMBER_COUNTER_MAX],
			     struct counter_run *run, unsigned packets_index,
			     unsigned bytes_index)
{
	if (run->packets) {
		counters[run->member][packets_index] += run->packets;
		counters[run->member][bytes_index] += run->bytes;
	}
	run->packets = 0;
	run->bytes = 0;
}

static inline void run_add(uint64_t (*counters)[VSWITCH_MEMBER_COUNTER_MAX],
			   struct counter_run *run, uint16_t member,
			   uint32_t bytes, unsigned packets_index,
			   unsigned bytes_index)
{
	if (unlikely(run->member != member)) {
		run_flush(counters, run, packets_index, bytes_index);
		run->member = member;
	}
	run->packets++;
	run->bytes += bytes;
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
static inline bool tunnel_encap(struct vswitch_context *ctx,
				const struct vswitch_table *table,
				const struct vswitch_member *out,
				struct rte_mbuf *m)
{
	const struct vxlan_encap_template *template =
		vxlan_tunnel_template(table->vxlan, out->id);
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
member_emit(struct vswitch_context *ctx,
			       const struct vswitch_table *table,
			       struct counter_run *tx_run,
			       const struct vswitch_member *out,
			       struct rte_mbuf *m,
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
		    !tunnel_encap(ctx, table, out, m))
			return;
	}
	/* Marks go on the frame as it leaves (the outer header of a
	 * tunnel's). */
	if (unlikely(police == POLICE_mark))
		frame_mark(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m),
			   out->policer[POLICER_OUT]);
	struct vswitch_output *o = &ctx->out;
	uint16_t port = out->port;
	o->pkts[port][o->count[port]++] = m;
	o->bytes[port] += rte_pktmbuf_pkt_len(m);
	o->dirty |= UINT64_C(1) << port;
	run_add(ctx->counters->member, tx_run, out->id, rte_pktmbuf_pkt_len(m),
		VSWITCH_MEMBER_tx_packets, VSWITCH_MEMBER_tx_bytes);
}

/* One copy to every other member of the BD, exactly once each. Members
 * that send the frame as received share it by reference count; each one
 * that rewrites its tags gets a private copy. */
static void bd_flood(struct vswitch_context *ctx, struct counter_run *tx_run,
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
		member_emit(ctx, table, tx_run, out, copy, vlan);
	}
	if (original_target) {
		member_emit(ctx, table, tx_run, original_target, m, vlan);
		return;
	}
	for (unsigned i = 0; i < n_targets; i++)
		if (egress_unchanged(vlan, targets[i]))
			member_emit(ctx, table, tx_run, targets[i], m, vlan);
}

/* Ends a run of input frames of one member: member and BD counters. */
static inline void bd_run_flush(struct vswitch_counters *counters,
				const struct vswitch_table *table,
				struct counter_run *run, uint64_t *unicast)
{
	if (!run->packets)
		return;
	uint64_t *bc = counters->bd[table->members[run->member].bd];
	bc[VSWITCH_BD_packets] += run->packets;
	bc[VSWITCH_BD_bytes] += run->bytes;
	bc[VSWITCH_BD_unicast] += *unicast;
	run_flush(counters->member, run, VSWITCH_MEMBER_rx_packets,
		  VSWITCH_MEMBER_rx_bytes);
	*unicast = 0;
}

/* Underlay ARP: requests for our address are answered in place and sent
 * back; replies to us go to the control thread's neighbour table. */
static void underlay_arp(struct vswitch_context *ctx,
			 const struct vswitch_table *table, uint16_t in_port,
			 struct rte_mbuf *m)
{
	struct vxlan_arp arp;
	enum vxlan_arp_verdict verdict = vxlan_arp_handle(
		&table->vxlan->underlay, rte_pktmbuf_mtod(m, uint8_t *),
		rte_pktmbuf_data_len(m), &arp);
	switch (verdict) {
	case VXLAN_ARP_reply: {
		struct vswitch_output *o = &ctx->out;
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
static bool underlay_input(struct vswitch_context *ctx,
			   const struct vswitch_table *table, uint16_t in_port,
			   struct rte_mbuf *m, struct classification *c)
{
	struct vxlan_decap_result decap = { 0 };
	enum vxlan_decap_verdict verdict;
	classify_underlay(table, rte_pktmbuf_mtod(m, const uint8_t *),
			  rte_pktmbuf_data_len(m), c, &decap, &verdict);
	if (!c->member) {
		if (verdict == VXLAN_DECAP_arp)
			underlay_arp(ctx, table, in_port, m);
		else
			count_drop(ctx, m, c->drop, 0, 0);
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

static inline struct flow_cache_entry *
flow_cache_slot(struct flow_cache_entry *cache, uint64_t source_key,
		uint64_t destination_key)
{
	/* Multiplicative: CRC32 is linear, and flows that differ in the
	 * same byte of both MACs (as many do) would cancel out. */
	uint64_t hash = source_key * UINT64_C(0x9e3779b97f4a7c15) ^
			destination_key * UINT64_C(0xc2b2ae3d27d4eb4f);
	return &cache[(hash ^ (hash >> 31)) >> (64 - 12)];
}

void vswitch_process(struct vswitch_context *ctx,
		     const struct vswitch_table *table, uint16_t in_port,
		     struct rte_mbuf **pkts, uint16_t n)
{
	const struct vswitch_port *port = &table->ports[in_port];
	struct vswitch_counters *counters = ctx->counters;
	uint64_t source_keys[VSWITCH_BURST], destination_keys[VSWITCH_BURST];
	uint64_t lookup_keys[2 * VSWITCH_BURST];
	struct fdb_result results[2 * VSWITCH_BURST];
	struct rte_mbuf *frames[VSWITCH_BURST];
	struct classification classes[VSWITCH_BURST];
	uint16_t cached[VSWITCH_BURST]; /* output member from the cache, 0 */
	uint8_t slot[VSWITCH_BURST];    /* lookup slot, UINT8_MAX on a hit */
	uint16_t k = 0, n_lookups = 0;
	struct flow_cache_entry *cache = ctx->flow_cache;
	uint64_t stamp = (table->version << 32 | (fdb_epoch(ctx->fdb) & 0xffffffff)) |
			 UINT64_C(1) << 63;

	uint64_t rx_bytes = 0;
	for (uint16_t i = 0; i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
		rx_bytes += rte_pktmbuf_pkt_len(m);
		struct classification *c = &classes[k];
		if (unlikely(table->vxlan && in_port == table->underlay_port)) {
			if (!underlay_input(ctx, table, in_port, m, c))
				continue;
			data = rte_pktmbuf_mtod(m, const uint8_t *);
		} else {
			classify_frame(table, port, data, rte_pktmbuf_data_len(m), c);
			if (unlikely(!c->member)) {
				count_drop(ctx, m, c->drop, 0, 0);
				continue;
			}
		}
		uint64_t source_key = fdb_key_source(c->bd, data);
		uint64_t destination_key = fdb_key_destination(c->bd, data);
		source_keys[k] = source_key;
		destination_keys[k] = destination_key;
		cached[k] = 0;
		if (cache) {
			const struct flow_cache_entry *e =
				flow_cache_slot(cache, source_key, destination_key);
			if (e->stamp == stamp && e->source_key == source_key &&
			    e->destination_key == destination_key &&
			    e->in_member == c->member &&
			    e->inner_tags == c->vlan.inner_tags)
				cached[k] = e->out_member;
		}
		if (cached[k]) {
			slot[k] = UINT8_MAX;
		} else {
			slot[k] = (uint8_t)n_lookups;
			lookup_keys[n_lookups++] = source_key;
		}
		frames[k++] = m;
	}
	counters->port[in_port][VSWITCH_PORT_rx_packets] += n;
	counters->port[in_port][VSWITCH_PORT_rx_bytes] += rx_bytes;
	ctx->flow_cache_hits += k - n_lookups;
	ctx->flow_cache_misses += n_lookups;
	if (k == 0)
		return;

	/* One bulk lookup for the frames the cache did not answer: sources
	 * then destinations, contiguous. */
	if (n_lookups) {
		for (uint16_t i = 0; i < k; i++)
			if (slot[i] != UINT8_MAX)
				lookup_keys[n_lookups + slot[i]] = destination_keys[i];
		fdb_lookup_bulk(ctx->fdb, lookup_keys, 2u * n_lookups, results);
	}

	struct counter_run rx_run = { 0, 0, 0 }, tx_run = { 0, 0, 0 };
	/* BD counters follow the input member: one run serves both. */
	uint64_t run_unicast = 0;
	uint64_t learned_keys[VSWITCH_BURST];
	unsigned n_learned = 0;
	for (uint16_t i = 0; i < k; i++) {
		struct rte_mbuf *m = frames[i];
		struct classification *c = &classes[i];
		const struct vswitch_member *in = &table->members[c->member];
		const struct vswitch_bd *bd = &table->bds[c->bd];
		uint64_t *bc = counters->bd[bd->id];
		uint32_t length = rte_pktmbuf_pkt_len(m);
		if (unlikely(rx_run.member != in->id)) {
			bd_run_flush(counters, table, &rx_run, &run_unicast);
			rx_run.member = in->id;
		}
		rx_run.packets++;
		rx_run.bytes += length;
		if (unlikely(in->policer[POLICER_IN])) {
			enum police_verdict police =
				member_police(ctx, in, POLICER_IN, m);
			if (police == POLICE_drop)
				continue;
			if (police == POLICE_mark) {
				/* On the frame as received, and on any tag an
				 * output member writes from the classification. */
				const struct policer_profile *profile =
					in->policer[POLICER_IN];
				frame_mark(rte_pktmbuf_mtod(m, uint8_t *),
					   rte_pktmbuf_data_len(m), profile);
				if (profile->action == POLICER_mark_pcp)
					c->vlan.pcp = profile->mark;
			}
		}

		struct fdb_result own[2];
		const struct fdb_result *src, *dst_result;
		if (cached[i]) {
			/* A MAC learned earlier in this burst may change the
			 * decision: look such a frame up after all. */
			bool stale = false;
			for (unsigned l = 0; l < n_learned; l++)
				stale |= learned_keys[l] == source_keys[i] ||
					 learned_keys[l] == destination_keys[i];
			if (likely(!stale)) {
				run_unicast++;
				member_emit(ctx, table, &tx_run,
					    &table->members[cached[i]], m, &c->vlan);
				continue;
			}
			uint64_t pair[2] = { source_keys[i], destination_keys[i] };
			fdb_lookup_bulk(ctx->fdb, pair, 2, own);
			src = &own[0];
			dst_result = &own[1];
		} else {
			src = &results[slot[i]];
			dst_result = &results[n_lookups + slot[i]];
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
							  slot, n_lookups, results, k,
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
					struct flow_cache_entry *e = flow_cache_slot(
						cache, source_keys[i],
						destination_keys[i]);
					*e = (struct flow_cache_entry){
						.source_key = source_keys[i],
						.destination_key = destination_keys[i],
						.stamp = stamp,
						.in_member = in->id,
						.out_member = out->id,
						.inner_tags = c->vlan.inner_tags,
					};
				}
				run_unicast++;
				member_emit(ctx, table, &tx_run, out, m, &c->vlan);
				continue;
			}
		}
		bd_flood(ctx, &tx_run, table, bd, in, m, &c->vlan);
	}
	bd_run_flush(counters, table, &rx_run, &run_unicast);
	run_flush(counters->member, &tx_run, VSWITCH_MEMBER_tx_packets,
		  VSWITCH_MEMBER_tx_bytes);
}
