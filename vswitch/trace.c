/* Trace: what the pipeline would do with one frame, computed by the same
 * decision steps (pipeline_private.h) without learning, counting or
 * sending. Runs on the control thread against the published table. */
#include "pipeline_private.h"

#include <string.h>

static void trace_drop(struct vswitch_trace *trace, enum vswitch_drop_reason why)
{
	trace->dropped = true;
	trace->drop_reason = why;
}

void vswitch_trace_frame(const struct vswitch_table *table,
			 const struct fdb *fdb, uint16_t in_port,
			 const uint8_t *frame, uint16_t length,
			 struct vswitch_trace *trace)
{
	memset(trace, 0, sizeof(*trace));
	trace->would_learn = FDB_LEARN_unchanged;
	if (in_port >= VSWITCH_MAX_PORTS || !table->ports[in_port].present) {
		trace_drop(trace, VSWITCH_DROP_no_bd);
		return;
	}
	const struct vswitch_port *port = &table->ports[in_port];
	if (!port->up) {
		trace_drop(trace, VSWITCH_DROP_port_down);
		return;
	}
	struct classification c;
	if (table->vxlan && in_port == table->underlay_port) {
		struct vxlan_decap_result decap = { 0 };
		enum vxlan_decap_verdict verdict;
		classify_underlay(table, frame, length, &c, &decap, &verdict,
				  NULL);
		if (c.member) {
			frame += decap.inner_offset;
			length = decap.inner_length;
		} else if (verdict == VXLAN_DECAP_arp) {
			/* As the pipeline: answered in place, or learned, or
			 * dropped; on a copy, the frame is the caller's. */
			uint8_t copy[VXLAN_ARP_FRAME_LENGTH + 64];
			uint16_t n = length < sizeof(copy) ? length : sizeof(copy);
			struct vxlan_arp arp;
			memcpy(copy, frame, n);
			enum vxlan_arp_verdict v = vxlan_arp_handle(
				&table->vxlan->underlay, copy, n, &arp);
			if (v == VXLAN_ARP_reply) {
				trace->arp_reply = true;
				trace->outputs[0].port = in_port;
				trace->n_outputs = 1;
				return;
			}
			trace_drop(trace, arp_drop_reason(v));
			return;
		}
	} else {
		classify_frame(table, port, frame, length, &c);
	}
	if (!c.member) {
		trace_drop(trace, c.drop);
		return;
	}
	trace->in_member = c.member;
	trace->bd = c.bd;
	const struct vswitch_member *in = &table->members[c.member];
	const struct vswitch_bd *bd = &table->bds[c.bd];

	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)frame;
	uint64_t keys[2] = { fdb_key(c.bd, &eth->src_addr),
			     fdb_key(c.bd, &eth->dst_addr) };
	struct fdb_result results[2];
	fdb_lookup_bulk(fdb, keys, 2, results);

	if (results[0].member != FDB_NO_MEMBER) {
		trace->source_known = true;
		trace->source_member = results[0].member;
		trace->source_static = results[0].is_static;
	}
	if (results[0].member != in->id || results[0].refresh_due) {
		if (results[0].is_static) {
			trace->would_learn = FDB_LEARN_static_conflict;
			trace_drop(trace, VSWITCH_DROP_static_mac_violation);
			return;
		}
		if (bd->learning)
			trace->would_learn =
				results[0].member == FDB_NO_MEMBER ? FDB_LEARN_learned
				: results[0].member == in->id	   ? FDB_LEARN_refreshed
								   : FDB_LEARN_moved;
	}

	if (!(eth->dst_addr.addr_bytes[0] & 1) &&
	    results[1].member != FDB_NO_MEMBER) {
		const struct vswitch_member *out =
			vswitch_table_member(table, results[1].member);
		if (out && out->bd == bd->id) {
			trace->destination_known = true;
			trace->destination_member = out->id;
			enum vswitch_drop_reason why;
			if (!member_may_send(table, in, out, &why) ||
			    !egress_allowed(&c.vlan, out, &why)) {
				trace_drop(trace, why);
				return;
			}
			trace->outputs[0].member = out->id;
			trace->outputs[0].port = out->port;
			trace->n_outputs = 1;
			return;
		}
	}
	trace->flooded = true;
	for (uint16_t i = 0; i < bd->n_members; i++) {
		const struct vswitch_member *out = &table->members[bd->members[i]];
		enum vswitch_drop_reason why;
		if (!member_may_send(table, in, out, &why) ||
		    !egress_allowed(&c.vlan, out, &why))
			continue;
		if (trace->n_outputs == VSWITCH_TRACE_MAX_OUTPUTS)
			break;
		trace->outputs[trace->n_outputs].member = out->id;
		trace->outputs[trace->n_outputs].port = out->port;
		trace->n_outputs++;
	}
	if (trace->n_outputs == 0)
		trace_drop(trace, VSWITCH_DROP_flood_no_members);
}
