/* Underlay neighbour table: IPv4 -> MAC of next hops, with static entries
 * and a small NUD-like state machine driven by the caller's clock. Control
 * thread only (see vxlan.h). */
#include "vxlan.h"

#include <stdlib.h>

const char *const vxlan_neighbour_state_names[VXLAN_NEIGHBOUR_STATE_MAX] = {
#define _(name, text) [VXLAN_NEIGHBOUR_##name] = #name,
	foreach_vxlan_neighbour_state
#undef _
};

const char *const vxlan_neighbour_learn_names[VXLAN_NEIGHBOUR_LEARN_MAX] = {
#define _(name, text) [VXLAN_NEIGHBOUR_LEARN_##name] = #name,
	foreach_vxlan_neighbour_learn
#undef _
};

struct vxlan_neighbour_table {
	struct vxlan_neighbour_config config;
	uint32_t capacity;
	uint32_t count;
	struct vxlan_neighbour entries[];
};

struct vxlan_neighbour_table *
vxlan_neighbour_table_create(uint32_t capacity,
			     const struct vxlan_neighbour_config *config)
{
	struct vxlan_neighbour_table *table =
		calloc(1, sizeof(*table) +
				  (size_t)capacity * sizeof(table->entries[0]));

	if (!table)
		return NULL;
	table->capacity = capacity;
	if (config) {
		table->config = *config;
	} else {
		table->config.reachable_ms = 30000;
		table->config.retry_ms = 1000;
		table->config.max_probes = 3;
	}
	if (table->config.max_probes == 0)
		table->config.max_probes = 1;
	return table;
}

void vxlan_neighbour_table_free(struct vxlan_neighbour_table *table)
{
	free(table);
}

static struct vxlan_neighbour *find(const struct vxlan_neighbour_table *table,
				    uint32_t address)
{
	for (uint32_t i = 0; i < table->count; i++)
		if (table->entries[i].address == address)
			return (struct vxlan_neighbour *)&table->entries[i];
	return NULL;
}

static struct vxlan_neighbour *add(struct vxlan_neighbour_table *table,
				   uint32_t address)
{
	if (table->count == table->capacity)
		return NULL;
	struct vxlan_neighbour *entry = &table->entries[table->count++];
	memset(entry, 0, sizeof(*entry));
	entry->address = address;
	return entry;
}

static void remove_at(struct vxlan_neighbour_table *table, uint32_t i)
{
	table->entries[i] = table->entries[--table->count];
}

static bool mac_is_unicast(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, 6) != 0;
}

static bool usable(const struct vxlan_neighbour *entry)
{
	return entry->state != VXLAN_NEIGHBOUR_incomplete;
}

int vxlan_neighbour_add_static(struct vxlan_neighbour_table *table,
			       uint32_t address, const uint8_t mac[6])
{
	if (!mac_is_unicast(mac))
		return -1;
	struct vxlan_neighbour *entry = find(table, address);
	if (!entry)
		entry = add(table, address);
	if (!entry)
		return -1;
	memcpy(entry->mac, mac, 6);
	entry->state = VXLAN_NEIGHBOUR_static;
	entry->probes = 0;
	return 0;
}

int vxlan_neighbour_remove(struct vxlan_neighbour_table *table,
			   uint32_t address)
{
	struct vxlan_neighbour *entry = find(table, address);

	if (!entry)
		return -1;
	remove_at(table, (uint32_t)(entry - table->entries));
	return 0;
}

const struct vxlan_neighbour *
vxlan_neighbour_lookup(const struct vxlan_neighbour_table *table,
		       uint32_t address)
{
	return find(table, address);
}

bool vxlan_neighbour_resolve(struct vxlan_neighbour_table *table,
			     uint32_t address, uint64_t now, uint8_t mac[6])
{
	struct vxlan_neighbour *entry = find(table, address);

	if (entry) {
		if (!usable(entry))
			return false;
		memcpy(mac, entry->mac, 6);
		return true;
	}
	entry = add(table, address);
	if (entry) {
		entry->state = VXLAN_NEIGHBOUR_incomplete;
		entry->probed = now;
	}
	return false;
}

enum vxlan_neighbour_learn_result
vxlan_neighbour_learn(struct vxlan_neighbour_table *table, uint32_t address,
		      const uint8_t mac[6], uint64_t now)
{
	struct vxlan_neighbour *entry = find(table, address);
	enum vxlan_neighbour_learn_result result;

	if (!entry || !mac_is_unicast(mac))
		return VXLAN_NEIGHBOUR_LEARN_unknown;
	if (entry->state == VXLAN_NEIGHBOUR_static)
		return VXLAN_NEIGHBOUR_LEARN_static_kept;
	if (entry->state == VXLAN_NEIGHBOUR_incomplete)
		result = VXLAN_NEIGHBOUR_LEARN_resolved;
	else if (memcmp(entry->mac, mac, 6) != 0)
		result = VXLAN_NEIGHBOUR_LEARN_moved;
	else
		result = VXLAN_NEIGHBOUR_LEARN_confirmed;
	memcpy(entry->mac, mac, 6);
	entry->state = VXLAN_NEIGHBOUR_reachable;
	entry->confirmed = now;
	entry->probes = 0;
	return result;
}

size_t vxlan_neighbour_tick(struct vxlan_neighbour_table *table, uint64_t now,
			    uint32_t *probe, size_t probe_max, bool *changed)
{
	const struct vxlan_neighbour_config *config = &table->config;
	size_t probes = 0;
	uint32_t i = 0;

	while (i < table->count) {
		struct vxlan_neighbour *entry = &table->entries[i];

		if (entry->state == VXLAN_NEIGHBOUR_static) {
			i++;
			continue;
		}
		if (entry->state == VXLAN_NEIGHBOUR_reachable) {
			if (now - entry->confirmed < config->reachable_ms) {
				i++;
				continue;
			}
			entry->state = VXLAN_NEIGHBOUR_stale;
			entry->probes = 0;
		}
		/* incomplete or stale: probe every retry_ms, give up after
		 * max_probes unanswered requests */
		if (entry->probes > 0 && now - entry->probed < config->retry_ms) {
			i++;
			continue;
		}
		if (entry->probes >= config->max_probes) {
			if (entry->state == VXLAN_NEIGHBOUR_stale && changed)
				*changed = true;
			remove_at(table, i);
			continue; /* entry i is now another one */
		}
		if (probes < probe_max) {
			probe[probes++] = entry->address;
			entry->probes++;
			entry->probed = now;
		}
		i++;
	}
	return probes;
}

uint32_t vxlan_neighbour_count(const struct vxlan_neighbour_table *table)
{
	return table->count;
}

const struct vxlan_neighbour *
vxlan_neighbour_at(const struct vxlan_neighbour_table *table, uint32_t i)
{
	return i < table->count ? &table->entries[i] : NULL;
}
