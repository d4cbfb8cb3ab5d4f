/* Table building: the control thread compiles a `struct vswitch_table_spec`
 * (resolved ids and port indexes) into an immutable table for the workers.
 * Nothing here runs on the fast path. */
#include "vswitch.h"
#include "vxlan.h"

#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>

void vswitch_table_free(struct vswitch_table *table)
{
	if (!table)
		return;
	for (unsigned p = 0; p < VSWITCH_MAX_PORTS; p++)
		rte_free(table->ports[p].vid_member);
	if (table->bds)
		for (unsigned b = 0; b <= table->max_bd_id; b++)
			rte_free(table->bds[b].members);
	rte_free(table->bds);
	rte_free(table->members);
	rte_free(table->policers);
	rte_free(table);
}

static struct vswitch_table *table_fail(struct vswitch_table *table, char *err,
					size_t err_size, const char *format,
					const char *a, const char *b)
{
	snprintf(err, err_size, format, a, b);
	vswitch_table_free(table);
	return NULL;
}

struct vswitch_table *vswitch_table_build(const struct vswitch_table_spec *spec,
					  char *err, size_t err_size)
{
	struct vswitch_table *table = rte_zmalloc("vswitch_table", sizeof(*table),
						  RTE_CACHE_LINE_SIZE);
	if (!table) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	table->version = spec->version;
	table->vxlan = spec->vxlan;
	table->underlay_port = spec->underlay_port;

	uint16_t max_member = 0, max_bd = 0;
	for (size_t b = 0; b < spec->n_bds; b++) {
		const struct vswitch_bd_spec *bd = &spec->bds[b];
		if (bd->id == 0 || bd->id > VSWITCH_MAX_BD)
			return table_fail(table, err, err_size,
					  "bridge domain %s: id out of range%s",
					  bd->name, "");
		if (bd->id > max_bd)
			max_bd = bd->id;
		for (size_t m = 0; m < bd->n_members; m++) {
			uint16_t id = bd->members[m].id;
			if (id == 0 || id > VSWITCH_MAX_MEMBERS)
				return table_fail(table, err, err_size,
						  "bridge domain %s: member id out of range%s",
						  bd->name, "");
			if (id > max_member)
				max_member = id;
		}
	}
	table->max_bd_id = max_bd;
	table->max_member_id = max_member;
	size_t n_policers = 0;
	for (size_t b = 0; b < spec->n_bds; b++)
		for (size_t m = 0; m < spec->bds[b].n_members; m++)
			for (int d = 0; d < POLICER_DIRECTIONS; d++)
				n_policers += spec->bds[b].members[m].policer[d] != NULL;
	if (n_policers) {
		table->policers = rte_zmalloc("vswitch_policers",
					      sizeof(*table->policers) * n_policers,
					      RTE_CACHE_LINE_SIZE);
		if (!table->policers)
			return table_fail(table, err, err_size, "out of memory%s%s",
					  "", "");
	}
	n_policers = 0;
	table->bds = rte_zmalloc("vswitch_bds", sizeof(*table->bds) * (max_bd + 1u),
				 RTE_CACHE_LINE_SIZE);
	table->members = rte_zmalloc("vswitch_members",
				     sizeof(*table->members) * (max_member + 1u),
				     RTE_CACHE_LINE_SIZE);
	if (!table->bds || !table->members)
		return table_fail(table, err, err_size, "out of memory%s%s", "", "");

	for (unsigned p = 0; p < VSWITCH_MAX_PORTS; p++) {
		struct vswitch_port *port = &table->ports[p];
		port->present = spec->ports[p].present;
		port->up = spec->ports[p].present && spec->ports[p].up;
		port->link_up = spec->ports[p].link_up;
		port->rx_data_hot = spec->ports[p].rx_data_hot;
		if (spec->ports[p].vlan) {
			port->vlan_mode = true;
			port->vlan = *spec->ports[p].vlan;
		}
		if (spec->ports[p].name)
			snprintf(port->name, sizeof(port->name), "%s",
				 spec->ports[p].name);
	}

	for (size_t b = 0; b < spec->n_bds; b++) {
		const struct vswitch_bd_spec *bd_spec = &spec->bds[b];
		struct vswitch_bd *bd = &table->bds[bd_spec->id];
		if (bd->id)
			return table_fail(table, err, err_size,
					  "bridge domains %s and %s share an id",
					  bd->name, bd_spec->name);
		bd->id = bd_spec->id;
		bd->learning = bd_spec->learning;
		snprintf(bd->name, sizeof(bd->name), "%s", bd_spec->name);
		bd->members = rte_zmalloc("vswitch_bd_members",
					  sizeof(uint16_t) * (bd_spec->n_members + 1),
					  0);
		if (!bd->members)
			return table_fail(table, err, err_size, "out of memory%s%s", "", "");

		for (size_t m = 0; m < bd_spec->n_members; m++) {
			const struct vswitch_member *ms = &bd_spec->members[m];
			struct vswitch_member *member = &table->members[ms->id];
			if (member->id)
				return table_fail(table, err, err_size,
						  "member id used twice (bridge domains %s and %s)",
						  table->bds[member->bd].name,
						  bd_spec->name);
			if (ms->port >= VSWITCH_MAX_PORTS ||
			    !table->ports[ms->port].present)
				return table_fail(table, err, err_size,
						  "bridge domain %s: member on a missing port%s",
						  bd_spec->name, "");
			if (ms->vid > 4094)
				return table_fail(table, err, err_size,
						  "bridge domain %s: VID out of range%s",
						  bd_spec->name, "");
			*member = *ms;
			member->bd = bd->id;
			for (int d = 0; d < POLICER_DIRECTIONS; d++) {
				if (!ms->policer[d])
					continue;
				table->policers[n_policers] = *ms->policer[d];
				member->policer[d] = &table->policers[n_policers++];
			}
			struct vswitch_port *port = &table->ports[ms->port];
			if (ms->kind == VSWITCH_MEMBER_KIND_TUNNEL) {
				/* Leaves encapsulated, carrying the frame's own
				 * tags inside; not reached by classification
				 * but by decapsulation. */
				member->egress = (struct vlan_egress){
					.verdict = VLAN_OK,
					.inner_tags_max = VLAN_MAX_DEPTH };
				if (!table->vxlan)
					return table_fail(table, err, err_size,
							  "bridge domain %s: a tunnel member "
							  "without a VTEP%s", bd_spec->name, "");
				bd->members[bd->n_members++] = ms->id;
				continue;
			}
			member->kind = ms->vid ? VSWITCH_MEMBER_KIND_PORT_VLAN
					       : VSWITCH_MEMBER_KIND_PORT;
			if (port->vlan_mode) {
				member->egress = vlan_port_egress(&port->vlan, ms->vid);
				if (ms->vid == 0 || member->egress.verdict != VLAN_OK)
					return table_fail(table, err, err_size,
							  "port %s: its VLAN mode does not carry "
							  "the VID of a member of %s",
							  port->name, bd_spec->name);
			} else {
				/* Hybrid: VID members are 802.1Q-tagged; the
				 * VID 0 member passes up to two tags inside. */
				member->egress = (struct vlan_egress){
					.verdict = VLAN_OK, .push = ms->vid != 0,
					.inner_tags_max = ms->vid ? 1 : VLAN_MAX_DEPTH,
					.tpid = VLAN_TPID_8021Q, .vid = ms->vid };
			}
			if (ms->vid == 0) {
				snprintf(member->name, sizeof(member->name), "%s",
					 port->name);
				if (port->untagged_member)
					return table_fail(table, err, err_size,
							  "port %s: untagged member of two bridge domains (%s)",
							  port->name, bd_spec->name);
				port->untagged_member = ms->id;
			} else {
				snprintf(member->name, sizeof(member->name),
					 "%.40s.%u", port->name, ms->vid);
				if (!port->vid_member) {
					port->vid_member = rte_zmalloc(
						"vswitch_vid_member",
						sizeof(uint16_t) * 4096, 0);
					if (!port->vid_member)
						return table_fail(table, err, err_size,
								  "out of memory%s%s", "", "");
				}
				if (port->vid_member[ms->vid])
					return table_fail(table, err, err_size,
							  "member %s in two bridge domains (%s)",
							  member->name, bd_spec->name);
				port->vid_member[ms->vid] = ms->id;
			}
			bd->members[bd->n_members++] = ms->id;
		}
	}
	for (unsigned id = 1; id <= table->max_member_id; id++) {
		struct vswitch_member *member = &table->members[id];
		const struct policer_profile *out = member->policer[POLICER_OUT];
		if (!member->id)
			continue;
		member->rewrites = member->egress.push ||
				   member->kind == VSWITCH_MEMBER_KIND_TUNNEL ||
				   (out && out->action != POLICER_drop);
		member->encap = member->kind == VSWITCH_MEMBER_KIND_TUNNEL
					? vxlan_tunnel_template(table->vxlan, member->id)
					: NULL;
	}
	return table;
}
