/* Control side of encapsulation and decapsulation: verdict names, the
 * underlay configuration, encap templates and tunnel tables. Runs on the
 * control thread; the fast path that reads what is built here is inline in
 * vxlan.h. */
#include "vxlan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *const vxlan_encap_verdict_names[VXLAN_ENCAP_VERDICT_MAX] = {
#define _(name, text) [VXLAN_ENCAP_##name] = #name,
	foreach_vxlan_encap_verdict
#undef _
};

const char *const vxlan_encap_verdict_descriptions[VXLAN_ENCAP_VERDICT_MAX] = {
#define _(name, text) [VXLAN_ENCAP_##name] = text,
	foreach_vxlan_encap_verdict
#undef _
};

const char *const vxlan_decap_verdict_names[VXLAN_DECAP_VERDICT_MAX] = {
#define _(name, text) [VXLAN_DECAP_##name] = #name,
	foreach_vxlan_decap_verdict
#undef _
};

const char *const vxlan_decap_verdict_descriptions[VXLAN_DECAP_VERDICT_MAX] = {
#define _(name, text) [VXLAN_DECAP_##name] = text,
	foreach_vxlan_decap_verdict
#undef _
};

const char *const vxlan_resolve_result_names[VXLAN_RESOLVE_RESULT_MAX] = {
#define _(name, text) [VXLAN_RESOLVE_##name] = #name,
	foreach_vxlan_resolve_result
#undef _
};

static void set_error(char *error, size_t error_size, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static void set_error(char *error, size_t error_size, const char *format, ...)
{
	va_list args;

	if (!error || error_size == 0)
		return;
	va_start(args, format);
	vsnprintf(error, error_size, format, args);
	va_end(args);
}

uint64_t vxlan_checksum_add(uint64_t sum, const uint8_t *data, size_t length)
{
	size_t i;

	for (i = 0; i + 1 < length; i += 2)
		sum += (uint32_t)data[i] << 8 | data[i + 1];
	if (i < length)
		sum += (uint32_t)data[i] << 8;
	return sum;
}

bool vxlan_udp_checksum_ok(uint32_t source, uint32_t destination,
			   const uint8_t *udp, uint32_t udp_length)
{
	uint64_t sum = (source >> 16) + (source & 0xffff) +
		       (destination >> 16) + (destination & 0xffff) + 17 +
		       udp_length;

	return vxlan_checksum_fold(vxlan_checksum_add(sum, udp, udp_length)) ==
	       0xffff;
}

void vxlan_underlay_defaults(struct vxlan_underlay *underlay)
{
	memset(underlay, 0, sizeof(*underlay));
	underlay->udp_port = VXLAN_PORT_DEFAULT;
	underlay->mtu = 1500;
	underlay->ttl = 64;
	underlay->df = true;
	underlay->source_port_min = VXLAN_SOURCE_PORT_MIN;
	underlay->source_port_max = VXLAN_SOURCE_PORT_MAX;
}

static bool mac_is_unicast(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, 6) != 0;
}

/* Smallest IPv4 MTU (RFC 791) that still leaves room for an inner
 * Ethernet header after the 36 bytes of encapsulation. */
#define VXLAN_MTU_MIN 68

int vxlan_underlay_check(const struct vxlan_underlay *underlay, char *error,
			 size_t error_size)
{
	if (!mac_is_unicast(underlay->mac)) {
		set_error(error, error_size,
			  "underlay MAC must be unicast and not zero");
		return -1;
	}
	if (underlay->address == 0 || underlay->address >= 0xe0000000u) {
		set_error(error, error_size,
			  "VTEP address must be a unicast IPv4 address");
		return -1;
	}
	if (underlay->prefix_length > 32) {
		set_error(error, error_size, "prefix length %u > 32",
			  underlay->prefix_length);
		return -1;
	}
	if (underlay->vid > 4094) {
		set_error(error, error_size, "underlay VID %u > 4094",
			  underlay->vid);
		return -1;
	}
	if (underlay->udp_port == 0) {
		set_error(error, error_size, "VXLAN UDP port 0");
		return -1;
	}
	if (underlay->mtu < VXLAN_MTU_MIN) {
		set_error(error, error_size, "underlay MTU %u < %u",
			  underlay->mtu, VXLAN_MTU_MIN);
		return -1;
	}
	if (underlay->ttl == 0) {
		set_error(error, error_size, "TTL 0");
		return -1;
	}
	if (underlay->source_port_min == 0 ||
	    underlay->source_port_min > underlay->source_port_max) {
		set_error(error, error_size, "bad UDP source port range %u-%u",
			  underlay->source_port_min, underlay->source_port_max);
		return -1;
	}
	return 0;
}

int vxlan_encap_template_build(struct vxlan_encap_template *template,
			       const struct vxlan_encap_params *params,
			       char *error, size_t error_size)
{
	if (params->vni > VXLAN_VNI_MAX) {
		set_error(error, error_size, "VNI %u > %u", params->vni,
			  VXLAN_VNI_MAX);
		return -1;
	}
	if (params->vid > 4094) {
		set_error(error, error_size, "VID %u > 4094", params->vid);
		return -1;
	}
	if (params->ttl == 0) {
		set_error(error, error_size, "TTL 0");
		return -1;
	}
	if (params->mtu < VXLAN_MTU_MIN) {
		set_error(error, error_size, "MTU %u < %u", params->mtu,
			  VXLAN_MTU_MIN);
		return -1;
	}
	if (params->source_port_min == 0 ||
	    params->source_port_min > params->source_port_max) {
		set_error(error, error_size, "bad UDP source port range %u-%u",
			  params->source_port_min, params->source_port_max);
		return -1;
	}

	memset(template, 0, sizeof(*template));
	uint8_t *h = template->header;
	uint32_t offset = VXLAN_ETHERNET_LENGTH;

	memcpy(h, params->destination_mac, 6);
	memcpy(h + 6, params->source_mac, 6);
	if (params->vid) {
		vxlan_put16(h + 12, VXLAN_ETHERTYPE_VLAN);
		vxlan_put16(h + 14, params->vid);
		offset += VXLAN_VLAN_LENGTH;
	}
	vxlan_put16(h + offset - 2, VXLAN_ETHERTYPE_IPV4);
	template->ip_offset = (uint8_t)offset;

	/* IPv4: total length, identification and checksum are per packet */
	uint8_t *ip = h + offset;
	ip[0] = 0x45;
	ip[1] = params->tos;
	vxlan_put16(ip + 6, params->df ? 0x4000 : 0);
	ip[8] = params->ttl;
	ip[9] = 17;
	vxlan_put32(ip + 12, params->source);
	vxlan_put32(ip + 16, params->destination);
	template->checksum_base = vxlan_checksum_fold(
		vxlan_checksum_add(0, ip, VXLAN_IPV4_LENGTH));

	/* UDP: source port and length per packet, checksum 0 (RFC 7348) */
	uint8_t *udp = ip + VXLAN_IPV4_LENGTH;
	vxlan_put16(udp + 2, params->udp_port);

	/* VXLAN */
	uint8_t *vxlan = udp + VXLAN_UDP_LENGTH;
	vxlan[0] = VXLAN_FLAG_I;
	vxlan_put32(vxlan + 4, params->vni << 8);

	template->length = (uint8_t)(offset + VXLAN_IPV4_OVERHEAD);
	template->max_inner_length =
		(uint16_t)(params->mtu - VXLAN_IPV4_OVERHEAD);
	template->ip_id_mask = params->df ? 0 : 0xffff;
	template->source_port_min = params->source_port_min;
	template->source_port_span =
		(uint32_t)params->source_port_max - params->source_port_min + 1;
	template->vni = params->vni;
	template->member = params->member;
	template->resolved = params->resolved;
	return 0;
}

void vxlan_tunnel_table_free(struct vxlan_tunnel_table *table)
{
	if (!table)
		return;
	free((void *)table->slots);
	free((void *)table->templates);
	free((void *)table->template_index);
	free((void *)table->flood_offsets);
	free((void *)table->flood_members);
	free((void *)table->tunnels);
	free(table);
}

static int check_spec(const struct vxlan_underlay *underlay,
		      const struct vxlan_tunnel_spec *spec, size_t i,
		      char *error, size_t error_size)
{
	if (spec->member == VXLAN_NO_MEMBER || spec->member > VXLAN_MEMBER_MAX) {
		set_error(error, error_size, "tunnel %zu: member id %u", i,
			  spec->member);
		return -1;
	}
	if (spec->vni > VXLAN_VNI_MAX) {
		set_error(error, error_size, "tunnel %zu: VNI %u > %u", i,
			  spec->vni, VXLAN_VNI_MAX);
		return -1;
	}
	if (spec->remote == 0 || spec->remote >= 0xe0000000u ||
	    spec->remote == underlay->address) {
		set_error(error, error_size,
			  "tunnel %zu: remote VTEP must be a unicast address "
			  "other than ours",
			  i);
		return -1;
	}
	return 0;
}

/* Inserts into the decap hash; -1 if the key is already there. */
static int insert_slot(struct vxlan_tunnel_slot *slots, uint32_t mask,
		       uint64_t addresses, uint64_t rest, uint16_t member)
{
	uint32_t i = vxlan_tunnel_hash(addresses, rest) & mask;

	while (slots[i].rest != 0) {
		if (slots[i].addresses == addresses &&
		    (slots[i].rest & 0xffffffffffffull) == rest)
			return -1;
		i = (i + 1) & mask;
	}
	slots[i].addresses = addresses;
	slots[i].rest = rest | (uint64_t)member << 48;
	return 0;
}

struct vxlan_tunnel_table *
vxlan_tunnel_table_build(const struct vxlan_underlay *underlay,
			 const struct vxlan_tunnel_spec *tunnels, size_t count,
			 char *error, size_t error_size)
{
	if (vxlan_underlay_check(underlay, error, error_size) < 0)
		return NULL;
	if (count > VXLAN_MEMBER_MAX) {
		set_error(error, error_size, "%zu tunnels > %u", count,
			  VXLAN_MEMBER_MAX);
		return NULL;
	}

	uint32_t member_limit = 1, bd_limit = 1;
	for (size_t i = 0; i < count; i++) {
		if (check_spec(underlay, &tunnels[i], i, error, error_size) < 0)
			return NULL;
		if (tunnels[i].member + 1u > member_limit)
			member_limit = tunnels[i].member + 1u;
		if (tunnels[i].bd + 1u > bd_limit)
			bd_limit = tunnels[i].bd + 1u;
	}

	uint32_t slot_count = 16;
	while (slot_count < 2 * count)
		slot_count *= 2;

	struct vxlan_tunnel_table *table = calloc(1, sizeof(*table));
	if (!table) {
		set_error(error, error_size, "out of memory");
		return NULL;
	}
	table->underlay = *underlay;
	table->slot_mask = slot_count - 1;
	table->member_limit = member_limit;
	table->bd_limit = bd_limit;
	table->tunnel_count = (uint32_t)count;

	struct vxlan_tunnel_slot *slots = calloc(slot_count, sizeof(*slots));
	size_t template_bytes = (count ? count : 1) *
				sizeof(struct vxlan_encap_template);
	struct vxlan_encap_template *templates =
		aligned_alloc(64, template_bytes);
	uint16_t *template_index = calloc(member_limit, sizeof(uint16_t));
	uint32_t *flood_offsets = calloc(bd_limit + 1, sizeof(uint32_t));
	uint16_t *flood_members = calloc(count ? count : 1, sizeof(uint16_t));
	struct vxlan_tunnel_spec *copy =
		calloc(count ? count : 1, sizeof(*copy));

	table->slots = slots;
	table->templates = templates;
	table->template_index = template_index;
	table->flood_offsets = flood_offsets;
	table->flood_members = flood_members;
	table->tunnels = copy;
	if (!slots || !templates || !template_index || !flood_offsets ||
	    !flood_members || !copy) {
		set_error(error, error_size, "out of memory");
		goto fail;
	}
	if (count)
		memcpy(copy, tunnels, count * sizeof(*copy));

	for (size_t i = 0; i < count; i++) {
		const struct vxlan_tunnel_spec *spec = &tunnels[i];
		struct vxlan_encap_params params = {
			.vid = underlay->vid,
			.source = underlay->address,
			.destination = spec->remote,
			.udp_port = underlay->udp_port,
			.source_port_min = underlay->source_port_min,
			.source_port_max = underlay->source_port_max,
			.ttl = underlay->ttl,
			.tos = underlay->tos,
			.df = underlay->df,
			.mtu = underlay->mtu,
			.vni = spec->vni,
			.member = spec->member,
			.resolved = spec->resolved,
		};

		if (template_index[spec->member]) {
			set_error(error, error_size,
				  "tunnel %zu: member %u used twice", i,
				  spec->member);
			goto fail;
		}
		memcpy(params.source_mac, underlay->mac, 6);
		memcpy(params.destination_mac, spec->next_hop_mac, 6);
		if (vxlan_encap_template_build(&templates[i], &params, error,
					       error_size) < 0)
			goto fail;
		template_index[spec->member] = (uint16_t)(i + 1);

		uint64_t addresses =
			(uint64_t)spec->remote << 32 | underlay->address;
		uint64_t rest = (uint64_t)spec->vni |
				(uint64_t)underlay->udp_port << 24;
		if (insert_slot(slots, table->slot_mask, addresses, rest,
				spec->member) < 0) {
			set_error(error, error_size,
				  "tunnel %zu: remote VTEP and VNI %u already "
				  "used by another member",
				  i, spec->vni);
			goto fail;
		}
		if (spec->bd)
			flood_offsets[spec->bd + 1]++;
	}

	/* flood lists: counts -> offsets, then place in spec order */
	for (uint32_t bd = 1; bd <= bd_limit; bd++)
		flood_offsets[bd] += flood_offsets[bd - 1];
	uint32_t *next = calloc(bd_limit, sizeof(uint32_t));
	if (!next) {
		set_error(error, error_size, "out of memory");
		goto fail;
	}
	memcpy(next, flood_offsets, bd_limit * sizeof(uint32_t));
	for (size_t i = 0; i < count; i++)
		if (tunnels[i].bd)
			flood_members[next[tunnels[i].bd]++] = tunnels[i].member;
	free(next);
	return table;

fail:
	vxlan_tunnel_table_free(table);
	return NULL;
}

enum vxlan_resolve_result
vxlan_tunnel_resolve(const struct vxlan_route_table *routes,
		     struct vxlan_neighbour_table *neighbours, uint64_t now,
		     struct vxlan_tunnel_spec *spec)
{
	uint32_t next_hop;

	spec->resolved = false;
	memset(spec->next_hop_mac, 0, 6);
	if (!vxlan_route_lookup(routes, spec->remote, &next_hop))
		return VXLAN_RESOLVE_no_route;
	if (!vxlan_neighbour_resolve(neighbours, next_hop, now,
				     spec->next_hop_mac))
		return VXLAN_RESOLVE_incomplete;
	spec->resolved = true;
	return VXLAN_RESOLVE_resolved;
}
