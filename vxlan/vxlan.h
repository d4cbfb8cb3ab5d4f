/* vxlan: an RFC 7348 VTEP's header code and tables, on plain byte buffers.
 *
 * What this is. Everything a VXLAN tunnel endpoint needs that is not the
 * switch pipeline itself: writing and validating the outer headers, the
 * tables that map a decapsulated frame to a bridge-domain member and a
 * member to its outer headers, head-end replication lists, and the underlay
 * (ARP, a neighbour table, connected and static routes). There is no DPDK
 * here: frames are (pointer, length) byte buffers, so every function can be
 * unit-tested and fuzzed anywhere. vswitch/ calls it once per packet with
 * pointers into mbufs.
 *
 * Two kinds of code live here:
 *
 *  - The fast path, static inline in this header because it runs once per
 *    packet inside the switch's loop and a call would cost more than some of
 *    these functions: vxlan_flow_hash(), vxlan_encap(), vxlan_decap() and
 *    the lookups in a published struct vxlan_tunnel_table. They never
 *    allocate, never lock, never write anything but the frame they are
 *    given and their result structure.
 *
 *  - The control side, in the .c files: building and freeing tunnel tables
 *    and templates (tunnel.c), ARP (arp.c), the neighbour table
 *    (neighbour.c) and the route table (route.c). These run on the control
 *    thread only; ARP parsing and the in-place reply are cheap enough that
 *    a worker may also call them.
 *
 * Cycle budget. The whole switch aims at <= 95 cycles per packet to
 * encapsulate and <= 110 to decapsulate, rx and tx (~48) included. So
 * encapsulation is a copy of a precomputed 50-byte header (the template)
 * plus four 16-bit stores, with the IPv4 header checksum updated
 * incrementally from a precomputed sum (RFC 1624) rather than recomputed;
 * the UDP source port is a two-multiply hash of the inner flow.
 * Decapsulation is straight-line checks on the bytes at known offsets, a
 * 20-byte checksum verification, and one probe (usually) of an open-
 * addressing hash table that is immutable and therefore needs no
 * synchronisation to read. Measured by tests/perf/vxlan/vxlan-bench
 * (64-byte inner frames, 1,000 tunnels, buffers in L1): encap about 20
 * cycles (template lookup, flow hash, header write), decap about 25
 * (validation and tunnel lookup), which leaves the switch about 25 and 35
 * cycles for its FDB and forwarding.
 *
 * How the switch uses it, per packet:
 *  - to a tunnel member m: t = vxlan_tunnel_template(table, m);
 *    v = vxlan_encap(t, inner, length, ip_id++); on ok prepend t->length
 *    bytes and send on the underlay port, else count v and drop.
 *    Flooding in BD b: hash the inner frame once (vxlan_flow_hash()), and
 *    for each member of vxlan_flood_members(table, b), unless the frame
 *    came from a tunnel (split horizon), make a copy, vxlan_encap_check()
 *    it and vxlan_encap_write() that member's header.
 *  - from the underlay port: v = vxlan_decap(table, frame, length, &r);
 *    ok: strip r.inner_offset bytes, trim to r.inner_length, and input
 *    the inner frame on member r.member; arp: vxlan_arp_handle(); other
 *    verdicts: count and drop (or pass to the host); drops: count by
 *    verdict (vxlan_decap_is_drop()).
 *
 * Byte order. Every IPv4 address, port and VNI in the API is a host-order
 * integer (192.0.2.1 is 0xc0000201); MAC addresses are 6-byte arrays in
 * wire order. Conversions happen only at the frame boundary.
 *
 * Scope and limits, and why:
 *  - IPv4 underlay only for now (encap 50 bytes, 54 with an underlay
 *    802.1Q tag). IPv6 (70 bytes) and ND are not written yet; the template
 *    carries its own length so adding them does not change callers.
 *  - One VTEP address and one VXLAN UDP port per underlay: decap accepts
 *    only frames for that address and port (the key still carries both, so
 *    lookups stay exact). Multicast underlay groups are not supported:
 *    broadcast, unknown unicast and multicast go by head-end replication.
 *  - The outer UDP checksum is sent as zero (allowed over IPv4, RFC 7348
 *    section 5, and what Linux sends by default). On receipt it is ignored
 *    unless the underlay asks to verify it (RFC 7348 lets a receiver
 *    choose); verification walks the whole frame, so it is off by default.
 *  - Frames too big for the underlay MTU after encapsulation are not
 *    fragmented (RFC 7348 section 4.3 forbids it): vxlan_encap() returns
 *    VXLAN_ENCAP_too_big and the switch drops and counts the frame.
 *    Outer fragments are dropped on receipt (we never reassemble).
 *  - Reserved bits: RFC 7348 says "ignored on receipt". We default to the
 *    Linux kernel's stricter behaviour (any flag other than I, or any
 *    reserved bit, drops the frame as reserved_bits) because it keeps the
 *    bits free for extensions (GPE, GBP) that a peer might otherwise use
 *    without our knowing; vxlan_underlay.ignore_reserved_bits selects the
 *    RFC's literal behaviour. A clear I flag always drops (bad_flags).
 */
#ifndef LOOM_VXLAN_H
#define LOOM_VXLAN_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VXLAN_PORT_DEFAULT 4789         /* IANA, RFC 7348 section 5 */
#define VXLAN_SOURCE_PORT_MIN 49152     /* RFC 7348: dynamic/private range */
#define VXLAN_SOURCE_PORT_MAX 65535
#define VXLAN_VNI_MAX 0xffffffu         /* 24 bits */
#define VXLAN_NO_MEMBER 0               /* member ids are 1..65534 */
#define VXLAN_MEMBER_MAX 65534

#define VXLAN_ETHERNET_LENGTH 14
#define VXLAN_VLAN_LENGTH 4
#define VXLAN_IPV4_LENGTH 20
#define VXLAN_UDP_LENGTH 8
#define VXLAN_HEADER_LENGTH 8
/* Outer headers in front of the inner frame: 14 + 20 + 8 + 8. */
#define VXLAN_ENCAP_IPV4_LENGTH 50
/* The same with an 802.1Q tag on the underlay. */
#define VXLAN_ENCAP_IPV4_VLAN_LENGTH 54
/* Bytes an encapsulation adds to the IP packet size (what the MTU limits):
 * IPv4 + UDP + VXLAN headers. */
#define VXLAN_IPV4_OVERHEAD 36
#define VXLAN_ENCAP_MAX_LENGTH VXLAN_ENCAP_IPV4_VLAN_LENGTH

#define VXLAN_FLAG_I 0x08 /* "VNI is valid", the only flag RFC 7348 has */

#define VXLAN_ETHERTYPE_IPV4 0x0800
#define VXLAN_ETHERTYPE_ARP 0x0806
#define VXLAN_ETHERTYPE_VLAN 0x8100
#define VXLAN_ETHERTYPE_IPV6 0x86dd

/* ---- Byte access ----------------------------------------------------------
 * Unaligned big-endian loads and stores. memcpy of a constant size compiles
 * to one move; the frame may start at any address. */
static inline uint16_t vxlan_get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return be16toh(v);
}

static inline uint32_t vxlan_get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return be32toh(v);
}

static inline void vxlan_put16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, 2);
}

static inline void vxlan_put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

/* Native-order loads, for hashing and checksums where order is irrelevant. */
static inline uint64_t vxlan_load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t vxlan_load32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Folds a 32-bit one's complement accumulator to 16 bits. */
static inline uint16_t vxlan_checksum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

/* One's complement sum of data (RFC 1071) added to sum, as big-endian
 * 16-bit words (an odd last byte is padded with zero). Returns the
 * unfolded accumulator; fold with vxlan_checksum_fold(). */
uint64_t vxlan_checksum_add(uint64_t sum, const uint8_t *data, size_t length);

/* ---- Underlay configuration -----------------------------------------------
 * The local end of the underlay: our address, our MAC, the encapsulation
 * policy. Written by the control thread (from the switch configuration);
 * copied into each published tunnel table, so workers read it from there
 * and a change is a new table like any other. */
struct vxlan_underlay {
	uint8_t mac[6];           /* our MAC on the underlay port */
	uint32_t address;         /* our VTEP IPv4 address, host order */
	uint8_t prefix_length;    /* of the connected subnet, 0..32 */
	uint16_t vid;             /* underlay 802.1Q VID, 0 = untagged */
	uint16_t udp_port;        /* VXLAN destination port, sent and accepted */
	uint16_t mtu;             /* underlay IP MTU (1500 on plain Ethernet) */
	uint8_t ttl;              /* outer TTL, 1..255 */
	uint8_t tos;              /* outer DSCP/ECN byte */
	bool df;                  /* set Don't Fragment on outer packets */
	uint16_t source_port_min; /* UDP source port range for flow entropy */
	uint16_t source_port_max;
	bool ignore_reserved_bits; /* RFC 7348 literal: ignore reserved bits */
	bool verify_udp_checksum;  /* verify a non-zero outer UDP checksum */
};

/* Defaults: port 4789, MTU 1500, TTL 64, DF set, source ports
 * 49152..65535, strict reserved bits, no UDP checksum verification. The
 * addresses and MAC are left zero for the caller. */
void vxlan_underlay_defaults(struct vxlan_underlay *underlay);
/* 0 when usable; otherwise -1 with a reason in error. */
int vxlan_underlay_check(const struct vxlan_underlay *underlay, char *error,
			 size_t error_size);

/* ---- Encapsulation --------------------------------------------------------
 * A template is the complete outer header of one tunnel (Ethernet, optional
 * 802.1Q tag, IPv4, UDP, VXLAN with the VNI) with the per-packet fields
 * zero: IPv4 total length, identification and checksum, UDP source port and
 * length. Encapsulating copies it in front of the inner frame and fills
 * those fields. The IPv4 checksum comes from checksum_base, the one's
 * complement sum of the template's IPv4 header with the per-packet fields
 * zero, plus the total length and identification (RFC 1624 incremental
 * update): three additions and a fold instead of summing 20 bytes.
 *
 * Identification: with DF set (the default) it is always 0, which RFC 6864
 * allows for atomic datagrams. With DF clear a router may fragment the
 * outer packet, so the caller passes a per-worker counter as ip_id.
 *
 * Written by vxlan_encap_template_build() on the control thread (inside
 * vxlan_tunnel_table_build()); read by workers. Never changed once
 * published: a new next-hop MAC means a new table.
 */
struct vxlan_encap_template {
	uint8_t header[VXLAN_ENCAP_MAX_LENGTH];
	uint8_t length;            /* 50, or 54 with an underlay tag */
	uint8_t ip_offset;         /* 14 or 18 */
	uint16_t max_inner_length; /* mtu - 36: the largest inner frame */
	uint32_t checksum_base;    /* folded sum, per-packet fields zero */
	uint16_t ip_id_mask;       /* 0 with DF (ID stays 0), else 0xffff */
	uint16_t source_port_min;
	uint32_t source_port_span; /* max - min + 1, 1..65536 */
	uint32_t vni;
	uint16_t member;           /* the tunnel's BD member id */
	bool resolved;             /* next-hop MAC known: usable */
} __attribute__((aligned(64)));

/* Parameters of one template. Addresses host order. */
struct vxlan_encap_params {
	uint8_t source_mac[6];
	uint8_t destination_mac[6]; /* the next hop's MAC */
	uint16_t vid;               /* 0 = untagged */
	uint32_t source;            /* our VTEP address */
	uint32_t destination;       /* the remote VTEP */
	uint16_t udp_port;          /* destination port */
	uint16_t source_port_min, source_port_max;
	uint8_t ttl, tos;
	bool df;
	uint16_t mtu;               /* underlay IP MTU */
	uint32_t vni;
	uint16_t member;
	bool resolved;              /* false: template kept but not usable */
};

/* 0, or -1 with a reason in error (bad VNI, TTL 0, port range, MTU). */
int vxlan_encap_template_build(struct vxlan_encap_template *template,
			       const struct vxlan_encap_params *params,
			       char *error, size_t error_size);

/* Encapsulation verdicts. _(name, "text") */
#define foreach_vxlan_encap_verdict                                            \
	_(ok, "encapsulated")                                                  \
	_(too_big, "frame exceeds the underlay MTU after encapsulation")       \
	_(unresolved, "next hop of the remote VTEP has no MAC yet")            \
	_(short_inner, "inner frame shorter than an Ethernet header")

enum vxlan_encap_verdict {
#define _(name, text) VXLAN_ENCAP_##name,
	foreach_vxlan_encap_verdict
#undef _
	VXLAN_ENCAP_VERDICT_MAX
};
extern const char *const vxlan_encap_verdict_names[VXLAN_ENCAP_VERDICT_MAX];
extern const char *const
	vxlan_encap_verdict_descriptions[VXLAN_ENCAP_VERDICT_MAX];

/* Flow hash of an inner Ethernet frame, for the UDP source port (RFC 7348
 * section 5: "a hash of fields from the inner packet"), so that ECMP in the
 * underlay spreads flows but keeps each flow on one path. Fields: both
 * MACs and the EtherType (after at most one 802.1Q tag); for IPv4 the
 * addresses and protocol, and the first 4 bytes of L4 (the ports) for
 * TCP, UDP and SCTP when the packet is not a fragment; for IPv6 the
 * addresses and next header, and the ports for TCP, UDP, SCTP directly
 * after the fixed header. Reads nothing beyond length. One 64x64->128
 * multiply mixes the words: a few cycles, good spread in the low and high
 * bits alike. */
static inline uint64_t vxlan_hash_mix(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	__uint128_t product = (__uint128_t)a * b;
	return (uint64_t)product ^ (uint64_t)(product >> 64);
#else
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ b;
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	return h ^ (h >> 29);
#endif
}

/* The words of a flow mixed into its hash: one multiply for all, the MAC
 * words rotated apart on one side, the L3 and L4 words rotated apart on
 * the other. */
static inline uint32_t vxlan_flow_mix(uint64_t macs, uint64_t types,
				      uint64_t addresses, uint64_t ports)
{
	uint64_t h = vxlan_hash_mix(
		macs ^ (types << 32 | types >> 32) ^ 0xa0761d6478bd642full,
		addresses ^ (ports << 21 | ports >> 43) ^ 0xe7037ed1a0b428dbull);
	return (uint32_t)(h ^ (h >> 32));
}

/* vxlan_flow_hash() of any frame, by the general parse. */
static inline uint32_t vxlan_flow_hash_parsed(const uint8_t *frame,
					      uint32_t length)
{
	uint64_t macs, types, addresses = 0, ports = 0;
	uint32_t l3 = VXLAN_ETHERNET_LENGTH;
	uint16_t ethertype;

	if (__builtin_expect(length < VXLAN_ETHERNET_LENGTH, 0))
		return 0;
	macs = vxlan_load64(frame);      /* destination + 2 bytes of source */
	types = vxlan_load64(frame + 6); /* source + EtherType */
	ethertype = vxlan_get16(frame + 12);
	if (ethertype == VXLAN_ETHERTYPE_VLAN && length >= 18) {
		ethertype = vxlan_get16(frame + 16);
		l3 = 18;
	}
	if (ethertype == VXLAN_ETHERTYPE_IPV4 && length >= l3 + 20) {
		const uint8_t *ip = frame + l3;
		uint32_t header_length = (ip[0] & 0x0fu) * 4;
		uint8_t protocol = ip[9];

		addresses = vxlan_load64(ip + 12) ^ ((uint64_t)protocol << 56);
		if ((vxlan_get16(ip + 6) & 0x3fff) == 0 &&
		    (protocol == 6 || protocol == 17 || protocol == 132) &&
		    header_length >= 20 && length >= l3 + header_length + 4)
			ports = vxlan_load32(ip + header_length);
	} else if (ethertype == VXLAN_ETHERTYPE_IPV6 && length >= l3 + 40) {
		const uint8_t *ip = frame + l3;
		uint8_t next_header = ip[6];

		addresses = vxlan_load64(ip + 8) ^ vxlan_load64(ip + 16) ^
			    ((vxlan_load64(ip + 24) ^ vxlan_load64(ip + 32)) *
			     0x9e3779b97f4a7c15ull) ^
			    ((uint64_t)next_header << 56);
		if ((next_header == 6 || next_header == 17 ||
		     next_header == 132) &&
		    length >= l3 + 44)
			ports = vxlan_load32(ip + 40);
	}
	return vxlan_flow_mix(macs, types, addresses, ports);
}

/* The usual frame (untagged IPv4 without options, not a fragment, TCP or
 * UDP, with its ports) straight from its fixed offsets, the same hash as
 * the general parse gives it (tests/unit/vxlan checks); any other frame
 * by vxlan_flow_hash_parsed(). */
static inline uint32_t vxlan_flow_hash(const uint8_t *frame, uint32_t length)
{
	if (__builtin_expect(length >= VXLAN_ETHERNET_LENGTH + 24, 1) &&
	    vxlan_get16(frame + 12) == VXLAN_ETHERTYPE_IPV4 &&
	    frame[14] == 0x45 && (vxlan_get16(frame + 20) & 0x3fff) == 0 &&
	    (frame[23] == 6 || frame[23] == 17))
		return vxlan_flow_mix(vxlan_load64(frame), vxlan_load64(frame + 6),
				      vxlan_load64(frame + 26) ^
					      ((uint64_t)frame[23] << 56),
				      vxlan_load32(frame + 34));
	return vxlan_flow_hash_parsed(frame, length);
}

/* Maps a flow hash into the template's source port range, without a
 * division: min + hash * span / 2^32 (the high bits of the hash). */
static inline uint16_t
vxlan_source_port(const struct vxlan_encap_template *template, uint32_t hash)
{
	return (uint16_t)(template->source_port_min +
			  (((uint64_t)hash * template->source_port_span) >> 32));
}

/* MTU check: may an inner frame of this length be encapsulated? */
static inline enum vxlan_encap_verdict
vxlan_encap_check(const struct vxlan_encap_template *template,
		  uint32_t inner_length)
{
	if (__builtin_expect(!template->resolved, 0))
		return VXLAN_ENCAP_unresolved;
	if (__builtin_expect(inner_length > template->max_inner_length, 0))
		return VXLAN_ENCAP_too_big;
	if (__builtin_expect(inner_length < VXLAN_ETHERNET_LENGTH, 0))
		return VXLAN_ENCAP_short_inner;
	return VXLAN_ENCAP_ok;
}

/* Writes template->length bytes of outer headers at outer, which must be
 * immediately followed by the inner frame of inner_length bytes (checked
 * with vxlan_encap_check()). The inner frame is not read or written.
 * Separate from vxlan_encap() so that head-end replication computes the
 * flow hash once and writes one header per copy. */
static inline void
vxlan_encap_write(const struct vxlan_encap_template *template, uint8_t *outer,
		  uint32_t inner_length, uint16_t source_port, uint16_t ip_id)
{
	uint16_t total_length = (uint16_t)(inner_length + VXLAN_IPV4_OVERHEAD);
	uint16_t id = ip_id & template->ip_id_mask;
	uint8_t *ip = outer + template->ip_offset;
	uint8_t *udp = ip + VXLAN_IPV4_LENGTH;
	/* The base is folded, length and ID are 16 bits: two folds do. */
	uint32_t sum = template->checksum_base + total_length + id;
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);

	if (__builtin_expect(template->length == VXLAN_ENCAP_IPV4_LENGTH, 1))
		memcpy(outer, template->header, VXLAN_ENCAP_IPV4_LENGTH);
	else
		memcpy(outer, template->header, VXLAN_ENCAP_IPV4_VLAN_LENGTH);
	vxlan_put32(ip + 2, (uint32_t)total_length << 16 | id); /* length, ID */
	vxlan_put16(ip + 10, (uint16_t)~sum);
	vxlan_put16(udp, source_port);
	vxlan_put16(udp + 4, (uint16_t)(inner_length + VXLAN_UDP_LENGTH +
					VXLAN_HEADER_LENGTH));
}

/* Encapsulates the inner frame at inner (inner_length bytes) by writing the
 * outer headers into the template->length bytes in front of it, which the
 * caller provides (mbuf headroom; prepend them after an ok). Returns the
 * verdict; on anything but ok nothing is written. */
static inline enum vxlan_encap_verdict
vxlan_encap(const struct vxlan_encap_template *template, uint8_t *inner,
	    uint32_t inner_length, uint16_t ip_id)
{
	enum vxlan_encap_verdict verdict =
		vxlan_encap_check(template, inner_length);

	if (__builtin_expect(verdict != VXLAN_ENCAP_ok, 0))
		return verdict;
	vxlan_encap_write(template, inner - template->length, inner_length,
			  vxlan_source_port(template,
					    vxlan_flow_hash(inner, inner_length)),
			  ip_id);
	return VXLAN_ENCAP_ok;
}

/* ---- Tunnel table ---------------------------------------------------------
 * One published snapshot of every tunnel member of this switch: a tunnel
 * member is (remote VTEP, VNI) in a bridge domain, with a BD member id.
 * It holds three indexes over the same tunnels:
 *
 *  - decap: the full key (outer source, outer destination, UDP port, VNI)
 *    -> member, an open-addressing hash table with linear probing, at most
 *    half full, so a lookup is usually one 16-byte slot. A frame from a
 *    VTEP that is not configured for that VNI misses (unknown_vtep): the
 *    key is never matched partially.
 *  - encap: member -> template, a direct index (2 bytes per member id up
 *    to the highest id in the table).
 *  - flood: BD -> the tunnel members to replicate to (head-end
 *    replication), a direct index of offsets into one array. A BD can mix
 *    VNIs (each member's template has its own).
 *
 * Writers: the control thread builds a table with vxlan_tunnel_table_
 * build() and never changes it afterwards. Readers: workers, without locks
 * or atomics, because nothing they can see ever changes. To change
 * anything (a tunnel, the underlay, a next-hop MAC) the control thread
 * builds a new table, publishes the pointer (release store; the switch's
 * RCU), and frees the old one only after every worker has passed a
 * quiescent point. The layout is public only so the lookups can be inline;
 * treat the fields as read-only. */
struct vxlan_tunnel_slot {
	uint64_t addresses; /* outer source << 32 | outer destination */
	uint64_t rest;      /* VNI | UDP port << 24 | member << 48; 0 = empty */
};

/* One tunnel member, as the control thread describes it. */
struct vxlan_tunnel_spec {
	uint16_t member;        /* BD member id, 1..65534, unique */
	uint16_t bd;            /* BD to flood in; 0 = never flooded to */
	uint32_t vni;           /* 0..0xffffff */
	uint32_t remote;        /* remote VTEP address, host order */
	uint8_t next_hop_mac[6]; /* MAC of the next hop towards remote */
	bool resolved;          /* next_hop_mac is valid */
};

struct vxlan_tunnel_table {
	struct vxlan_underlay underlay;
	/* decap */
	const struct vxlan_tunnel_slot *slots;
	uint32_t slot_mask;                /* slot count - 1 (power of two) */
	/* encap */
	const struct vxlan_encap_template *templates; /* one per tunnel */
	const uint16_t *template_index;    /* member -> template + 1; 0 none */
	uint32_t member_limit;             /* highest member + 1 */
	/* flood */
	const uint32_t *flood_offsets;     /* [bd_limit + 1] */
	const uint16_t *flood_members;
	uint32_t bd_limit;                 /* highest BD + 1 */
	/* the specs it was built from, for dumps */
	const struct vxlan_tunnel_spec *tunnels;
	uint32_t tunnel_count;
};

/* Builds a table for the underlay and tunnels (count may be 0: a table that
 * decapsulates nothing). Rejects an unusable underlay, duplicate members,
 * duplicate (remote, VNI), a remote equal to our address, bad VNIs or
 * member ids. Returns NULL with a reason in error. */
struct vxlan_tunnel_table *
vxlan_tunnel_table_build(const struct vxlan_underlay *underlay,
			 const struct vxlan_tunnel_spec *tunnels, size_t count,
			 char *error, size_t error_size);
void vxlan_tunnel_table_free(struct vxlan_tunnel_table *table);

static inline uint32_t vxlan_tunnel_hash(uint64_t addresses, uint64_t rest)
{
	uint64_t h = vxlan_hash_mix(addresses ^ 0x2d358dccaa6c78a5ull,
				    rest ^ 0x8bb84b93962eacc9ull);
	return (uint32_t)(h ^ (h >> 32));
}

/* Decap key -> member, or VXLAN_NO_MEMBER. */
static inline uint16_t
vxlan_tunnel_lookup(const struct vxlan_tunnel_table *table, uint32_t source,
		    uint32_t destination, uint16_t udp_port, uint32_t vni)
{
	uint64_t addresses = (uint64_t)source << 32 | destination;
	uint64_t rest = (uint64_t)(vni & VXLAN_VNI_MAX) |
			(uint64_t)udp_port << 24;
	uint32_t i = vxlan_tunnel_hash(addresses, rest) & table->slot_mask;

	for (;;) {
		const struct vxlan_tunnel_slot *slot = &table->slots[i];

		if (slot->addresses == addresses &&
		    (slot->rest & 0xffffffffffffull) == rest)
			return (uint16_t)(slot->rest >> 48);
		if (slot->rest == 0)
			return VXLAN_NO_MEMBER;
		i = (i + 1) & table->slot_mask;
	}
}

/* Member -> its template, or NULL if the member is not a tunnel. */
static inline const struct vxlan_encap_template *
vxlan_tunnel_template(const struct vxlan_tunnel_table *table, uint16_t member)
{
	if (member >= table->member_limit)
		return NULL;
	uint16_t index = table->template_index[member];
	return index ? &table->templates[index - 1] : NULL;
}

/* BD -> the tunnel members to send one copy each (head-end replication),
 * in the order of the specs. Split horizon is the caller's: a frame that
 * came from a tunnel is not flooded to tunnels. */
static inline const uint16_t *
vxlan_flood_members(const struct vxlan_tunnel_table *table, uint16_t bd,
		    uint32_t *count)
{
	if (bd == 0 || bd >= table->bd_limit) {
		*count = 0;
		return NULL;
	}
	uint32_t first = table->flood_offsets[bd];
	*count = table->flood_offsets[bd + 1] - first;
	return table->flood_members + first;
}

/* ---- Decapsulation --------------------------------------------------------
 * Verdicts, in three groups: ok; "other" traffic that is valid but not
 * VXLAN for us, which the switch hands to its underlay handling (ARP is
 * answered, the rest is counted and dropped); and drops, which are invalid
 * or unwanted VXLAN and are counted by reason. _(name, "text") */
#define foreach_vxlan_decap_other                                              \
	_(wrong_vlan, "underlay VLAN is not the configured one")               \
	_(arp, "ARP: for the underlay ARP handler")                            \
	_(not_ip, "neither IPv4 nor ARP")                                      \
	_(not_local, "IPv4 not addressed to our VTEP address")                 \
	_(not_udp, "IPv4 to our VTEP address, not UDP")                        \
	_(wrong_port, "UDP to our VTEP address, not the VXLAN port")

#define foreach_vxlan_decap_drop                                               \
	_(runt, "shorter than its Ethernet (and 802.1Q) header")               \
	_(ip_truncated, "frame ends inside the IPv4 header or packet")         \
	_(bad_ip_header, "IPv4 version not 4, IHL < 5 or total length < "      \
			 "header")                                             \
	_(bad_ip_checksum, "IPv4 header checksum wrong")                       \
	_(outer_fragment, "outer IPv4 packet is a fragment")                   \
	_(bad_udp_length, "UDP length not the IPv4 payload length")            \
	_(bad_udp_checksum, "UDP checksum wrong (when verified)")              \
	_(short_vxlan, "UDP payload shorter than the VXLAN header")            \
	_(bad_flags, "VXLAN I flag clear")                                     \
	_(reserved_bits, "VXLAN reserved flag or field bits set")              \
	_(short_inner, "inner frame shorter than an Ethernet header")          \
	_(unknown_vtep, "no tunnel for (outer source, outer destination, "     \
			"UDP port, VNI)")

#define foreach_vxlan_decap_verdict                                            \
	_(ok, "VXLAN frame of a configured tunnel")                            \
	foreach_vxlan_decap_other foreach_vxlan_decap_drop

enum vxlan_decap_verdict {
#define _(name, text) VXLAN_DECAP_##name,
	foreach_vxlan_decap_verdict
#undef _
	VXLAN_DECAP_VERDICT_MAX
};
extern const char *const vxlan_decap_verdict_names[VXLAN_DECAP_VERDICT_MAX];
extern const char *const
	vxlan_decap_verdict_descriptions[VXLAN_DECAP_VERDICT_MAX];

/* Is the verdict a drop (invalid or unwanted VXLAN), to be counted? */
static inline bool vxlan_decap_is_drop(enum vxlan_decap_verdict verdict)
{
	static const bool is_drop[VXLAN_DECAP_VERDICT_MAX] = {
#define _(name, text) [VXLAN_DECAP_##name] = true,
		foreach_vxlan_decap_drop
#undef _
	};
	return (unsigned)verdict < VXLAN_DECAP_VERDICT_MAX && is_drop[verdict];
}

/* What decapsulation found. Fields are filled as far as parsing got (the
 * addresses from not_udp on, the ports from wrong_port on, the VNI from
 * bad_flags on), so a drop can be logged with what is known. */
struct vxlan_decap_result {
	uint32_t outer_source;      /* host order */
	uint32_t outer_destination;
	uint32_t vni;
	uint16_t udp_port;          /* destination port */
	uint16_t udp_source_port;
	uint16_t vid;               /* underlay VID, 0 untagged */
	uint16_t l3_offset;         /* outer IPv4 or ARP header */
	uint16_t inner_offset;      /* inner Ethernet header */
	uint16_t inner_length;      /* inner frame, without outer padding */
	uint16_t member;            /* ok: the tunnel's member */
};

/* Verifies a non-zero UDP checksum over the pseudo-header and UDP packet
 * (out of line: it walks the whole frame). */
bool vxlan_udp_checksum_ok(uint32_t source, uint32_t destination,
			   const uint8_t *udp, uint32_t udp_length);

/* Parses and validates an outer frame for the underlay, without the tunnel
 * lookup: returns ok for a well-formed VXLAN frame to us (result complete
 * except member). Every length is checked before the bytes it covers are
 * read; nothing past frame + length is read. Trailing bytes after the IPv4
 * packet (Ethernet padding) are ignored. Checks, in order: Ethernet and at
 * most one 802.1Q tag (VID must be the underlay's; a priority tag counts as
 * untagged), EtherType, IPv4 version, IHL >= 5, total length within the
 * frame and >= header, header checksum, destination = our address,
 * protocol UDP, not a fragment (MF or offset), UDP length = IPv4 payload
 * length, destination port, optional UDP checksum, VXLAN header present,
 * I flag, reserved bits (unless ignored), inner frame >= 14 bytes. */
static inline enum vxlan_decap_verdict
vxlan_decap_parse(const struct vxlan_underlay *underlay, const uint8_t *frame,
		  uint32_t length, struct vxlan_decap_result *result)
{
	uint32_t l3 = VXLAN_ETHERNET_LENGTH;
	uint16_t ethertype, vid = 0;

	if (__builtin_expect(length < VXLAN_ETHERNET_LENGTH, 0))
		return VXLAN_DECAP_runt;
	ethertype = vxlan_get16(frame + 12);
	if (ethertype == VXLAN_ETHERTYPE_VLAN) {
		if (length < VXLAN_ETHERNET_LENGTH + VXLAN_VLAN_LENGTH)
			return VXLAN_DECAP_runt;
		vid = vxlan_get16(frame + 14) & 0x0fff;
		ethertype = vxlan_get16(frame + 16);
		l3 += VXLAN_VLAN_LENGTH;
	}
	result->vid = vid;
	result->l3_offset = (uint16_t)l3;
	if (__builtin_expect(vid != underlay->vid, 0))
		return VXLAN_DECAP_wrong_vlan;
	if (__builtin_expect(ethertype != VXLAN_ETHERTYPE_IPV4, 0))
		return ethertype == VXLAN_ETHERTYPE_ARP ? VXLAN_DECAP_arp
							: VXLAN_DECAP_not_ip;

	/* IPv4 */
	const uint8_t *ip = frame + l3;
	if (__builtin_expect(length < l3 + VXLAN_IPV4_LENGTH, 0))
		return VXLAN_DECAP_ip_truncated;
	uint32_t header_length = (ip[0] & 0x0fu) * 4;
	uint32_t total_length = vxlan_get16(ip + 2);
	if (__builtin_expect((ip[0] >> 4) != 4 || header_length < 20 ||
				     total_length < header_length, 0))
		return VXLAN_DECAP_bad_ip_header;
	if (__builtin_expect(l3 + total_length > length, 0))
		return VXLAN_DECAP_ip_truncated;
	uint64_t sum = (uint64_t)vxlan_load32(ip) + vxlan_load32(ip + 4) +
		       vxlan_load32(ip + 8) + vxlan_load32(ip + 12) +
		       vxlan_load32(ip + 16);
	for (uint32_t i = 20; i < header_length; i += 4)
		sum += vxlan_load32(ip + i);
	if (__builtin_expect(vxlan_checksum_fold(sum) != 0xffff, 0))
		return VXLAN_DECAP_bad_ip_checksum;
	result->outer_source = vxlan_get32(ip + 12);
	result->outer_destination = vxlan_get32(ip + 16);
	if (__builtin_expect(result->outer_destination != underlay->address, 0))
		return VXLAN_DECAP_not_local;
	if (__builtin_expect(ip[9] != 17, 0))
		return VXLAN_DECAP_not_udp;
	if (__builtin_expect((vxlan_get16(ip + 6) & 0x3fff) != 0, 0))
		return VXLAN_DECAP_outer_fragment;

	/* UDP */
	const uint8_t *udp = ip + header_length;
	uint32_t udp_length = total_length - header_length;
	if (__builtin_expect(udp_length < VXLAN_UDP_LENGTH ||
				     vxlan_get16(udp + 4) != udp_length, 0))
		return VXLAN_DECAP_bad_udp_length;
	result->udp_source_port = vxlan_get16(udp);
	result->udp_port = vxlan_get16(udp + 2);
	if (__builtin_expect(result->udp_port != underlay->udp_port, 0))
		return VXLAN_DECAP_wrong_port;
	if (__builtin_expect(underlay->verify_udp_checksum, 0) &&
	    vxlan_get16(udp + 6) != 0 &&
	    !vxlan_udp_checksum_ok(result->outer_source,
				   result->outer_destination, udp, udp_length))
		return VXLAN_DECAP_bad_udp_checksum;

	/* VXLAN */
	const uint8_t *vxlan = udp + VXLAN_UDP_LENGTH;
	if (__builtin_expect(udp_length < VXLAN_UDP_LENGTH + VXLAN_HEADER_LENGTH,
			     0))
		return VXLAN_DECAP_short_vxlan;
	uint32_t word0 = vxlan_get32(vxlan), word1 = vxlan_get32(vxlan + 4);
	result->vni = word1 >> 8;
	if (__builtin_expect(!(word0 & ((uint32_t)VXLAN_FLAG_I << 24)), 0))
		return VXLAN_DECAP_bad_flags;
	if (__builtin_expect(word0 != ((uint32_t)VXLAN_FLAG_I << 24) ||
				     (word1 & 0xff) != 0, 0) &&
	    !underlay->ignore_reserved_bits)
		return VXLAN_DECAP_reserved_bits;
	uint32_t inner_length =
		udp_length - VXLAN_UDP_LENGTH - VXLAN_HEADER_LENGTH;
	result->inner_offset = (uint16_t)(vxlan + VXLAN_HEADER_LENGTH - frame);
	result->inner_length = (uint16_t)inner_length;
	if (__builtin_expect(inner_length < VXLAN_ETHERNET_LENGTH, 0))
		return VXLAN_DECAP_short_inner;
	return VXLAN_DECAP_ok;
}

/* Parse, validate and look up: on ok, result->member is the tunnel member
 * the inner frame at frame + inner_offset (inner_length bytes) enters the
 * bridge from. The switch strips inner_offset bytes and trims the outer
 * padding (everything after inner_offset + inner_length). */
static inline enum vxlan_decap_verdict
vxlan_decap(const struct vxlan_tunnel_table *table, const uint8_t *frame,
	    uint32_t length, struct vxlan_decap_result *result)
{
	enum vxlan_decap_verdict verdict =
		vxlan_decap_parse(&table->underlay, frame, length, result);

	result->member = VXLAN_NO_MEMBER;
	if (__builtin_expect(verdict != VXLAN_DECAP_ok, 0))
		return verdict;
	result->member = vxlan_tunnel_lookup(table, result->outer_source,
					     result->outer_destination,
					     result->udp_port, result->vni);
	if (__builtin_expect(result->member == VXLAN_NO_MEMBER, 0))
		return VXLAN_DECAP_unknown_vtep;
	return VXLAN_DECAP_ok;
}

/* ---- ARP (underlay) -------------------------------------------------------
 * The VTEP answers ARP for its address and resolves its next hops. A
 * worker that gets VXLAN_DECAP_arp calls vxlan_arp_handle() on the frame:
 *  - reply: it was a request for our address; the frame has been rewritten
 *    in place into the reply (same length, same VLAN tag): send it back out
 *    the port it came in on.
 *  - learn: a reply addressed to us, or a gratuitous announcement; pass
 *    (sender address, sender MAC) to the control thread, which calls
 *    vxlan_neighbour_learn(). Learning never creates entries, so neither
 *    these nor the sender of a request (also in the result) can fill the
 *    table: only addresses we asked for are learned.
 *  - everything else is counted and dropped.
 * Requests are built by the control thread (vxlan_arp_request_build()) for
 * the addresses vxlan_neighbour_tick() returns. _(name, "text") */
#define foreach_vxlan_arp_other                                                \
	_(wrong_vlan, "underlay VLAN is not the configured one")               \
	_(not_for_us, "ARP for another address")

#define foreach_vxlan_arp_drop                                                 \
	_(runt, "shorter than its Ethernet (and 802.1Q) header")               \
	_(not_arp, "EtherType is not ARP")                                     \
	_(truncated, "shorter than an ARP packet for Ethernet and IPv4")       \
	_(bad_hardware, "hardware type not Ethernet or length not 6")          \
	_(bad_protocol, "protocol type not IPv4 or length not 4")              \
	_(bad_operation, "operation neither request nor reply")                \
	_(bad_sender, "sender MAC multicast or zero")                          \
	_(address_conflict, "another host claims our VTEP address")

#define foreach_vxlan_arp_verdict                                              \
	_(parsed, "well-formed ARP (from vxlan_arp_parse() only)")             \
	_(reply, "request for our address: the frame is now the reply")        \
	_(learn, "reply to us or announcement: sender for the neighbour "      \
		 "table")                                                      \
	foreach_vxlan_arp_other foreach_vxlan_arp_drop

enum vxlan_arp_verdict {
#define _(name, text) VXLAN_ARP_##name,
	foreach_vxlan_arp_verdict
#undef _
	VXLAN_ARP_VERDICT_MAX
};
extern const char *const vxlan_arp_verdict_names[VXLAN_ARP_VERDICT_MAX];
extern const char *const
	vxlan_arp_verdict_descriptions[VXLAN_ARP_VERDICT_MAX];
bool vxlan_arp_is_drop(enum vxlan_arp_verdict verdict);

#define VXLAN_ARP_REQUEST 1
#define VXLAN_ARP_REPLY 2
#define VXLAN_ARP_LENGTH 28        /* ARP packet for Ethernet + IPv4 */
#define VXLAN_ARP_FRAME_LENGTH 60  /* minimum Ethernet frame, no FCS */

/* A parsed ARP packet (addresses host order). */
struct vxlan_arp {
	uint16_t operation;
	uint16_t vid;
	uint16_t l3_offset;
	uint8_t sender_mac[6];
	uint32_t sender_address;
	uint8_t target_mac[6];
	uint32_t target_address;
};

/* Parses and checks the ARP packet in frame (Ethernet, optional 802.1Q
 * tag, ARP for Ethernet/IPv4, request or reply, unicast sender MAC).
 * Returns parsed, or a drop verdict. Never writes the frame; reads nothing
 * beyond length. arp is filled as far as parsing got. */
enum vxlan_arp_verdict vxlan_arp_parse(const uint8_t *frame, uint32_t length,
				       struct vxlan_arp *arp);
/* Parses and decides for our underlay; on reply, rewrites the frame in
 * place into the reply. arp is filled as far as parsing got. */
enum vxlan_arp_verdict vxlan_arp_handle(const struct vxlan_underlay *underlay,
					uint8_t *frame, uint32_t length,
					struct vxlan_arp *arp);
/* Writes a broadcast ARP request for target from our underlay into frame
 * (room bytes). Returns its length (60, or 64 tagged), or 0 if room is too
 * small. */
uint32_t vxlan_arp_request_build(const struct vxlan_underlay *underlay,
				 uint32_t target, uint8_t *frame, size_t room);

/* ---- Neighbour table (underlay) -------------------------------------------
 * IPv4 address -> MAC of the next hops towards remote VTEPs. Owned by the
 * control thread: it alone reads and writes it (workers only forward ARP
 * senders to it), so there is no locking. Its contents reach the fast path
 * through the encap templates, rebuilt when a MAC appears, changes or goes.
 *
 * States: incomplete (we asked, no answer yet), reachable (confirmed within
 * reachable_ms), stale (older: still used, being re-probed), static
 * (configured, never learned over, never aged). Time is milliseconds given
 * by the caller (virtual time in tests). vxlan_neighbour_tick() drives the
 * machine: it moves reachable to stale, returns the addresses to send an
 * ARP request for (incomplete and stale entries, every retry_ms), and
 * removes entries still unanswered after max_probes requests.
 *
 * Size: a flat array searched linearly; the underlay has a handful of next
 * hops (a gateway, or the remote VTEPs of a connected subnet), so a few
 * hundred entries at most, and it is never searched per packet.
 */
#define foreach_vxlan_neighbour_state                                          \
	_(incomplete, "resolving: ARP requests sent, no reply yet")            \
	_(reachable, "confirmed by a reply within the reachable time")         \
	_(stale, "not confirmed recently: still used, being re-probed")        \
	_(static, "configured: never learned over, never aged")

enum vxlan_neighbour_state {
#define _(name, text) VXLAN_NEIGHBOUR_##name,
	foreach_vxlan_neighbour_state
#undef _
	VXLAN_NEIGHBOUR_STATE_MAX
};
extern const char *const
	vxlan_neighbour_state_names[VXLAN_NEIGHBOUR_STATE_MAX];

#define foreach_vxlan_neighbour_learn                                          \
	_(unknown, "no entry for the address: unsolicited, ignored")           \
	_(resolved, "incomplete entry resolved")                               \
	_(confirmed, "known MAC confirmed")                                    \
	_(moved, "MAC changed")                                                \
	_(static_kept, "static entry: not overwritten")

enum vxlan_neighbour_learn_result {
#define _(name, text) VXLAN_NEIGHBOUR_LEARN_##name,
	foreach_vxlan_neighbour_learn
#undef _
	VXLAN_NEIGHBOUR_LEARN_MAX
};
extern const char *const
	vxlan_neighbour_learn_names[VXLAN_NEIGHBOUR_LEARN_MAX];

struct vxlan_neighbour {
	uint32_t address;
	uint8_t mac[6];
	uint8_t state;        /* enum vxlan_neighbour_state */
	uint8_t probes;       /* requests sent since last confirmed */
	uint64_t confirmed;   /* ms: last reply (reachable, stale) */
	uint64_t probed;      /* ms: last request */
};

struct vxlan_neighbour_config {
	uint32_t reachable_ms; /* reachable -> stale; default 30000 */
	uint32_t retry_ms;     /* between requests; default 1000 */
	uint8_t max_probes;    /* unanswered requests before removal; 3 */
};

struct vxlan_neighbour_table;

/* config NULL = defaults. NULL on allocation failure. */
struct vxlan_neighbour_table *
vxlan_neighbour_table_create(uint32_t capacity,
			     const struct vxlan_neighbour_config *config);
void vxlan_neighbour_table_free(struct vxlan_neighbour_table *table);
/* Adds or replaces a static entry (a learned one is overwritten). 0, or -1
 * if the table is full or the MAC is multicast or zero. */
int vxlan_neighbour_add_static(struct vxlan_neighbour_table *table,
			       uint32_t address, const uint8_t mac[6]);
/* Removes any entry for address. 0, or -1 if there is none. */
int vxlan_neighbour_remove(struct vxlan_neighbour_table *table,
			   uint32_t address);
const struct vxlan_neighbour *
vxlan_neighbour_lookup(const struct vxlan_neighbour_table *table,
		       uint32_t address);
/* Is the MAC of address usable (reachable, stale or static)? If so copies
 * it to mac and returns true. If there is no entry, creates an incomplete
 * one (if there is room) so the next tick sends a request. */
bool vxlan_neighbour_resolve(struct vxlan_neighbour_table *table,
			     uint32_t address, uint64_t now, uint8_t mac[6]);
/* An ARP sender (address, mac) seen at now. Updates an existing entry
 * only. */
enum vxlan_neighbour_learn_result
vxlan_neighbour_learn(struct vxlan_neighbour_table *table, uint32_t address,
		      const uint8_t mac[6], uint64_t now);
/* Did this learn result change a usable MAC (rebuild the templates)? */
static inline bool
vxlan_neighbour_learn_changed(enum vxlan_neighbour_learn_result result)
{
	return result == VXLAN_NEIGHBOUR_LEARN_resolved ||
	       result == VXLAN_NEIGHBOUR_LEARN_moved;
}
/* Advances the state machine to now. Writes up to probe_max addresses to
 * send a request for into probe and returns how many (an address that does
 * not fit is probed on a later tick). Sets *changed when a usable MAC went
 * away (a stale entry was removed), else leaves it. */
size_t vxlan_neighbour_tick(struct vxlan_neighbour_table *table, uint64_t now,
			    uint32_t *probe, size_t probe_max, bool *changed);
uint32_t vxlan_neighbour_count(const struct vxlan_neighbour_table *table);
/* The i-th entry (0 <= i < count), for dumps. */
const struct vxlan_neighbour *
vxlan_neighbour_at(const struct vxlan_neighbour_table *table, uint32_t i);

/* ---- Routes (underlay) ----------------------------------------------------
 * Which next hop to resolve for a remote VTEP: the connected subnet of our
 * address (the remote is on-link: it is its own next hop) and static routes
 * (prefix -> gateway). Longest prefix wins; among equal prefixes the latest
 * added replaces the earlier. Control thread only (consulted when tables
 * are built, never per packet), so it is an array kept sorted by prefix
 * length, longest first, and a lookup is a linear scan to the first match:
 * tens of routes, microseconds. Gateways are taken as on-link (no recursive
 * resolution).
 */
struct vxlan_route {
	uint32_t prefix;      /* host order, host bits zero */
	uint8_t length;       /* 0..32 */
	uint32_t next_hop;    /* gateway; 0 = connected (on-link) */
};

struct vxlan_route_table;

struct vxlan_route_table *vxlan_route_table_create(uint32_t capacity);
void vxlan_route_table_free(struct vxlan_route_table *table);
/* Adds or replaces the route for prefix/length. 0, or -1 if length > 32,
 * host bits are set, or the table is full. */
int vxlan_route_add(struct vxlan_route_table *table, uint32_t prefix,
		    uint8_t length, uint32_t next_hop);
/* Adds the connected route of the underlay's address/prefix_length. */
int vxlan_route_add_connected(struct vxlan_route_table *table,
			      const struct vxlan_underlay *underlay);
int vxlan_route_remove(struct vxlan_route_table *table, uint32_t prefix,
		       uint8_t length);
/* Longest-prefix match: the address to resolve to reach destination (the
 * gateway, or destination itself when on-link). false if no route. */
bool vxlan_route_lookup(const struct vxlan_route_table *table,
			uint32_t destination, uint32_t *next_hop);
uint32_t vxlan_route_count(const struct vxlan_route_table *table);
const struct vxlan_route *
vxlan_route_at(const struct vxlan_route_table *table, uint32_t i);

/* ---- Resolving a tunnel ---------------------------------------------------
 * Control thread, when building a tunnel table: route the remote VTEP,
 * resolve its next hop, and fill the spec's next_hop_mac and resolved.
 * _(name, "text") */
#define foreach_vxlan_resolve_result                                           \
	_(resolved, "next-hop MAC known")                                      \
	_(incomplete, "next hop being resolved by ARP")                        \
	_(no_route, "no route to the remote VTEP")

enum vxlan_resolve_result {
#define _(name, text) VXLAN_RESOLVE_##name,
	foreach_vxlan_resolve_result
#undef _
	VXLAN_RESOLVE_RESULT_MAX
};
extern const char *const vxlan_resolve_result_names[VXLAN_RESOLVE_RESULT_MAX];

enum vxlan_resolve_result
vxlan_tunnel_resolve(const struct vxlan_route_table *routes,
		     struct vxlan_neighbour_table *neighbours, uint64_t now,
		     struct vxlan_tunnel_spec *spec);

#endif /* LOOM_VXLAN_H */
