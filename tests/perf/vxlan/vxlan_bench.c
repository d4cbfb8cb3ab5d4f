/* vxlan-bench: cycles per packet of the VXLAN header code alone, on 64-byte
 * inner frames in L1-resident buffers: no mbufs, no rx/tx, no FDB. It tells
 * how much of the switch's budget (encap <= 95, decap <= 110 cycles with
 * ~48 of rx/tx) the header code takes.
 *
 *   encap:       template lookup by member, flow hash, MTU check, 50-byte
 *                header write with the incremental IPv4 checksum
 *   decap:       full validation (Ethernet, IPv4 + checksum, UDP, VXLAN)
 *                and the tunnel lookup in a table of 1,000 tunnels
 *   flow-hash:   the UDP source port hash alone
 *   arp-reply:   parse an ARP request for our address and rewrite it
 *
 * Cycles are TSC ticks (rdtsc) divided by packets, best of several rounds;
 * on CPUs whose TSC runs at the nominal frequency this is close to core
 * cycles when the core is not boosting. Usage: vxlan-bench [rounds]. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vxlan.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static inline uint64_t ticks(void)
{
	return __rdtsc();
}
#define TICK_UNIT "cycles (TSC)"
#else
static inline uint64_t ticks(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#define TICK_UNIT "ns"
#endif

#define TUNNELS 1000
#define FRAMES 64 /* distinct frames cycled through */
#define HEADROOM 64
#define INNER 64
#define PER_ROUND 200000

static volatile uint64_t sink;

static void put16(uint8_t *p, uint16_t v)
{
	vxlan_put16(p, v);
}

static void inner_frame(uint8_t *inner, uint32_t flow)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0xaa, 1,
					  2, 0, 0, 0, 0xbb, 1 };
	memset(inner, 0x5a, INNER);
	memcpy(inner, macs, 12);
	put16(inner + 12, 0x0800);
	inner[14] = 0x45;
	put16(inner + 16, INNER - 14);
	put16(inner + 20, 0);
	inner[22] = 64;
	inner[23] = 17;
	vxlan_put32(inner + 26, 0x0a010001);
	vxlan_put32(inner + 30, 0x0a010002 + flow);
	put16(inner + 34, (uint16_t)(1024 + flow));
	put16(inner + 36, 80);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 7;
	struct vxlan_underlay u;

	vxlan_underlay_defaults(&u);
	u.mac[0] = 2;
	u.mac[5] = 1;
	u.address = 0x0a000001;
	u.prefix_length = 16;

	struct vxlan_tunnel_spec *specs = calloc(TUNNELS, sizeof(*specs));
	for (uint32_t i = 0; i < TUNNELS; i++) {
		specs[i].member = (uint16_t)(i + 1);
		specs[i].bd = (uint16_t)(i % 10 + 1);
		specs[i].vni = 1000 + i % 10;
		specs[i].remote = 0x0a000100 + i / 10 * 3;
		specs[i].next_hop_mac[0] = 2;
		specs[i].next_hop_mac[5] = (uint8_t)i;
		specs[i].resolved = true;
	}
	char error[128];
	struct vxlan_tunnel_table *table =
		vxlan_tunnel_table_build(&u, specs, TUNNELS, error,
					 sizeof(error));
	if (!table) {
		fprintf(stderr, "vxlan-bench: %s\n", error);
		return 1;
	}

	/* encap inputs and, from them, decap inputs as the far ends would
	 * send them (their template towards us) */
	static uint8_t encap_frames[FRAMES][HEADROOM + INNER];
	static uint8_t decap_frames[FRAMES][HEADROOM + INNER];
	uint16_t members[FRAMES];
	for (uint32_t f = 0; f < FRAMES; f++) {
		members[f] = (uint16_t)(f * 37 % TUNNELS + 1);
		inner_frame(encap_frames[f] + HEADROOM, f);

		const struct vxlan_tunnel_spec *s = &specs[members[f] - 1];
		struct vxlan_encap_params p = {
			.source = s->remote, .destination = u.address,
			.udp_port = 4789, .source_port_min = 49152,
			.source_port_max = 65535, .ttl = 64, .df = true,
			.mtu = 1500, .vni = s->vni, .member = 1,
			.resolved = true,
		};
		memcpy(p.destination_mac, u.mac, 6);
		memcpy(p.source_mac, s->next_hop_mac, 6);
		struct vxlan_encap_template t;
		vxlan_encap_template_build(&t, &p, NULL, 0);
		inner_frame(decap_frames[f] + 50, f);
		vxlan_encap(&t, decap_frames[f] + 50, INNER, 0);
		struct vxlan_decap_result r;
		if (vxlan_decap(table, decap_frames[f], 50 + INNER, &r) !=
			    VXLAN_DECAP_ok ||
		    r.member != members[f]) {
			fprintf(stderr, "vxlan-bench: decap setup failed\n");
			return 1;
		}
	}
	uint8_t arp_frames[FRAMES][64];

	printf("vxlan-bench: %d rounds of %d packets, 64-byte inner frames, "
	       "%d tunnels; best round, %s per packet\n",
	       rounds, PER_ROUND, TUNNELS, TICK_UNIT);

	double best_encap = 1e9, best_decap = 1e9, best_hash = 1e9,
	       best_arp = 1e9;
	for (int round = 0; round < rounds; round++) {
		uint64_t start, acc = 0;

		start = ticks();
		for (uint32_t i = 0; i < PER_ROUND; i++) {
			uint32_t f = i % FRAMES;
			const struct vxlan_encap_template *t =
				vxlan_tunnel_template(table, members[f]);
			acc += vxlan_encap(t, encap_frames[f] + HEADROOM, INNER,
					   (uint16_t)i);
			acc += encap_frames[f][HEADROOM - 50 + 34];
		}
		double encap = (double)(ticks() - start) / PER_ROUND;

		start = ticks();
		for (uint32_t i = 0; i < PER_ROUND; i++) {
			struct vxlan_decap_result r = {0};
			uint32_t f = i % FRAMES;
			acc += vxlan_decap(table, decap_frames[f], 50 + INNER,
					   &r);
			acc += r.member + r.inner_offset;
		}
		double decap = (double)(ticks() - start) / PER_ROUND;

		start = ticks();
		for (uint32_t i = 0; i < PER_ROUND; i++)
			acc += vxlan_flow_hash(
				encap_frames[i % FRAMES] + HEADROOM, INNER);
		double hash = (double)(ticks() - start) / PER_ROUND;

		double arp = 0;
		uint32_t arp_count = 0;
		uint64_t arp_ticks = 0;
		for (uint32_t i = 0; i < PER_ROUND / FRAMES; i++) {
			for (uint32_t f = 0; f < FRAMES; f++)
				vxlan_arp_request_build(&u, u.address,
							arp_frames[f], 64);
			for (uint32_t f = 0; f < FRAMES; f++)
				arp_frames[f][6 + 5] = (uint8_t)(f + 2);
			start = ticks();
			for (uint32_t f = 0; f < FRAMES; f++) {
				struct vxlan_arp a;
				/* a request "from" f to us */
				arp_frames[f][14 + 8 + 5] = (uint8_t)(f + 2);
				vxlan_put32(arp_frames[f] + 14 + 14,
					    0x0a000002 + f);
				acc += vxlan_arp_handle(&u, arp_frames[f], 60,
							&a);
			}
			arp_ticks += ticks() - start;
			arp_count += FRAMES;
		}
		arp = (double)arp_ticks / arp_count;
		sink += acc;

		if (encap < best_encap)
			best_encap = encap;
		if (decap < best_decap)
			best_decap = decap;
		if (hash < best_hash)
			best_hash = hash;
		if (arp < best_arp)
			best_arp = arp;
	}
	printf("  %-10s %6.1f\n", "encap", best_encap);
	printf("  %-10s %6.1f\n", "decap", best_decap);
	printf("  %-10s %6.1f\n", "flow-hash", best_hash);
	printf("  %-10s %6.1f\n", "arp-reply", best_arp);
	vxlan_tunnel_table_free(table);
	free(specs);
	return 0;
}
