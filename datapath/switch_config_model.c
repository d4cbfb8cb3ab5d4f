/* switch_config: the model's plain operations (defaults, free, copy,
 * equal, lookups, BD id assignment) and its JSON form; the loaders are in
 * switch_config.c. */
#include "switch_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* ---- Defaults, free, copy, equal --------------------------------------- */

void switch_config_default_socket(struct switch_config *config)
{
	snprintf(config->control.socket, sizeof(config->control.socket),
		 "/run/loom-switch.%s.sock", config->eal.file_prefix);
}

void switch_config_default_lcores(struct switch_config *config)
{
	/* The main lcore then one per worker. */
	snprintf(config->eal.lcores, sizeof(config->eal.lcores), "0-%" PRIu32,
		 config->datapath.workers);
}

void switch_config_init(struct switch_config *config)
{
	memset(config, 0, sizeof(*config));
	config->eal.memory_mb = 256;
	snprintf(config->eal.file_prefix, sizeof(config->eal.file_prefix),
		 "loom-switch");
	config->eal.no_huge = true;
	config->eal.no_pci = true;
	config->datapath.workers = 1;
	config->datapath.idle_sleep_max_us = 100;
	config->datapath.mbufs = 8191;
	config->datapath.rx_burst = 32;
	config->datapath.drain_us = 100;
	switch_config_default_lcores(config);
	switch_config_default_socket(config);
	config->fdb.capacity = 65536;
	config->fdb.limit = 0;
	config->fdb.age_seconds = 300;
	config->fdb.clock = FDB_CLOCK_SYSTEM;
}

static void bd_free(struct bd_config *bd)
{
	free(bd->members);
	free(bd->static_macs);
	bd->members = NULL;
	bd->static_macs = NULL;
	bd->n_members = 0;
	bd->n_static_macs = 0;
}

void switch_config_free(struct switch_config *config)
{
	for (size_t i = 0; i < config->n_bds; i++)
		bd_free(&config->bds[i]);
	free(config->bds);
	free(config->ports);
	free(config->vtep.routes);
	free(config->vtep.neighbours);
	switch_config_init(config);
}

/* calloc that returns NULL for no items without calling it a failure. */
static void *array_copy(const void *src, size_t count, size_t size, bool *failed)
{
	if (!count)
		return NULL;
	void *copy = calloc(count, size);
	if (!copy) {
		*failed = true;
		return NULL;
	}
	memcpy(copy, src, count * size);
	return copy;
}

int switch_config_copy(struct switch_config *dst, const struct switch_config *src)
{
	bool failed = false;

	*dst = *src;
	dst->n_ports = 0;
	dst->n_bds = 0;
	dst->ports = array_copy(src->ports, src->n_ports, sizeof(*src->ports),
				&failed);
	dst->bds = array_copy(src->bds, src->n_bds, sizeof(*src->bds), &failed);
	dst->vtep.routes = array_copy(src->vtep.routes, src->vtep.n_routes,
				      sizeof(*src->vtep.routes), &failed);
	dst->vtep.neighbours = array_copy(src->vtep.neighbours,
					  src->vtep.n_neighbours,
					  sizeof(*src->vtep.neighbours), &failed);
	if (failed) {
		free(dst->ports);
		free(dst->bds);
		free(dst->vtep.routes);
		free(dst->vtep.neighbours);
		switch_config_init(dst);
		return -1;
	}
	dst->n_ports = src->n_ports;
	/* The BD array now shares member arrays with src: replace them one by
	 * one, counting only the BDs done so that a failure frees just those. */
	for (size_t i = 0; i < src->n_bds; i++) {
		struct bd_config *bd = &dst->bds[i];
		const struct bd_config *from = &src->bds[i];
		bd->members = array_copy(from->members, from->n_members,
					 sizeof(*from->members), &failed);
		bd->static_macs = array_copy(from->static_macs,
					     from->n_static_macs,
					     sizeof(*from->static_macs), &failed);
		dst->n_bds = i + 1;
		if (failed) {
			switch_config_free(dst);
			return -1;
		}
	}
	return 0;
}

static bool port_equal(const struct port_config *a, const struct port_config *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->devargs, b->devargs) &&
	       a->admin_up == b->admin_up && a->mtu == b->mtu &&
	       a->rx_queues == b->rx_queues &&
	       a->vlan_configured == b->vlan_configured &&
	       (!a->vlan_configured || !memcmp(&a->vlan, &b->vlan, sizeof(a->vlan)));
}

static bool bd_equal(const struct bd_config *a, const struct bd_config *b)
{
	if (strcmp(a->name, b->name) || a->id != b->id ||
	    a->learning != b->learning || a->mac_limit != b->mac_limit ||
	    a->n_members != b->n_members || a->n_static_macs != b->n_static_macs)
		return false;
	for (size_t i = 0; i < a->n_members; i++) {
		const struct member_config *x = &a->members[i], *y = &b->members[i];
		if (strcmp(x->port, y->port) || x->vid != y->vid ||
		    x->split_horizon != y->split_horizon ||
		    x->tunnel != y->tunnel || x->vni != y->vni ||
		    memcmp(x->policer, y->policer, sizeof(x->policer)))
			return false;
	}
	for (size_t i = 0; i < a->n_static_macs; i++) {
		const struct static_mac_config *x = &a->static_macs[i];
		const struct static_mac_config *y = &b->static_macs[i];
		if (memcmp(x->mac, y->mac, sizeof(x->mac)) ||
		    strcmp(x->port, y->port) || x->vid != y->vid)
			return false;
	}
	return true;
}

bool switch_config_equal(const struct switch_config *a,
			 const struct switch_config *b)
{
	const struct eal_config *ea = &a->eal, *eb = &b->eal;
	if (strcmp(ea->lcores, eb->lcores) || ea->memory_mb != eb->memory_mb ||
	    strcmp(ea->file_prefix, eb->file_prefix) ||
	    ea->no_huge != eb->no_huge || ea->no_pci != eb->no_pci ||
	    ea->n_args != eb->n_args)
		return false;
	for (unsigned i = 0; i < ea->n_args; i++)
		if (strcmp(ea->args[i], eb->args[i]))
			return false;
	if (memcmp(&a->datapath, &b->datapath, sizeof(a->datapath)) ||
	    strcmp(a->control.socket, b->control.socket) ||
	    strcmp(a->control.token, b->control.token) ||
	    memcmp(&a->fdb, &b->fdb, sizeof(a->fdb)) ||
	    a->n_ports != b->n_ports || a->n_bds != b->n_bds)
		return false;
	for (size_t i = 0; i < a->n_ports; i++)
		if (!port_equal(&a->ports[i], &b->ports[i]))
			return false;
	for (size_t i = 0; i < a->n_bds; i++)
		if (!bd_equal(&a->bds[i], &b->bds[i]))
			return false;
	const struct vtep_config *va = &a->vtep, *vb = &b->vtep;
	if (va->configured != vb->configured)
		return false;
	if (!va->configured)
		return true;
	return !strcmp(va->port, vb->port) && !strcmp(va->owner, vb->owner) &&
	       !memcmp(&va->underlay, &vb->underlay, sizeof(va->underlay)) &&
	       va->n_routes == vb->n_routes &&
	       va->n_neighbours == vb->n_neighbours &&
	       (!va->n_routes || !memcmp(va->routes, vb->routes,
					 va->n_routes * sizeof(*va->routes))) &&
	       (!va->n_neighbours ||
		!memcmp(va->neighbours, vb->neighbours,
			va->n_neighbours * sizeof(*va->neighbours)));
}

void switch_config_member_key(const char *bd, const struct member_config *m,
			      char *buf, size_t size)
{
	if (m->tunnel) {
		char address[16];
		switch_config_format_ipv4(m->tunnel, address);
		snprintf(buf, size, "%s/@%s/%u", bd, address, m->vni);
	} else {
		snprintf(buf, size, "%s/%s/%u", bd, m->port, m->vid);
	}
}

void switch_config_format_ipv4(uint32_t address, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", address >> 24, (address >> 16) & 255,
		 (address >> 8) & 255, address & 255);
}

/* ---- Lookups ------------------------------------------------------------ */

int switch_config_port_index(const struct switch_config *config,
			     const char *name)
{
	for (size_t i = 0; i < config->n_ports; i++)
		if (!strcmp(config->ports[i].name, name))
			return (int)i;
	return -1;
}

const struct port_config *switch_config_port(const struct switch_config *config,
					     const char *name)
{
	int index = switch_config_port_index(config, name);
	return index < 0 ? NULL : &config->ports[index];
}

const struct bd_config *switch_config_bd(const struct switch_config *config,
					 const char *name)
{
	for (size_t i = 0; i < config->n_bds; i++)
		if (!strcmp(config->bds[i].name, name))
			return &config->bds[i];
	return NULL;
}

const struct bd_config *switch_config_bd_by_id(const struct switch_config *config,
					       uint16_t id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < config->n_bds; i++)
		if (config->bds[i].id == id)
			return &config->bds[i];
	return NULL;
}

int switch_config_assign_bd_ids(struct switch_config *config,
				const struct switch_config *previous)
{
	/* used[id]: claimed by an explicit id or by an assignment so far. */
	bool *used = calloc(SWITCH_MAX_BD + 1, sizeof(*used));
	uint16_t *assigned = calloc(config->n_bds ? config->n_bds : 1,
				    sizeof(*assigned));
	int rc = -1;
	if (!used || !assigned)
		goto out;
	for (size_t i = 0; i < config->n_bds; i++)
		if (config->bds[i].id)
			used[config->bds[i].id] = true;
	/* First keep the ids the running config gave these names... */
	for (size_t i = 0; previous && i < config->n_bds; i++) {
		if (config->bds[i].id)
			continue;
		const struct bd_config *old = switch_config_bd(previous,
							       config->bds[i].name);
		if (old && old->id && old->id <= SWITCH_MAX_BD && !used[old->id]) {
			assigned[i] = old->id;
			used[old->id] = true;
		}
	}
	/* ...then hand out the lowest free ids. */
	uint16_t next = 1;
	for (size_t i = 0; i < config->n_bds; i++) {
		if (config->bds[i].id || assigned[i])
			continue;
		while (next <= SWITCH_MAX_BD && used[next])
			next++;
		if (next > SWITCH_MAX_BD)
			goto out;
		assigned[i] = next;
		used[next] = true;
	}
	for (size_t i = 0; i < config->n_bds; i++)
		if (!config->bds[i].id)
			config->bds[i].id = assigned[i];
	rc = 0;
out:
	free(used);
	free(assigned);
	return rc;
}

void switch_config_format_mac(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}

static json_t *port_vlan_to_json(const struct vlan_port *vlan)
{
	json_t *json = json_pack("{s:s, s:i}", "mode",
				 vlan_port_mode_names[vlan->mode], "pcp", vlan->pcp);
	if (!json)
		return NULL;
	bool trunk = vlan->mode != VLAN_PORT_access &&
		     vlan->mode != VLAN_PORT_tunnel;
	if (vlan->vid)
		json_object_set_new(json, "vid", json_integer(vlan->vid));
	if (trunk) {
		char tpid[8];
		snprintf(tpid, sizeof(tpid), "0x%04x", vlan->tpid);
		size_t size = vlan_port_format_allowed(vlan, NULL, 0) + 1;
		char *allowed = malloc(size);
		if (allowed) {
			vlan_port_format_allowed(vlan, allowed, size);
			json_object_set_new(json, "allowed", json_string(allowed));
			free(allowed);
		}
		json_object_set_new(json, "tpid", json_string(tpid));
		json_object_set_new(json, "inner_tags",
				    json_integer(vlan->inner_tags));
	}
	return json;
}

static json_t *port_to_json(const struct port_config *port)
{
	json_t *json = json_pack("{s:s, s:s, s:s, s:I, s:I}", "name", port->name,
				 "devargs", port->devargs, "admin",
				 port->admin_up ? "up" : "down", "mtu",
				 (json_int_t)port->mtu, "rx_queues",
				 (json_int_t)port->rx_queues);
	if (json && port->vlan_configured)
		json_object_set_new(json, "vlan", port_vlan_to_json(&port->vlan));
	return json;
}

static json_t *policer_to_json(const struct policer_config policer[2])
{
	static const char *const directions[] = { "in", "out" };
	static const char *const marks[] = { NULL, "mark_pcp", "mark_dscp" };
	json_t *json = NULL;
	for (int d = 0; d < 2; d++) {
		if (!policer[d].enabled)
			continue;
		if (!json)
			json = json_object();
		json_t *one = json_pack("{s:I, s:I}", "rate",
					(json_int_t)policer[d].rate_bps, "burst",
					(json_int_t)policer[d].burst_bytes);
		if (policer[d].action && policer[d].action < 3)
			json_object_set_new(one, marks[policer[d].action],
					    json_integer(policer[d].mark));
		json_object_set_new(json, directions[d], one);
	}
	return json;
}

static json_t *bd_to_json(const struct bd_config *bd)
{
	json_t *members = json_array();
	json_t *static_macs = json_array();
	if (!members || !static_macs)
		goto fail;
	for (size_t i = 0; i < bd->n_members; i++) {
		const struct member_config *m = &bd->members[i];
		json_t *member;
		if (m->tunnel) {
			char address[16];
			switch_config_format_ipv4(m->tunnel, address);
			member = json_pack("{s:s, s:I, s:i}", "tunnel", address,
					   "vni", (json_int_t)m->vni,
					   "split_horizon", m->split_horizon);
		} else {
			member = json_pack("{s:s, s:i, s:i}", "port", m->port,
					   "vid", m->vid, "split_horizon",
					   m->split_horizon);
		}
		json_t *policer = policer_to_json(m->policer);
		if (policer)
			json_object_set_new(member, "policer", policer);
		if (json_array_append_new(members, member))
			goto fail;
	}
	for (size_t i = 0; i < bd->n_static_macs; i++) {
		const struct static_mac_config *s = &bd->static_macs[i];
		char mac[18];
		switch_config_format_mac(s->mac, mac);
		if (json_array_append_new(static_macs,
					  json_pack("{s:s, s:s, s:i}", "mac", mac,
						    "port", s->port, "vid",
						    s->vid)))
			goto fail;
	}
	json_t *json = json_pack("{s:s, s:b, s:I, s:o, s:o}", "name", bd->name,
				 "learning", bd->learning, "mac_limit",
				 (json_int_t)bd->mac_limit, "members", members,
				 "static_macs", static_macs);
	if (!json)
		return NULL; /* json_pack released the stolen arrays */
	if (bd->id && json_object_set_new(json, "id", json_integer(bd->id))) {
		json_decref(json);
		return NULL;
	}
	return json;
fail:
	json_decref(members);
	json_decref(static_macs);
	return NULL;
}

static json_t *vtep_to_json(const struct vtep_config *vtep)
{
	const struct vxlan_underlay *u = &vtep->underlay;
	char address[24], text[16];
	switch_config_format_ipv4(u->address, text);
	snprintf(address, sizeof(address), "%s/%u", text, u->prefix_length);
	json_t *json = json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:b, s:b}",
				 "port", vtep->port, "address", address, "vid",
				 u->vid, "udp_port", u->udp_port, "mtu", u->mtu,
				 "ttl", u->ttl, "df", u->df,
				 "ignore_reserved_bits", u->ignore_reserved_bits);
	static const uint8_t zero[6];
	if (memcmp(u->mac, zero, 6)) {
		char mac[18];
		switch_config_format_mac(u->mac, mac);
		json_object_set_new(json, "mac", json_string(mac));
	}
	if (vtep->owner[0])
		json_object_set_new(json, "owner", json_string(vtep->owner));
	json_t *routes = json_array();
	for (size_t i = 0; i < vtep->n_routes; i++) {
		char prefix[24], hop[16];
		switch_config_format_ipv4(vtep->routes[i].prefix, text);
		snprintf(prefix, sizeof(prefix), "%s/%u", text,
			 vtep->routes[i].length);
		switch_config_format_ipv4(vtep->routes[i].next_hop, hop);
		json_array_append_new(routes, json_pack("{s:s, s:s}", "prefix",
							prefix, "next_hop", hop));
	}
	json_object_set_new(json, "routes", routes);
	json_t *neighbours = json_array();
	for (size_t i = 0; i < vtep->n_neighbours; i++) {
		char mac[18];
		switch_config_format_ipv4(vtep->neighbours[i].address, text);
		switch_config_format_mac(vtep->neighbours[i].mac, mac);
		json_array_append_new(neighbours, json_pack("{s:s, s:s}", "address",
							    text, "mac", mac));
	}
	json_object_set_new(json, "neighbours", neighbours);
	return json;
}

struct json_t *switch_config_to_json(const struct switch_config *config)
{
	json_t *ports = json_array();
	json_t *bds = json_array();
	if (!ports || !bds)
		goto fail;
	for (size_t i = 0; i < config->n_ports; i++)
		if (json_array_append_new(ports, port_to_json(&config->ports[i])))
			goto fail;
	for (size_t i = 0; i < config->n_bds; i++)
		if (json_array_append_new(bds, bd_to_json(&config->bds[i])))
			goto fail;
	json_t *json = json_pack("{s:{s:I, s:I, s:I, s:s}, s:o, s:o}", "fdb",
			 "capacity", (json_int_t)config->fdb.capacity, "limit",
			 (json_int_t)config->fdb.limit, "age_seconds",
			 (json_int_t)config->fdb.age_seconds, "clock",
			 config->fdb.clock == FDB_CLOCK_MANUAL ? "manual" : "system",
			 "ports", ports, "bridge_domains", bds);
	if (json && config->vtep.configured)
		json_object_set_new(json, "vtep", vtep_to_json(&config->vtep));
	return json;
fail:
	json_decref(ports);
	json_decref(bds);
	return NULL;
}
