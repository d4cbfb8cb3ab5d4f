/* Fuzz target: VXLAN decapsulation of arbitrary outer frames.
 *
 * Input: byte 0 selects the underlay variant (bit 0: underlay VLAN 10,
 * bit 1: ignore reserved bits, bit 2: verify UDP checksums); the rest is
 * the frame, decapsulated from a heap copy of its exact size so that any
 * read past the end is caught. Tunnels: (10.0.0.2, VNI 100) -> 1,
 * (10.0.0.2, 200) -> 2, (10.0.0.3, 100) -> 3, to us at 10.0.0.1:4789.
 *
 * Properties checked beyond "no crash": the verdict is in range; the frame
 * is not written; on ok the inner frame lies within the frame, is at least
 * an Ethernet header, and belongs to a member whose template has the same
 * VNI; and re-encapsulating that inner frame as the remote VTEP would
 * decapsulates again to the same member and the same bytes. ARP frames go
 * on to the ARP handler, as the switch does. */
#include <stdio.h>
#include <stdlib.h>

#include "vxlan.h"

#define VARIANTS 8

static struct vxlan_tunnel_table *tables[VARIANTS];

static void build_tables(void)
{
	static const struct vxlan_tunnel_spec specs[] = {
		{ .member = 1, .bd = 1, .vni = 100, .remote = 0x0a000002,
		  .next_hop_mac = { 2, 0, 0, 0, 0, 2 }, .resolved = true },
		{ .member = 2, .bd = 2, .vni = 200, .remote = 0x0a000002,
		  .next_hop_mac = { 2, 0, 0, 0, 0, 2 }, .resolved = true },
		{ .member = 3, .bd = 1, .vni = 100, .remote = 0x0a000003,
		  .next_hop_mac = { 2, 0, 0, 0, 0, 3 }, .resolved = true },
	};
	for (int v = 0; v < VARIANTS; v++) {
		struct vxlan_underlay u;
		char error[128];

		vxlan_underlay_defaults(&u);
		u.mac[0] = 2;
		u.mac[5] = 1;
		u.address = 0x0a000001;
		u.prefix_length = 24;
		u.vid = v & 1 ? 10 : 0;
		u.ignore_reserved_bits = v & 2;
		u.verify_udp_checksum = v & 4;
		tables[v] = vxlan_tunnel_table_build(&u, specs, 3, error,
						     sizeof(error));
		if (!tables[v]) {
			fprintf(stderr, "fuzz_vxlan_decap: %s\n", error);
			abort();
		}
	}
}

/* The remote VTEP's view: encapsulate the inner frame towards us and check
 * that we decapsulate it the same way. */
static void check_round_trip(const struct vxlan_tunnel_table *table,
			     const struct vxlan_decap_result *result,
			     const uint8_t *inner)
{
	const struct vxlan_underlay *u = &table->underlay;
	struct vxlan_encap_params params = {
		.source_mac = { 2, 0, 0, 0, 0, 9 },
		.vid = u->vid,
		.source = result->outer_source,
		.destination = u->address,
		.udp_port = result->udp_port,
		.source_port_min = 1,
		.source_port_max = 65535,
		.ttl = 1,
		.df = true,
		.mtu = 65535,
		.vni = result->vni,
		.member = 1,
		.resolved = true,
	};
	struct vxlan_encap_template template;
	memcpy(params.destination_mac, u->mac, 6);
	if (vxlan_encap_template_build(&template, &params, NULL, 0) < 0)
		abort();

	uint32_t length = template.length + result->inner_length;
	uint8_t *frame = malloc(length);
	memcpy(frame + template.length, inner, result->inner_length);
	if (vxlan_encap(&template, frame + template.length,
			result->inner_length, 0) != VXLAN_ENCAP_ok)
		abort();

	struct vxlan_decap_result again;
	if (vxlan_decap(table, frame, length, &again) != VXLAN_DECAP_ok ||
	    again.member != result->member || again.vni != result->vni ||
	    again.inner_length != result->inner_length ||
	    memcmp(frame + again.inner_offset, inner, again.inner_length) != 0)
		abort();
	free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!tables[0])
		build_tables();
	if (size < 1 || size > 70000)
		return 0;

	const struct vxlan_tunnel_table *table = tables[data[0] % VARIANTS];
	uint32_t length = (uint32_t)(size - 1);
	uint8_t *frame = malloc(length ? length : 1);
	memcpy(frame, data + 1, length);

	struct vxlan_decap_result result;
	enum vxlan_decap_verdict verdict =
		vxlan_decap(table, frame, length, &result);
	if ((unsigned)verdict >= VXLAN_DECAP_VERDICT_MAX ||
	    memcmp(frame, data + 1, length) != 0)
		abort();

	if (verdict == VXLAN_DECAP_ok) {
		const struct vxlan_encap_template *template =
			vxlan_tunnel_template(table, result.member);
		if (result.inner_length < 14 ||
		    (uint32_t)result.inner_offset + result.inner_length >
			    length ||
		    !template || template->vni != result.vni ||
		    vxlan_decap_is_drop(verdict))
			abort();
		check_round_trip(table, &result, frame + result.inner_offset);
	} else if (verdict == VXLAN_DECAP_arp) {
		struct vxlan_arp arp;
		vxlan_arp_handle(&table->underlay, frame, length, &arp);
	}
	free(frame);
	return 0;
}
