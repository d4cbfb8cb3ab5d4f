/* The switch's control side: lifecycle, and convergence of the running
 * state to a desired configuration (`apply`), by building a new table and
 * publishing it to the workers with RCU. Control thread only.
 *
 * One path for every change: the control socket's add/remove commands edit
 * a copy of the running configuration and call switch_apply, so a change
 * made piecemeal and the same state applied whole end up identical.
 */
#include "datapath.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

/* ---- name -> stable id ---------------------------------------------------
 * BD ids and member ids outlive tables: FDB entries and counters are keyed
 * by them. A name keeps its id while it exists; a freed id is reused only
 * after the FDB forgot it and its counters were reset. */
struct id_map {
	uint32_t max_id;
	uint32_t n_buckets;  /* power of two */
	char **names;        /* [max_id + 1], NULL = free */
	uint32_t *heads;     /* [n_buckets] first id of each chain, 0 = none */
	uint32_t *next;      /* [max_id + 1] next id in the chain */
};

static uint32_t id_map_hash(const struct id_map *map, const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		h = (h ^ *c) * 16777619u;
	return h & (map->n_buckets - 1);
}

static struct id_map *id_map_create(uint32_t max_id)
{
	struct id_map *map = calloc(1, sizeof(*map));
	if (!map)
		return NULL;
	map->max_id = max_id;
	map->n_buckets = 1;
	while (map->n_buckets < max_id + 1)
		map->n_buckets <<= 1;
	map->names = calloc(max_id + 1, sizeof(char *));
	map->heads = calloc(map->n_buckets, sizeof(uint32_t));
	map->next = calloc(max_id + 1, sizeof(uint32_t));
	if (!map->names || !map->heads || !map->next) {
		free(map->names);
		free(map->heads);
		free(map->next);
		free(map);
		return NULL;
	}
	return map;
}

static void id_map_free(struct id_map *map)
{
	if (!map)
		return;
	for (uint32_t i = 0; i <= map->max_id; i++)
		free(map->names[i]);
	free(map->names);
	free(map->heads);
	free(map->next);
	free(map);
}

static uint32_t id_map_find(const struct id_map *map, const char *name)
{
	for (uint32_t id = map->heads[id_map_hash(map, name)]; id; id = map->next[id])
		if (strcmp(map->names[id], name) == 0)
			return id;
	return 0;
}

static const char *id_map_name(const struct id_map *map, uint32_t id)
{
	return id && id <= map->max_id ? map->names[id] : NULL;
}

/* Maps name to id (the id must be free). */
static int id_map_set(struct id_map *map, uint32_t id, const char *name)
{
	map->names[id] = strdup(name);
	if (!map->names[id])
		return -1;
	uint32_t h = id_map_hash(map, name);
	map->next[id] = map->heads[h];
	map->heads[h] = id;
	return 0;
}

static void id_map_release(struct id_map *map, uint32_t id)
{
	if (!map->names[id])
		return;
	uint32_t *link = &map->heads[id_map_hash(map, map->names[id])];
	while (*link && *link != id)
		link = &map->next[*link];
	if (*link == id)
		*link = map->next[id];
	free(map->names[id]);
	map->names[id] = NULL;
	map->next[id] = 0;
}

/* The lowest free id. */
static uint32_t id_map_free_id(const struct id_map *map, uint32_t from)
{
	for (uint32_t id = from ? from : 1; id <= map->max_id; id++)
		if (!map->names[id])
			return id;
	return 0;
}

/* ---- counters -------------------------------------------------------------- */

void switch_sum_drops(const struct loom_switch *sw,
		      uint64_t drops[VSWITCH_DROP_MAX])
{
	memset(drops, 0, sizeof(uint64_t) * VSWITCH_DROP_MAX);
	for (unsigned w = 0; w < sw->n_workers; w++)
		for (unsigned i = 0; i < VSWITCH_DROP_MAX; i++)
			drops[i] += sw->workers[w]->counters->drops[i];
}

void switch_sum_port(const struct loom_switch *sw, uint16_t port,
		     uint64_t out[VSWITCH_PORT_COUNTER_MAX])
{
	memset(out, 0, sizeof(uint64_t) * VSWITCH_PORT_COUNTER_MAX);
	for (unsigned w = 0; w < sw->n_workers; w++)
		for (unsigned i = 0; i < VSWITCH_PORT_COUNTER_MAX; i++)
			out[i] += sw->workers[w]->counters->port[port][i];
}

void switch_sum_bd(const struct loom_switch *sw, uint16_t bd,
		   uint64_t out[VSWITCH_BD_COUNTER_MAX])
{
	memset(out, 0, sizeof(uint64_t) * VSWITCH_BD_COUNTER_MAX);
	for (unsigned w = 0; w < sw->n_workers; w++)
		for (unsigned i = 0; i < VSWITCH_BD_COUNTER_MAX; i++)
			out[i] += sw->workers[w]->counters->bd[bd][i];
}

void switch_sum_member(const struct loom_switch *sw, uint16_t member,
		       uint64_t out[VSWITCH_MEMBER_COUNTER_MAX])
{
	memset(out, 0, sizeof(uint64_t) * VSWITCH_MEMBER_COUNTER_MAX);
	for (unsigned w = 0; w < sw->n_workers; w++)
		for (unsigned i = 0; i < VSWITCH_MEMBER_COUNTER_MAX; i++)
			out[i] += sw->workers[w]->counters->member[member][i];
}

/* ---- lookups ----------------------------------------------------------------- */

int switch_port_by_name(const struct loom_switch *sw, const char *name)
{
	for (int i = 0; i < VSWITCH_MAX_PORTS; i++)
		if (sw->ports[i].present && strcmp(sw->ports[i].name, name) == 0)
			return i;
	return -1;
}

uint16_t switch_member_of(const struct loom_switch *sw, const char *bd,
			  const struct member_config *member)
{
	char key[3 * SWITCH_NAME_MAX];
	switch_config_member_key(bd, member, key, sizeof(key));
	return (uint16_t)id_map_find(sw->member_ids, key);
}

uint16_t switch_member_id(const struct loom_switch *sw, const char *bd,
			  const char *port, uint16_t vid)
{
	struct member_config member = { .vid = vid };
	snprintf(member.port, sizeof(member.port), "%s", port);
	return switch_member_of(sw, bd, &member);
}

uint16_t switch_bd_id(const struct loom_switch *sw, const char *bd)
{
	return (uint16_t)id_map_find(sw->bd_ids, bd);
}

/* ---- publishing -------------------------------------------------------------- */

static void datapath_table_free(struct datapath_table *table)
{
	if (!table)
		return;
	vswitch_table_free(table->vswitch);
	vxlan_tunnel_table_free(table->vxlan);
	rte_free(table);
}

/* Swaps in `next` and frees the old table once no worker can hold it. */
static void switch_publish(struct loom_switch *sw, struct datapath_table *next)
{
	struct datapath_table *old = sw->published;
	__atomic_store_n(&sw->published, next, __ATOMIC_RELEASE);
	if (sw->n_workers)
		rte_rcu_qsbr_synchronize(sw->rcu, RTE_QSBR_THRID_INVALID);
	datapath_table_free(old);
}

/* Assigns every up port's rx queues to workers, round robin. */
static void plan_workers(struct loom_switch *sw, const struct switch_config *config,
			 struct datapath_table *table)
{
	unsigned next = 0;
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++) {
		const struct switch_port *port = &sw->ports[p];
		if (!port->present)
			continue;
		const struct port_config *pc = switch_config_port(config, port->name);
		if (!pc || !pc->admin_up)
			continue;
		for (uint16_t q = 0; q < port->n_rx_queues; q++) {
			unsigned w = next++ % sw->n_workers;
			unsigned n = table->workers[w].n_rx;
			if (n == DATAPATH_MAX_RX_PER_WORKER)
				continue;
			table->workers[w].rx[n] = (struct worker_rx){
				.port = p, .port_id = port->port_id, .queue = q };
			table->workers[w].n_rx = n + 1;
		}
	}
}

_Static_assert(POLICER_drop == 0 && POLICER_mark_pcp == 1 && POLICER_mark_dscp == 2,
	       "policer_config.action follows foreach_policer_action");

static uint64_t switch_now_ms(const struct loom_switch *sw)
{
	return (rte_get_tsc_cycles() - sw->start_tsc) * 1000 / rte_get_tsc_hz();
}

/* The VTEP's routes and static neighbours as the configuration says
 * (learned neighbours are kept across applies). */
static int vtep_sync(struct loom_switch *sw, const struct vtep_config *vtep,
		     const struct vxlan_underlay *underlay, char *err,
		     size_t err_size)
{
	if (!sw->neighbours)
		sw->neighbours = vxlan_neighbour_table_create(1024, NULL);
	struct vxlan_route_table *routes = vxlan_route_table_create(
		(uint32_t)vtep->n_routes + 1);
	if (!sw->neighbours || !routes) {
		vxlan_route_table_free(routes);
		snprintf(err, err_size, "out of memory for the VTEP");
		return -1;
	}
	vxlan_route_add_connected(routes, underlay);
	for (size_t i = 0; i < vtep->n_routes; i++)
		vxlan_route_add(routes, vtep->routes[i].prefix,
				vtep->routes[i].length, vtep->routes[i].next_hop);
	vxlan_route_table_free(sw->routes);
	sw->routes = routes;
	for (size_t i = 0; i < vtep->n_neighbours; i++)
		vxlan_neighbour_add_static(sw->neighbours,
					   vtep->neighbours[i].address,
					   vtep->neighbours[i].mac);
	return 0;
}

/* The tunnel table of `config`: one tunnel per (remote, VNI) member, its
 * next hop routed and resolved (an unresolved one drops until ARP
 * answers and the table is rebuilt). */
static int build_tunnels(struct loom_switch *sw,
			 const struct switch_config *config,
			 struct datapath_table *table,
			 struct vswitch_table_spec *spec, char *err,
			 size_t err_size)
{
	const struct vtep_config *vtep = &config->vtep;
	int port = switch_port_by_name(sw, vtep->port);
	if (port < 0) {
		snprintf(err, err_size, "the VTEP's port %s is not open", vtep->port);
		return -1;
	}
	struct vxlan_underlay underlay = vtep->underlay;
	static const uint8_t zero[6];
	if (!memcmp(underlay.mac, zero, 6)) {
		struct rte_ether_addr mac;
		rte_eth_macaddr_get(sw->ports[port].port_id, &mac);
		memcpy(underlay.mac, mac.addr_bytes, 6);
	}
	if (vtep_sync(sw, vtep, &underlay, err, err_size) != 0)
		return -1;
	size_t n = 0;
	for (size_t b = 0; b < config->n_bds; b++)
		for (size_t m = 0; m < config->bds[b].n_members; m++)
			n += config->bds[b].members[m].tunnel != 0;
	struct vxlan_tunnel_spec *tunnels = calloc(n + 1, sizeof(*tunnels));
	if (!tunnels) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	uint64_t now = switch_now_ms(sw);
	n = 0;
	for (size_t b = 0; b < config->n_bds; b++) {
		const struct bd_config *bc = &config->bds[b];
		for (size_t m = 0; m < bc->n_members; m++) {
			const struct member_config *mc = &bc->members[m];
			if (!mc->tunnel)
				continue;
			struct vxlan_tunnel_spec *t = &tunnels[n++];
			t->member = switch_member_of(sw, bc->name, mc);
			t->bd = switch_bd_id(sw, bc->name);
			t->vni = mc->vni;
			t->remote = mc->tunnel;
			vxlan_tunnel_resolve(sw->routes, sw->neighbours, now, t);
		}
	}
	table->vxlan = vxlan_tunnel_table_build(&underlay, tunnels, n, err,
						err_size);
	free(tunnels);
	if (!table->vxlan)
		return -1;
	spec->vxlan = table->vxlan;
	spec->underlay_port = (uint16_t)port;
	return 0;
}

static void underlay_poll(struct loom_switch *sw)
{
	if (!sw->config.vtep.configured || !sw->published ||
	    !sw->published->vxlan)
		return;
	uint64_t now = switch_now_ms(sw);
	struct vswitch_punt punt;
	while (rte_ring_sc_dequeue_elem(sw->punt, &punt, sizeof(punt)) == 0)
		if (vxlan_neighbour_learn_changed(vxlan_neighbour_learn(
			    sw->neighbours, punt.address, punt.mac, now)))
			sw->republish = true;

	uint64_t tsc = rte_get_tsc_cycles();
	if (tsc >= sw->next_neighbour_tick) {
		sw->next_neighbour_tick = tsc + rte_get_tsc_hz() / 10;
		uint32_t probe[32];
		bool changed = false;
		size_t n = vxlan_neighbour_tick(sw->neighbours, now, probe, 32,
						&changed);
		if (changed)
			sw->republish = true;
		/* A next hop that never answered is dropped from the
		 * neighbour table after a few requests; a rebuild each second
		 * while a tunnel waits asks for it again (a remote VTEP may
		 * come up at any time). */
		const struct vxlan_tunnel_table *vxlan = sw->published->vxlan;
		if (tsc >= sw->next_unresolved_retry) {
			for (uint32_t i = 0; i < vxlan->tunnel_count; i++)
				if (!vxlan->tunnels[i].resolved)
					sw->republish = true;
			sw->next_unresolved_retry = tsc + rte_get_tsc_hz();
		}
		int port = switch_port_by_name(sw, sw->config.vtep.port);
		for (size_t i = 0; port >= 0 && i < n; i++) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(sw->pool);
			if (!m)
				break;
			uint32_t length = vxlan_arp_request_build(
				&sw->published->vxlan->underlay, probe[i],
				rte_pktmbuf_mtod(m, uint8_t *),
				rte_pktmbuf_tailroom(m));
			if (!length || !rte_pktmbuf_append(m, (uint16_t)length)) {
				rte_pktmbuf_free(m);
				continue;
			}
			port_send_control(sw, &sw->ports[port], m);
		}
	}
}

void switch_poll(struct loom_switch *sw)
{
	underlay_poll(sw);
	/* A next hop resolved or a link changed: the same configuration, a
	 * new table (tunnels still waiting for a MAC are re-resolved). */
	if (sw->republish) {
		struct switch_config same;
		char err[256];
		sw->republish = false;
		if (switch_config_copy(&same, &sw->config) == 0) {
			if (switch_apply(sw, &same, err, sizeof(err)) != 0)
				fprintf(stderr, "loom-switch: VTEP rebuild: %s\n", err);
			switch_config_free(&same);
		}
	}
}

/* Builds the table for `config`, whose ports are all open and whose BDs and
 * members all have ids. */
static struct datapath_table *build_table(struct loom_switch *sw,
					  const struct switch_config *config,
					  struct fdb *fdb, char *err,
					  size_t err_size)
{
	struct datapath_table *table = rte_zmalloc("datapath_table",
						   sizeof(*table), RTE_CACHE_LINE_SIZE);
	if (!table) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	table->version = ++sw->table_version;
	table->fdb = fdb;

	struct vswitch_table_spec spec;
	memset(&spec, 0, sizeof(spec));
	spec.version = table->version;
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++) {
		struct switch_port *port = &sw->ports[p];
		if (!port->present)
			continue;
		const struct port_config *pc = switch_config_port(config, port->name);
		spec.ports[p].present = true;
		spec.ports[p].up = pc && pc->admin_up;
		spec.ports[p].link_up = port->link.up;
		spec.ports[p].rx_data_hot = port->rx_data_hot;
		spec.ports[p].name = port->name;
		spec.ports[p].vlan = pc && pc->vlan_configured ? &pc->vlan : NULL;
		table->ports[p].present = true;
		table->ports[p].port_id = port->port_id;
		table->ports[p].tx_shared =
			port->n_tx_queues < sw->n_workers ||
			(port->control_tx && port->n_tx_queues <= sw->n_workers);
		table->ports[p].tx_lock = &port->tx_lock;
		for (unsigned w = 0; w < sw->n_workers; w++)
			table->ports[p].tx_queue[w] =
				(uint16_t)(w % port->n_tx_queues);
		table->ports[p].capture_rx = port->capture_rx;
		table->ports[p].capture_tx = port->capture_tx;
	}

	if (config->vtep.configured &&
	    build_tunnels(sw, config, table, &spec, err, err_size) != 0) {
		rte_free(table);
		return NULL;
	}

	bool policer_failed = false;
	size_t n_policers = 0;
	for (size_t b = 0; b < config->n_bds; b++)
		for (size_t m = 0; m < config->bds[b].n_members; m++)
			n_policers += config->bds[b].members[m].policer[0].enabled +
				      config->bds[b].members[m].policer[1].enabled;
	struct policer_profile *profiles = calloc(n_policers + 1, sizeof(*profiles));
	n_policers = 0;

	struct vswitch_bd_spec *bds = calloc(config->n_bds + 1, sizeof(*bds));
	struct vswitch_member **members = calloc(config->n_bds + 1, sizeof(*members));
	if (!bds || !members || !profiles) {
		free(bds);
		free(members);
		free(profiles);
		vxlan_tunnel_table_free(table->vxlan);
		rte_free(table);
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	for (size_t b = 0; b < config->n_bds; b++) {
		const struct bd_config *bc = &config->bds[b];
		members[b] = calloc(bc->n_members + 1, sizeof(**members));
		bds[b].id = switch_bd_id(sw, bc->name);
		bds[b].learning = bc->learning;
		bds[b].name = bc->name;
		bds[b].n_members = bc->n_members;
		bds[b].members = members[b];
		for (size_t m = 0; members[b] && m < bc->n_members; m++) {
			const struct member_config *mc = &bc->members[m];
			struct vswitch_member *ms = &members[b][m];
			ms->id = switch_member_of(sw, bc->name, mc);
			ms->split_horizon = mc->split_horizon;
			for (int d = 0; d < POLICER_DIRECTIONS; d++) {
				const struct policer_config *pc = &mc->policer[d];
				if (!pc->enabled)
					continue;
				/* Each worker meters its own share. */
				struct policer_profile *profile = &profiles[n_policers++];
				uint32_t serial = (uint32_t)(ms->id * 2654435761u) ^
						  (uint32_t)(pc->rate_bps * 40503u) ^
						  (pc->burst_bytes << 7) ^
						  ((uint32_t)pc->action << 29) ^
						  ((uint32_t)d << 31) ^ pc->mark;
				char why[160];
				if (policer_profile_init(profile,
							 pc->rate_bps / sw->n_workers,
							 pc->burst_bytes,
							 (enum policer_action)pc->action,
							 pc->mark, serial, why,
							 sizeof(why)) != 0) {
					snprintf(err, err_size, "bridge domain %s: %s",
						 bc->name, why);
					policer_failed = true;
					continue;
				}
				ms->policer[d] = profile;
			}
			if (mc->tunnel) {
				char address[16];
				switch_config_format_ipv4(mc->tunnel, address);
				ms->kind = VSWITCH_MEMBER_KIND_TUNNEL;
				ms->port = spec.underlay_port;
				snprintf(ms->name, sizeof(ms->name), "@%s/%u",
					 address, mc->vni);
				continue;
			}
			ms->port = (uint16_t)switch_port_by_name(sw, mc->port);
			ms->vid = mc->vid;
		}
	}
	spec.n_bds = config->n_bds;
	spec.bds = bds;
	table->vswitch = policer_failed ? NULL
					: vswitch_table_build(&spec, err, err_size);
	free(profiles);
	if (!table->vswitch)
		vxlan_tunnel_table_free(table->vxlan);
	for (size_t b = 0; b < config->n_bds; b++)
		free(members[b]);
	free(members);
	free(bds);
	if (!table->vswitch) {
		rte_free(table);
		return NULL;
	}
	plan_workers(sw, config, table);
	return table;
}

/* ---- apply ------------------------------------------------------------------- */

static bool port_config_same_device(const struct port_config *a,
				    const struct port_config *b)
{
	return strcmp(a->devargs, b->devargs) == 0 && a->mtu == b->mtu &&
	       a->rx_queues == b->rx_queues;
}

/* Ids for every BD and member of `config` not yet mapped. Returns -1 when
 * ids run out; `assigned_*` record what was new so a failed apply can
 * release them. */
static int assign_ids(struct loom_switch *sw, const struct switch_config *config,
		      uint32_t *new_ids, size_t *n_new, char *err, size_t err_size)
{
	/* Explicit BD ids first: they must not be taken by assigned ones. */
	for (size_t b = 0; b < config->n_bds; b++) {
		const struct bd_config *bc = &config->bds[b];
		uint32_t current = id_map_find(sw->bd_ids, bc->name);
		if (bc->id && current && current != bc->id) {
			snprintf(err, err_size,
				 "bridge domain %s has id %u; remove it before "
				 "giving it id %u", bc->name, current, bc->id);
			return -1;
		}
		if (bc->id && !current) {
			const char *owner = id_map_name(sw->bd_ids, bc->id);
			if (owner) {
				snprintf(err, err_size,
					 "bridge domain id %u is used by %s",
					 bc->id, owner);
				return -1;
			}
			if (id_map_set(sw->bd_ids, bc->id, bc->name) != 0)
				goto nomem;
			new_ids[(*n_new)++] = bc->id;
		}
	}
	for (size_t b = 0; b < config->n_bds; b++) {
		const struct bd_config *bc = &config->bds[b];
		if (id_map_find(sw->bd_ids, bc->name))
			continue;
		/* Skip ids that this configuration gives explicitly. */
		uint32_t id = 0;
		for (bool reserved = true; reserved;) {
			id = id_map_free_id(sw->bd_ids, id + 1);
			reserved = false;
			for (size_t o = 0; id && o < config->n_bds; o++)
				reserved |= config->bds[o].id == id;
		}
		if (!id) {
			snprintf(err, err_size, "no free bridge domain id");
			return -1;
		}
		if (id_map_set(sw->bd_ids, id, bc->name) != 0)
			goto nomem;
		new_ids[(*n_new)++] = id;
	}
	for (size_t b = 0; b < config->n_bds; b++) {
		const struct bd_config *bc = &config->bds[b];
		for (size_t m = 0; m < bc->n_members; m++) {
			char key[3 * SWITCH_NAME_MAX];
			switch_config_member_key(bc->name, &bc->members[m], key,
						 sizeof(key));
			if (id_map_find(sw->member_ids, key))
				continue;
			uint32_t id = id_map_free_id(sw->member_ids, 1);
			if (!id) {
				snprintf(err, err_size, "no free member id");
				return -1;
			}
			if (id_map_set(sw->member_ids, id, key) != 0)
				goto nomem;
			/* Member ids are recorded with the top bit set. */
			new_ids[(*n_new)++] = id | 0x80000000u;
		}
	}
	return 0;
nomem:
	snprintf(err, err_size, "out of memory");
	return -1;
}

static void release_new_ids(struct loom_switch *sw, const uint32_t *new_ids,
			    size_t n_new)
{
	for (size_t i = 0; i < n_new; i++) {
		struct id_map *map = new_ids[i] & 0x80000000u ? sw->member_ids
							      : sw->bd_ids;
		id_map_release(map, new_ids[i] & 0x7fffffffu);
	}
}

/* Ids mapped now but absent from `config`: forget them everywhere. Runs
 * after the grace period that retired the last table naming them. */
static void retire_ids(struct loom_switch *sw, const struct switch_config *config)
{
	uint8_t *used = calloc(VSWITCH_MAX_MEMBERS + 1, 1);
	if (!used)
		return; /* retried at the next apply */
	for (size_t b = 0; b < config->n_bds; b++) {
		const struct bd_config *bc = &config->bds[b];
		for (size_t m = 0; m < bc->n_members; m++)
			used[switch_member_of(sw, bc->name, &bc->members[m])] = 1;
	}
	for (uint32_t id = 1; id <= sw->member_ids->max_id; id++) {
		if (!sw->member_ids->names[id] || used[id])
			continue;
		fdb_forget_member(sw->fdb, (uint16_t)id);
		for (unsigned w = 0; w < sw->n_workers; w++)
			vswitch_counters_reset_member(sw->workers[w]->counters,
						      (uint16_t)id);
		id_map_release(sw->member_ids, id);
	}
	free(used);
	for (uint32_t id = 1; id <= sw->bd_ids->max_id; id++) {
		const char *name = sw->bd_ids->names[id];
		if (!name || switch_config_bd(config, name))
			continue;
		fdb_forget_bd(sw->fdb, (uint16_t)id);
		fdb_set_bd_limit(sw->fdb, (uint16_t)id, 0);
		for (unsigned w = 0; w < sw->n_workers; w++)
			vswitch_counters_reset_bd(sw->workers[w]->counters,
						  (uint16_t)id);
		id_map_release(sw->bd_ids, id);
	}
}

/* The static entries of `config`, added to `fdb` (the one the new table
 * will use) before the table is published, so that an `apply` never runs
 * a moment without them. Returns the list, or NULL. */
static typeof(((struct loom_switch *)0)->statics)
static_macs_add(struct loom_switch *sw, const struct switch_config *config,
		struct fdb *fdb, size_t *count)
{
	size_t n = 0;
	for (size_t b = 0; b < config->n_bds; b++)
		n += config->bds[b].n_static_macs;
	typeof(sw->statics) wanted = calloc(n + 1, sizeof(*wanted));
	if (!wanted)
		return NULL;
	n = 0;
	for (size_t b = 0; b < config->n_bds; b++) {
		const struct bd_config *bc = &config->bds[b];
		uint16_t bd = switch_bd_id(sw, bc->name);
		for (size_t s = 0; s < bc->n_static_macs; s++) {
			const struct static_mac_config *sc = &bc->static_macs[s];
			struct rte_ether_addr mac;
			memcpy(mac.addr_bytes, sc->mac, 6);
			wanted[n].key = fdb_key(bd, &mac);
			wanted[n].member = switch_member_id(sw, bc->name, sc->port,
							    sc->vid);
			fdb_add_static(fdb, wanted[n].key, wanted[n].member);
			n++;
		}
	}
	*count = n;
	return wanted;
}

static int compare_static_keys(const void *a, const void *b)
{
	uint64_t x = ((const typeof(*((struct loom_switch *)0)->statics) *)a)->key;
	uint64_t y = ((const typeof(*((struct loom_switch *)0)->statics) *)b)->key;
	return x < y ? -1 : x > y;
}

/* After the new table is out: static entries no longer wanted leave the
 * FDB (by key: a MAC that moved to another member was overwritten). */
static void static_macs_retire(struct loom_switch *sw,
			       typeof(sw->statics) wanted, size_t n)
{
	qsort(wanted, n, sizeof(*wanted), compare_static_keys);
	for (size_t i = 0; i < sw->n_static; i++) {
		if (!bsearch(&sw->statics[i], wanted, n, sizeof(*wanted),
			     compare_static_keys))
			fdb_remove(sw->fdb, sw->statics[i].key);
	}
	free(sw->statics);
	sw->statics = wanted;
	sw->n_static = n;
}

static void apply_fdb_settings(struct loom_switch *sw,
			       const struct switch_config *config)
{
	fdb_set_age(sw->fdb, config->fdb.age_seconds);
	for (size_t b = 0; b < config->n_bds; b++)
		fdb_set_bd_limit(sw->fdb, switch_bd_id(sw, config->bds[b].name),
				 config->bds[b].mac_limit);
}

int switch_apply(struct loom_switch *sw, const struct switch_config *desired,
		 char *err, size_t err_size)
{
	struct switch_config next;
	uint32_t *new_ids = NULL;
	size_t n_new = 0;
	bool opened[VSWITCH_MAX_PORTS] = { false };
	bool closing[VSWITCH_MAX_PORTS] = { false };
	struct fdb *new_fdb = NULL;

	/* The process-level sections stay as started. */
	if (switch_config_copy(&next, desired) != 0) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	next.eal = sw->config.eal;
	next.datapath = sw->config.datapath;
	next.control = sw->config.control;

	size_t n_members = 0;
	for (size_t b = 0; b < next.n_bds; b++)
		n_members += next.bds[b].n_members;
	new_ids = calloc(next.n_bds + n_members + 1, sizeof(*new_ids));
	if (!new_ids) {
		snprintf(err, err_size, "out of memory");
		goto fail;
	}

	/* Ports: which go, which come. A port whose device changed is
	 * replaced (closed, then opened again). */
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++) {
		if (!sw->ports[p].present)
			continue;
		const struct port_config *want = switch_config_port(&next,
								    sw->ports[p].name);
		const struct port_config *have = switch_config_port(&sw->config,
								    sw->ports[p].name);
		bool control_tx = next.vtep.configured &&
				  !strcmp(next.vtep.port, sw->ports[p].name);
		if (!want || !have || !port_config_same_device(want, have) ||
		    control_tx != sw->ports[p].control_tx)
			closing[p] = true;
	}
	/* Replaced ports must close before their device can open again. */
	bool replacing = false;
	for (size_t i = 0; i < next.n_ports; i++) {
		int p = switch_port_by_name(sw, next.ports[i].name);
		if (p >= 0 && closing[p])
			replacing = true;
	}
	if (replacing) {
		/* Retire the ports being replaced first, as their own step. */
		struct switch_config interim;
		if (switch_config_copy(&interim, &sw->config) != 0) {
			snprintf(err, err_size, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < interim.n_ports;) {
			int p = switch_port_by_name(sw, interim.ports[i].name);
			if (p >= 0 && closing[p]) {
				interim.ports[i] = interim.ports[--interim.n_ports];
				continue;
			}
			i++;
		}
		/* A VTEP on a port being replaced goes with it (the final
		 * step sets it again if the new state has one). */
		if (interim.vtep.configured &&
		    !switch_config_port(&interim, interim.vtep.port))
			interim.vtep.configured = false;
		/* BDs with members on those ports lose the members. */
		for (size_t b = 0; b < interim.n_bds; b++) {
			struct bd_config *bc = &interim.bds[b];
			for (size_t m = 0; m < bc->n_members;) {
				if (!switch_config_port(&interim, bc->members[m].port)) {
					bc->members[m] = bc->members[--bc->n_members];
					continue;
				}
				m++;
			}
			for (size_t s = 0; s < bc->n_static_macs;) {
				if (!switch_config_port(&interim, bc->static_macs[s].port)) {
					bc->static_macs[s] =
						bc->static_macs[--bc->n_static_macs];
					continue;
				}
				s++;
			}
		}
		int rc = switch_apply(sw, &interim, err, err_size);
		switch_config_free(&interim);
		if (rc != 0)
			goto fail;
		memset(closing, 0, sizeof(closing));
	}

	for (size_t i = 0; i < next.n_ports; i++) {
		const struct port_config *pc = &next.ports[i];
		int existing = switch_port_by_name(sw, pc->name);
		if (existing >= 0 && !closing[existing])
			continue;
		int slot = -1;
		for (int p = 0; p < VSWITCH_MAX_PORTS && slot < 0; p++)
			if (!sw->ports[p].present && !opened[p])
				slot = p;
		if (slot < 0) {
			snprintf(err, err_size, "too many ports (at most %d)",
				 VSWITCH_MAX_PORTS);
			goto fail;
		}
		memset(&sw->ports[slot], 0, sizeof(sw->ports[slot]));
		sw->ports[slot].index = (uint16_t)slot;
		bool control_tx = next.vtep.configured &&
				  !strcmp(next.vtep.port, pc->name);
		if (port_open(sw, &sw->ports[slot], pc, control_tx, err,
			      err_size) != 0)
			goto fail;
		opened[slot] = true;
	}

	/* Until the new table is out, closing ports are still in the
	 * running table; hide them from name lookups while building. */
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++)
		if (closing[p])
			sw->ports[p].present = false;

	if (assign_ids(sw, &next, new_ids, &n_new, err, err_size) != 0)
		goto fail_unhide;

	/* A new FDB when its size or limit changes (entries are lost: the
	 * switch relearns). */
	struct fdb *fdb = sw->fdb;
	if (!fdb || next.fdb.capacity != sw->config.fdb.capacity ||
	    next.fdb.limit != sw->config.fdb.limit) {
		struct fdb_config fc = {
			.capacity = next.fdb.capacity,
			.global_limit = next.fdb.limit,
			.age_seconds = next.fdb.age_seconds,
		};
		new_fdb = fdb_create(&fc, (int)rte_socket_id());
		if (!new_fdb) {
			snprintf(err, err_size, "cannot create an FDB of %u entries",
				 next.fdb.capacity);
			goto fail_unhide;
		}
		fdb_set_time(new_fdb, sw->clock_seconds);
		fdb = new_fdb;
	}

	struct datapath_table *table = build_table(sw, &next, fdb, err, err_size);
	if (!table)
		goto fail_unhide;

	size_t n_static = 0;
	typeof(sw->statics) statics = static_macs_add(sw, &next, fdb, &n_static);
	struct fdb *old_fdb = sw->fdb;
	sw->fdb = fdb;
	apply_fdb_settings(sw, &next);
	switch_publish(sw, table);
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++) {
		if (!closing[p])
			continue;
		sw->ports[p].present = true;
		port_close(sw, &sw->ports[p]);
	}
	if (new_fdb) {
		fdb_free(old_fdb);
		sw->n_static = 0;
	}
	retire_ids(sw, &next);
	if (statics)
		static_macs_retire(sw, statics, n_static);
	switch_config_free(&sw->config);
	sw->config = next;
	free(new_ids);
	return 0;

fail_unhide:
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++)
		if (closing[p])
			sw->ports[p].present = true;
fail:
	if (new_fdb)
		fdb_free(new_fdb);
	release_new_ids(sw, new_ids, n_new);
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++)
		if (opened[p])
			port_close(sw, &sw->ports[p]);
	free(new_ids);
	switch_config_free(&next);
	return -1;
}

/* ---- clock ------------------------------------------------------------------- */

void switch_tick(struct loom_switch *sw)
{
	if (sw->config.fdb.clock == FDB_CLOCK_SYSTEM) {
		uint64_t elapsed = (rte_get_tsc_cycles() - sw->start_tsc) /
				   rte_get_tsc_hz();
		sw->clock_seconds = (uint32_t)elapsed;
		fdb_set_time(sw->fdb, sw->clock_seconds);
		fdb_age(sw->fdb);
	}
	/* A link that came or went (a VM's vhost-user connection, a veth)
	 * is a new table: frames to a port with no link are dropped and
	 * counted rather than queued. */
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++) {
		if (!sw->ports[p].present)
			continue;
		bool was_up = sw->ports[p].link.up;
		port_update_link(&sw->ports[p]);
		if (was_up != sw->ports[p].link.up)
			sw->republish = true;
	}
}

void switch_clock_advance(struct loom_switch *sw, uint32_t seconds)
{
	sw->clock_seconds += seconds;
	fdb_set_time(sw->fdb, sw->clock_seconds);
	fdb_age(sw->fdb);
}

/* ---- lifecycle --------------------------------------------------------------- */

struct loom_switch *switch_create(const struct switch_config *config,
				  char *err, size_t err_size)
{
	struct loom_switch *sw = calloc(1, sizeof(*sw));
	if (!sw) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&sw->state_lock, NULL);
	sw->control_listen_fd = -1;
	sw->start_tsc = rte_get_tsc_cycles();
	switch_config_init(&sw->config);
	sw->config.eal = config->eal;
	sw->config.datapath = config->datapath;
	sw->config.control = config->control;
	sw->config.fdb = config->fdb;
	/* Force a fresh FDB at the first apply. */
	sw->config.fdb.capacity = 0;

	sw->n_workers = config->datapath.workers;
	if (rte_lcore_count() < sw->n_workers + 1) {
		snprintf(err, err_size,
			 "%u workers need %u lcores, the EAL has %u (eal.lcores)",
			 sw->n_workers, sw->n_workers + 1, rte_lcore_count());
		goto fail;
	}
	sw->bd_ids = id_map_create(VSWITCH_MAX_BD);
	sw->member_ids = id_map_create(VSWITCH_MAX_MEMBERS);
	if (!sw->bd_ids || !sw->member_ids) {
		snprintf(err, err_size, "out of memory");
		goto fail;
	}

	unsigned mbufs = config->datapath.mbufs;
	sw->pool = rte_pktmbuf_pool_create("loom_mbufs", mbufs, 256, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE,
					   (int)rte_socket_id());
	if (!sw->pool) {
		snprintf(err, err_size,
			 "cannot create a pool of %u mbufs (eal.memory_mb too small?)",
			 mbufs);
		goto fail;
	}

	size_t rcu_size = rte_rcu_qsbr_get_memsize(sw->n_workers);
	sw->rcu = rte_zmalloc("loom_rcu", rcu_size, RTE_CACHE_LINE_SIZE);
	if (!sw->rcu || rte_rcu_qsbr_init(sw->rcu, sw->n_workers) != 0) {
		snprintf(err, err_size, "cannot set up RCU");
		goto fail;
	}

	sw->punt = rte_ring_create_elem("loom_punt", sizeof(struct vswitch_punt),
					1024, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (!sw->punt) {
		snprintf(err, err_size, "cannot create the punt ring");
		goto fail;
	}

	unsigned lcore = 0;
	unsigned w = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (w == sw->n_workers)
			break;
		struct worker *worker = rte_zmalloc_socket(
			"loom_worker", sizeof(*worker), RTE_CACHE_LINE_SIZE,
			(int)rte_lcore_to_socket_id(lcore));
		if (!worker) {
			snprintf(err, err_size, "out of memory");
			goto fail;
		}
		worker->index = w;
		worker->lcore = lcore;
		worker->sw = sw;
		worker->counters = vswitch_counters_create(
			(int)rte_lcore_to_socket_id(lcore));
		if (!worker->counters) {
			rte_free(worker);
			snprintf(err, err_size, "out of memory for counters");
			goto fail;
		}
		worker->context.counters = worker->counters;
		worker->context.pool = sw->pool;
		worker->context.punt = sw->punt;
		worker->context.flow_cache = rte_zmalloc_socket(
			"loom_flow_cache",
			sizeof(struct flow_cache_entry) * FLOW_CACHE_ENTRIES,
			RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore));
		worker->context.policers = calloc(VSWITCH_MAX_MEMBERS + 2,
						  sizeof(*worker->context.policers));
		if (!worker->context.policers || !worker->context.flow_cache) {
			free(worker->context.policers);
			rte_free(worker->context.flow_cache);
			vswitch_counters_free(worker->counters);
			rte_free(worker);
			snprintf(err, err_size, "out of memory for policers");
			goto fail;
		}
		sw->workers[w++] = worker;
	}

	/* The first apply opens every port and publishes the first table;
	 * if any port fails, nothing is left open. */
	if (switch_apply(sw, config, err, err_size) != 0)
		goto fail;

	for (w = 0; w < sw->n_workers; w++) {
		int rc = rte_eal_remote_launch(worker_main, sw->workers[w],
					       sw->workers[w]->lcore);
		if (rc != 0) {
			snprintf(err, err_size, "cannot launch worker on lcore %u",
				 sw->workers[w]->lcore);
			for (unsigned v = 0; v < w; v++)
				sw->workers[v]->stop = true;
			rte_eal_mp_wait_lcore();
			goto fail;
		}
	}
	return sw;

fail:
	switch_destroy(sw);
	return NULL;
}

void switch_destroy(struct loom_switch *sw)
{
	if (!sw)
		return;
	for (unsigned w = 0; w < sw->n_workers; w++)
		if (sw->workers[w])
			sw->workers[w]->stop = true;
	rte_eal_mp_wait_lcore();
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++) {
		if (sw->ports[p].capture_rx || sw->ports[p].capture_tx)
			capture_stop(sw, p);
	}
	capture_poll(sw);
	/* Ports are stopped and closed so pcap outputs are complete. */
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++)
		port_close(sw, &sw->ports[p]);
	datapath_table_free(sw->published);
	sw->published = NULL;
	fdb_free(sw->fdb);
	for (unsigned w = 0; w < sw->n_workers; w++) {
		if (!sw->workers[w])
			continue;
		vswitch_counters_free(sw->workers[w]->counters);
		free(sw->workers[w]->context.policers);
		rte_free(sw->workers[w]->context.flow_cache);
		rte_free(sw->workers[w]);
	}
	rte_free(sw->rcu);
	if (sw->pool)
		rte_mempool_free(sw->pool);
	if (sw->capture_pool)
		rte_mempool_free(sw->capture_pool);
	id_map_free(sw->bd_ids);
	id_map_free(sw->member_ids);
	vxlan_neighbour_table_free(sw->neighbours);
	vxlan_route_table_free(sw->routes);
	if (sw->punt)
		rte_ring_free(sw->punt);
	free(sw->statics);
	switch_config_free(&sw->config);
	pthread_mutex_destroy(&sw->state_lock);
	free(sw);
}
