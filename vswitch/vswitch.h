/* vswitch: bridge domains, MAC learning, flooding, policing: the pipeline.
 *
 * vswitch does not own ports or threads (datapath/ does). It has three parts:
 *
 *  - The FDB (fdb.c): a concurrent MAC table shared by all workers, keyed by
 *    (BD id, MAC) packed in 8 bytes. Workers look up in bulk without locks and
 *    learn under a per-bucket lock; the control thread ages, flushes and adds
 *    static entries. Flushing a BD or a member is a generation bump, not a
 *    table walk.
 *
 *  - The configuration (config.c): `struct vswitch_state` is the mutable
 *    model owned by the control thread (BDs, members, static MACs). Every
 *    change compiles a new immutable `struct vswitch_table`, which the
 *    datapath publishes to workers (RCU); a table that a worker may be
 *    reading is never edited.
 *
 *  - The pipeline (pipeline.c): once per rx burst, classify each frame to a
 *    (BD, member), learn its source, look up its destination, and emit it to
 *    one member or flood it to every other member of the BD exactly once.
 *
 * Identities are stable across tables: a BD keeps its id (1..VSWITCH_MAX_BD)
 * and a member its id (1..VSWITCH_MAX_MEMBERS) for as long as it exists, so
 * FDB entries learned under one table stay meaningful under the next.
 */
#ifndef LOOM_VSWITCH_H
#define LOOM_VSWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <rte_meter.h>

#include "vlan.h"

#define VSWITCH_MAX_PORTS 64
#define VSWITCH_MAX_BD 16383 /* ids 1..VSWITCH_MAX_BD; 0 is "none" */
#define VSWITCH_MAX_MEMBERS 65534 /* ids 1..; 0 and 0xffff are "none" */
#define VSWITCH_BURST 32
#define VSWITCH_NAME_MAX 64

/* ---- Counters -------------------------------------------------------------
 * Every counter and every drop reason comes from one X-macro list, so each
 * has a name (for the control socket and telemetry) and a slot. Workers
 * write their own copy (no sharing, no atomics); readers sum the copies.
 */

/* Why a frame was dropped. _(name, "description") */
#define foreach_vswitch_drop                                                   \
	_(runt, "frame shorter than an Ethernet header")                       \
	_(no_bd, "input port or VLAN is not a member of any bridge domain")    \
	_(port_down, "input or output port is administratively down")         \
	_(port_link_down, "output port's link is down (e.g. its VM is gone)")  \
	_(source_multicast, "source MAC is multicast or broadcast")            \
	_(source_zero, "source MAC is all zeros")                              \
	_(static_mac_violation,                                                \
	  "source MAC is statically bound to another member")                  \
	_(same_member, "destination MAC is behind the input member")           \
	_(split_horizon, "destination is in the input member's split-horizon " \
			 "group")                                              \
	_(flood_no_members, "no other member to flood to")                     \
	_(flood_copy_failed, "no mbuf for a flood copy")                       \
	_(tx_full, "output queue full")                                        \
	_(vlan_tagged_on_access, "tagged frame on an access port")             \
	_(vlan_not_allowed, "VID not allowed on the trunk")                    \
	_(vlan_truncated, "VLAN tag truncated")                                \
	_(vlan_too_deep, "tag stack deeper than supported")                    \
	_(vlan_tpid_mismatch, "0x8100/0x88a8 mix the port does not accept")    \
	_(vlan_untagged_not_allowed, "untagged frame on a port with no native " \
				     "VLAN")                                   \
	_(vlan_push_failed, "no headroom to push a tag")                       \
	_(vxlan_runt, "underlay frame shorter than its Ethernet header")       \
	_(vxlan_ip_truncated, "underlay frame ends inside its IPv4 packet")    \
	_(vxlan_bad_ip_header, "outer IPv4 version, IHL or length wrong")      \
	_(vxlan_bad_ip_checksum, "outer IPv4 header checksum wrong")           \
	_(vxlan_outer_fragment, "outer IPv4 packet is a fragment")             \
	_(vxlan_bad_udp_length, "outer UDP length not the IPv4 payload")       \
	_(vxlan_bad_udp_checksum, "outer UDP checksum wrong (when verified)")  \
	_(vxlan_short_vxlan, "UDP payload shorter than a VXLAN header")        \
	_(vxlan_bad_flags, "VXLAN I flag clear")                               \
	_(vxlan_reserved_bits, "VXLAN reserved bits set")                      \
	_(vxlan_short_inner, "inner frame shorter than an Ethernet header")    \
	_(vxlan_unknown_vtep, "no tunnel for (outer source, outer destination, "\
			      "UDP port, VNI)")                                \
	_(vxlan_not_for_us, "underlay frame neither VXLAN for this VTEP nor "  \
			    "ARP")                                             \
	_(vxlan_too_big, "frame exceeds the underlay MTU after encapsulation") \
	_(vxlan_unresolved, "next hop of the remote VTEP has no MAC yet")      \
	_(vxlan_no_headroom, "no headroom for the outer headers")              \
	_(arp_invalid, "malformed underlay ARP")                               \
	_(arp_not_for_us, "underlay ARP not for this VTEP")                    \
	_(arp_address_conflict, "another host claims our VTEP address")        \
	_(arp_learned, "ARP reply consumed: its sender went to the neighbour "  \
		       "table")                                                \
	_(punt_full, "control thread's queue full")                            \
	_(policer, "exceeded the member's policer")

enum vswitch_drop_reason {
#define _(name, text) VSWITCH_DROP_##name,
	foreach_vswitch_drop
#undef _
	VSWITCH_DROP_MAX
};

extern const char *const vswitch_drop_names[VSWITCH_DROP_MAX];
extern const char *const vswitch_drop_descriptions[VSWITCH_DROP_MAX];

/* Per-port counters. _(name) */
#define foreach_vswitch_port_counter                                           \
	_(rx_packets) _(rx_bytes) _(tx_packets) _(tx_bytes) _(drops)

/* Per-BD counters. _(name) */
#define foreach_vswitch_bd_counter                                             \
	_(packets) _(bytes) _(unicast) _(flooded) _(flood_copies) _(drops)     \
	_(learned) _(moved) _(learn_limited)

/* Per-member counters (a member is a port, a (port, VID) or a (tunnel,
 * VNI) in a BD). _(name) */
#define foreach_vswitch_member_counter                                         \
	_(rx_packets) _(rx_bytes) _(tx_packets) _(tx_bytes) _(drops)

enum vswitch_port_counter {
#define _(name) VSWITCH_PORT_##name,
	foreach_vswitch_port_counter
#undef _
	VSWITCH_PORT_COUNTER_MAX
};
enum vswitch_bd_counter {
#define _(name) VSWITCH_BD_##name,
	foreach_vswitch_bd_counter
#undef _
	VSWITCH_BD_COUNTER_MAX
};
enum vswitch_member_counter {
#define _(name) VSWITCH_MEMBER_##name,
	foreach_vswitch_member_counter
#undef _
	VSWITCH_MEMBER_COUNTER_MAX
};
extern const char *const vswitch_port_counter_names[VSWITCH_PORT_COUNTER_MAX];
extern const char *const vswitch_bd_counter_names[VSWITCH_BD_COUNTER_MAX];
extern const char *const
	vswitch_member_counter_names[VSWITCH_MEMBER_COUNTER_MAX];

/* One worker's counters. Written only by that worker; read (summed) by the
 * control thread, which may see a value one burst old: counters are 64-bit
 * and naturally aligned, so reads never tear on x86-64. Indexed by port
 * index, BD id and member id. */
struct vswitch_counters {
	uint64_t drops[VSWITCH_DROP_MAX];
	uint64_t port[VSWITCH_MAX_PORTS][VSWITCH_PORT_COUNTER_MAX];
	uint64_t (*bd)[VSWITCH_BD_COUNTER_MAX];         /* [VSWITCH_MAX_BD + 1] */
	uint64_t (*member)[VSWITCH_MEMBER_COUNTER_MAX]; /* [VSWITCH_MAX_MEMBERS + 2] */
};

struct vswitch_counters *vswitch_counters_create(int socket);
void vswitch_counters_free(struct vswitch_counters *counters);
void vswitch_counters_reset_bd(struct vswitch_counters *counters, uint16_t bd);
void vswitch_counters_reset_member(struct vswitch_counters *counters,
				   uint16_t member);

/* ---- FDB ------------------------------------------------------------------
 * Key: (BD id << 48) | MAC as a 48-bit big-endian number. Key 0 never
 * occurs (BD ids start at 1) and marks an empty slot.
 *
 * Writers: workers (fdb_learn) and the control thread (static entries,
 * removal, aging, flush). Readers: workers (fdb_lookup_bulk) and the control
 * thread (fdb_walk). Readers take no lock: each bucket carries a sequence
 * number that writers make odd while they change it, and readers retry on a
 * change. Writers take the bucket's lock, so learning a new MAC costs one
 * uncontended lock; refreshing a known MAC's age is done at most once per
 * clock second per entry, and forwarding to known MACs writes nothing.
 *
 * Limits: a global limit and a per-BD limit. Fairness: when a limit or a
 * full bucket pair would be exceeded, a learner may evict only an aged or
 * flushed entry, or one of its own member's entries, or an entry of a
 * member holding more entries than the learner; a member flooding random
 * source MACs therefore replaces its own entries and cannot evict other
 * members' or other BDs' entries. Refused learns are counted.
 *
 * Aging: the clock is seconds set by the control thread (fdb_set_time), so
 * tests drive it. An entry not refreshed for age_seconds is a miss at
 * lookup and is removed by fdb_age(). Static entries never age.
 *
 * A member belongs to one BD: its learned entries all live in that BD, so a
 * flush of a BD or a member is O(1) and still keeps exact counts. Learning
 * a member in a second BD while it holds learned entries in its first is
 * refused (invalid) until they are flushed, forgotten or aged. Counts
 * (fdb_count_*, stats.entries) cover static entries and learned entries not
 * flushed, including expired ones fdb_age() has not removed yet; fdb_walk
 * visits exactly those.
 *
 * Calls listed as "control thread" are made by one thread at a time.
 */
#define FDB_NO_MEMBER 0xffffu

static inline uint64_t fdb_key(uint16_t bd, const struct rte_ether_addr *mac)
{
	const uint8_t *b = mac->addr_bytes;
	return ((uint64_t)bd << 48) | ((uint64_t)b[0] << 40) |
	       ((uint64_t)b[1] << 32) | ((uint64_t)b[2] << 24) |
	       ((uint64_t)b[3] << 16) | ((uint64_t)b[4] << 8) | (uint64_t)b[5];
}

static inline uint16_t fdb_key_bd(uint64_t key)
{
	return (uint16_t)(key >> 48);
}

static inline void fdb_key_mac(uint64_t key, struct rte_ether_addr *mac)
{
	for (int i = 0; i < 6; i++)
		mac->addr_bytes[i] = (uint8_t)(key >> (40 - 8 * i));
}

struct fdb_config {
	uint32_t capacity;     /* entries the table can hold (rounded up) */
	uint32_t global_limit; /* learned entries at most; 0 = capacity */
	uint32_t age_seconds;  /* 0 = never age */
};

/* Result of a lookup, one per key. */
struct fdb_result {
	uint16_t member;       /* FDB_NO_MEMBER on a miss */
	uint8_t is_static;     /* entry is static */
	uint8_t refresh_due;   /* learned entry whose age stamp is older than now */
};

#define foreach_fdb_learn_result                                               \
	_(unchanged, "already known on this member, age is current")           \
	_(learned, "new entry")                                                \
	_(refreshed, "age stamp refreshed")                                    \
	_(moved, "MAC moved to another member")                                \
	_(static_conflict, "MAC is static on another member: not changed")     \
	_(bd_limit, "BD limit reached, nothing evictable")                     \
	_(global_limit, "global limit reached, nothing evictable")             \
	_(table_full, "both buckets full, nothing evictable")                 \
	_(invalid, "multicast, broadcast or zero MAC, bad BD or member, or "   \
		   "member still holding entries in another BD")

enum fdb_learn_result {
#define _(name, text) FDB_LEARN_##name,
	foreach_fdb_learn_result
#undef _
	FDB_LEARN_RESULT_MAX
};
extern const char *const fdb_learn_result_names[FDB_LEARN_RESULT_MAX];

/* FDB statistics, kept by the FDB itself with atomics (cold path only). */
struct fdb_stats {
	uint64_t entries;        /* live learned + static entries */
	uint64_t static_entries;
	uint64_t learned;
	uint64_t moved;
	uint64_t refreshed;
	uint64_t aged;
	uint64_t evicted;
	uint64_t static_conflicts;
	uint64_t limit_refused;  /* bd_limit + global_limit + table_full */
	uint64_t invalid;        /* learns refused as invalid */
};

struct fdb;

struct fdb *fdb_create(const struct fdb_config *config, int socket);
void fdb_free(struct fdb *fdb);

/* Control thread: the clock, in seconds. */
void fdb_set_time(struct fdb *fdb, uint32_t now);
uint32_t fdb_time(const struct fdb *fdb);
void fdb_set_age(struct fdb *fdb, uint32_t age_seconds);
/* Per-BD learning limit; 0 = only the global limit applies. */
void fdb_set_bd_limit(struct fdb *fdb, uint16_t bd, uint32_t limit);

/* Workers: any n (processed in chunks of FDB_LOOKUP_MAX). */
#define FDB_LOOKUP_MAX 64
void fdb_lookup_bulk(const struct fdb *fdb, const uint64_t *keys, unsigned n,
		     struct fdb_result *results);
/* Workers: learn or refresh key on member. */
enum fdb_learn_result fdb_learn(struct fdb *fdb, uint64_t key, uint16_t member);

/* Control thread. */
int fdb_add_static(struct fdb *fdb, uint64_t key, uint16_t member);
int fdb_remove(struct fdb *fdb, uint64_t key); /* -ENOENT if absent */
void fdb_flush_bd(struct fdb *fdb, uint16_t bd);         /* learned entries */
void fdb_flush_member(struct fdb *fdb, uint16_t member); /* learned entries */
void fdb_flush_all(struct fdb *fdb);                     /* learned entries */
/* Forget a member entirely (it is being removed): learned and static. */
void fdb_forget_member(struct fdb *fdb, uint16_t member);
void fdb_forget_bd(struct fdb *fdb, uint16_t bd);
/* Remove aged entries; returns how many. */
unsigned fdb_age(struct fdb *fdb);

struct fdb_entry_info {
	uint64_t key;
	uint16_t member;
	bool is_static;
	uint32_t age; /* seconds since last seen (0 for static) */
};
/* Visits every live entry (of one BD if bd != 0, one member if member !=
 * FDB_NO_MEMBER); stops early if visit returns non-zero. */
void fdb_walk(const struct fdb *fdb, uint16_t bd, uint16_t member,
	      int (*visit)(const struct fdb_entry_info *entry, void *arg),
	      void *arg);
void fdb_get_stats(const struct fdb *fdb, struct fdb_stats *stats);
uint32_t fdb_count_member(const struct fdb *fdb, uint16_t member);
/* Changes when a lookup's answer for an already known key may have
 * changed (see struct fdb in fdb.c): the stamp of cached decisions. */
uint64_t fdb_epoch(const struct fdb *fdb);
uint32_t fdb_count_bd(const struct fdb *fdb, uint16_t bd);

/* ---- Tables ---------------------------------------------------------------
 * `struct vswitch_table` is what workers read: one immutable snapshot of the
 * bridge domains, their members and how each port's input is classified.
 * Written once by the control thread (vswitch_table_build), published by
 * the datapath with RCU, read by workers for the duration of a burst,
 * freed by the control thread after a grace period. Never edited.
 *
 * Ports are switch port indexes 0..VSWITCH_MAX_PORTS-1 (the datapath maps
 * them to DPDK port ids). A member is a port (untagged), a (port, VID) or,
 * later, a (tunnel, VNI); its id indexes `members`.
 */
enum vswitch_member_kind {
	VSWITCH_MEMBER_KIND_PORT,      /* untagged frames of a port */
	VSWITCH_MEMBER_KIND_PORT_VLAN, /* frames of one VID on a port */
	VSWITCH_MEMBER_KIND_TUNNEL,    /* a (remote VTEP, VNI), on the
					* underlay port */
};

/* ---- Policers --------------------------------------------------------------
 * A policer keeps a member's traffic in one direction to a rate: DPDK's
 * srTCM (RFC 2697) with CIR = rate, CBS = burst and no excess bucket, so a
 * frame is green (passes) or red (dropped, or marked and passed). The
 * profile is part of the table (immutable); the token state is per worker
 * (`struct policer_state`, indexed by member id), so workers never share a
 * meter: with several workers each gets rate / workers (documented
 * limitation: exact when one worker carries the member, as rx queues do).
 */
enum policer_direction { POLICER_IN, POLICER_OUT, POLICER_DIRECTIONS };

#define foreach_policer_action                                                 \
	_(drop, "drop what exceeds the rate")                                  \
	_(mark_pcp, "pass what exceeds, with this PCP in its 802.1Q tag")       \
	_(mark_dscp, "pass what exceeds, with this DSCP in its IPv4 header")

enum policer_action {
#define _(name, text) POLICER_##name,
	foreach_policer_action
#undef _
	POLICER_ACTION_MAX
};
extern const char *const policer_action_names[POLICER_ACTION_MAX];

#define POLICER_RATE_MIN 64000ull            /* 64 kbit/s */
#define POLICER_RATE_MAX 100000000000ull     /* 100 Gbit/s */
#define POLICER_BURST_MIN 64u                /* bytes */
#define POLICER_BURST_MAX (1u << 30)

struct policer_profile {
	struct rte_meter_srtcm_profile meter;
	uint32_t serial;     /* identifies rate, burst and member: a state
			      * made for another profile is reset */
	uint8_t action;      /* enum policer_action */
	uint8_t mark;        /* PCP 0..7 or DSCP 0..63 */
	uint64_t rate_bps;
	uint32_t burst_bytes;
};

struct policer_state {
	struct rte_meter_srtcm meter;
	uint32_t serial;
};

/* Control thread: fills a profile; -1 with a reason for a rate or burst out
 * of range. Needs the EAL (the TSC frequency). */
int policer_profile_init(struct policer_profile *profile, uint64_t rate_bps,
			 uint32_t burst_bytes, enum policer_action action,
			 uint8_t mark, uint32_t serial, char *err,
			 size_t err_size);

/* Worker: does a frame of `length` bytes at TSC `now` conform? */
static inline bool policer_conform(struct policer_state *state,
				   const struct policer_profile *profile,
				   uint64_t now, uint32_t length)
{
	if (unlikely(state->serial != profile->serial)) {
		rte_meter_srtcm_config(&state->meter,
				       (struct rte_meter_srtcm_profile *)&profile->meter);
		state->serial = profile->serial;
	}
	return rte_meter_srtcm_color_blind_check(
		       &state->meter,
		       (struct rte_meter_srtcm_profile *)&profile->meter, now,
		       length) == RTE_COLOR_GREEN;
}

struct vswitch_member {
	uint16_t id;         /* 0 = unused slot */
	uint16_t bd;         /* BD id */
	uint16_t port;       /* switch port index */
	uint16_t vid;        /* the VID on its port; 0 = untagged */
	uint8_t kind;        /* enum vswitch_member_kind */
	uint8_t split_horizon; /* 0 = none */
	/* Whether a frame leaving through this member changes even when it
	 * arrived untagged: a tag to push, outer headers, or a marking
	 * policer. Computed by vswitch_table_build (specs leave it 0). */
	bool rewrites;
	/* How frames leave through this member (from the port's VLAN mode
	 * and the member's VID), computed when the table is built. */
	struct vlan_egress egress;
	/* Policers by direction, NULL = none (owned by the table). */
	const struct policer_profile *policer[POLICER_DIRECTIONS];
	/* A tunnel's outer headers (in the table's VTEP), NULL for other
	 * kinds or an unknown tunnel. Computed by vswitch_table_build. */
	const struct vxlan_encap_template *encap;
	char name[VSWITCH_NAME_MAX]; /* "port" or "port.vid", for humans */
};

struct vswitch_bd {
	uint16_t id;         /* 0 = unused slot */
	bool learning;
	uint16_t n_members;
	uint16_t *members;   /* member ids, in configuration order */
	char name[VSWITCH_NAME_MAX];
};

struct vswitch_port {
	bool present;
	bool up;               /* admin state: down ports are not sent to */
	bool link_up;          /* link state when the table was built: a
				* port whose guest is gone drops, counted */
	/* With a VLAN mode, vlan_port_classify() gives the VID; without
	 * ("hybrid"), untagged frames are VID 0 and 802.1Q tags give theirs,
	 * and a port with no VID members passes every frame to VID 0. */
	bool vlan_mode;
	/* The port's PMD writes each frame's bytes during rx (it copies
	 * them: pcap, vhost, af_packet, tap), so they are in cache already
	 * and the pipeline does not prefetch them (that costs cycles for
	 * nothing); a NIC's DMA leaves them cold, and they are prefetched. */
	bool rx_data_hot;
	uint16_t untagged_member; /* member id of VID 0, 0 = none */
	uint16_t *vid_member;  /* [4096] member id per VID, NULL = no VLANs */
	struct vlan_port vlan; /* when vlan_mode */
	char name[VSWITCH_NAME_MAX];
};

struct vxlan_tunnel_table;
struct vxlan_encap_template;

struct vswitch_table {
	uint64_t version;
	struct policer_profile *policers; /* owned; members point into it */
	/* The VTEP: tunnels, templates, flood lists (vxlan.h), or NULL. Not
	 * owned: the datapath builds and frees it with this table. */
	const struct vxlan_tunnel_table *vxlan;
	uint16_t underlay_port;
	struct vswitch_port ports[VSWITCH_MAX_PORTS];
	uint16_t max_member_id;
	struct vswitch_member *members; /* [max_member_id + 1] */
	uint16_t max_bd_id;
	struct vswitch_bd *bds;         /* [max_bd_id + 1] */
};

/* What the control thread hands to vswitch_table_build: fully resolved
 * (ids assigned, ports as indexes). */
struct vswitch_table_spec {
	uint64_t version;
	const struct vxlan_tunnel_table *vxlan;
	uint16_t underlay_port;
	struct {
		bool present;
		bool up;
		bool link_up;
		bool rx_data_hot;
		const char *name;
		const struct vlan_port *vlan; /* NULL: hybrid */
	} ports[VSWITCH_MAX_PORTS];
	size_t n_bds;
	const struct vswitch_bd_spec {
		uint16_t id;
		bool learning;
		const char *name;
		size_t n_members;
		/* id, port, vid, split_horizon, kind (TUNNEL: port is the
		 * underlay port; otherwise taken from vid), policer (copied
		 * into the table) */
		const struct vswitch_member *members;
	} *bds;
};

/* Builds a table (one allocation set, freed by vswitch_table_free).
 * Returns NULL with a reason in err on inconsistency (duplicate ids, a
 * (port, VID) in two BDs). */
struct vswitch_table *vswitch_table_build(const struct vswitch_table_spec *spec,
					  char *err, size_t err_size);
void vswitch_table_free(struct vswitch_table *table);

static inline const struct vswitch_member *
vswitch_table_member(const struct vswitch_table *table, uint16_t id)
{
	if (id == 0 || id > table->max_member_id || table->members[id].id == 0)
		return NULL;
	return &table->members[id];
}

static inline const struct vswitch_bd *
vswitch_table_bd(const struct vswitch_table *table, uint16_t id)
{
	if (id == 0 || id > table->max_bd_id || table->bds[id].id == 0)
		return NULL;
	return &table->bds[id];
}

/* ---- Pipeline -------------------------------------------------------------
 * One context per worker. The pipeline reads the table and the FDB, learns
 * into the FDB, counts into the worker's counters, and appends its output
 * to `out`: per output port index, the frames to send and their bytes (at
 * most one copy of each input frame per port, so a call appends at most
 * VSWITCH_BURST frames to a port). `out` is also the datapath's tx buffer:
 * frames stay there across calls until the datapath sends them (a full
 * burst at once, the rest when its drain timer fires), so the datapath
 * must call with at most VSWITCH_OUTPUT_MAX - VSWITCH_BURST frames in any
 * port's slots. Written by the pipeline and the datapath of one worker.
 */
#define VSWITCH_OUTPUT_MAX (2 * VSWITCH_BURST)
struct vswitch_output {
	uint64_t dirty; /* bit i: port i has frames */
	uint16_t count[VSWITCH_MAX_PORTS];
	uint64_t bytes[VSWITCH_MAX_PORTS]; /* of the frames in pkts */
	struct rte_mbuf *pkts[VSWITCH_MAX_PORTS][VSWITCH_OUTPUT_MAX];
};

/* What a worker hands to the control thread: an underlay ARP sender to
 * learn (16-byte ring elements). */
struct vswitch_punt {
	uint32_t address;  /* host order */
	uint8_t mac[6];
	uint8_t reserved[6];
};

/* A worker's exact-match cache of forwarding decisions, as OVS's EMC:
 * (destination and source MAC, EtherType, input member, inner tags, tag
 * stripped)
 * -> output member, for unicast frames whose source needed no learning,
 * and what leaving through it takes (`action`: the cases with no policer
 * on the way get a short path of their own). An entry is
 * valid while its stamp equals the burst's: the table version and the
 * FDB's epoch (fdb_epoch), so any change that could alter the decision
 * (a move, a flush, the clock, a new table) retires every entry at once.
 * Written and read by its worker only. */
#define FLOW_CACHE_ENTRIES 4096 /* 2^12: the hash takes 12 bits */
struct flow_cache_entry {
	/* The frame's first 14 bytes as they lie (MACs, EtherType): the BD
	 * needs no place of its own, the input member implies it. */
	uint64_t mac_head;    /* bytes 0..7: destination, source's first 2 */
	uint64_t mac_tail;    /* bytes 8..13: source's last 4, EtherType */
	uint64_t stamp;       /* 0 = empty */
	uint32_t input;       /* flow_cache_input() */
	uint16_t out_member;
	uint8_t action;       /* enum flow_cache_action */
	uint8_t reserved;     /* 0: input..reserved compare as one word */
};

/* _(name, "what a hit does with the frame") */
#define foreach_flow_cache_action                                              \
	_(plain, "queue it as it came")                                        \
	_(push, "push the output member's tag")                                \
	_(pop, "strip its tag")                                                \
	_(retag, "rewrite its tag to the output member's")                     \
	_(encap, "put the output tunnel's outer headers in front")            \
	_(general, "everything else: policers, tags and tunnels together")

enum flow_cache_action {
#define _(name, text) FLOW_CACHE_##name,
	foreach_flow_cache_action
#undef _
	FLOW_CACHE_ACTION_MAX
};

struct vswitch_context {
	struct fdb *fdb;
	struct flow_cache_entry *flow_cache; /* [FLOW_CACHE_ENTRIES] or NULL */
	uint64_t flow_cache_hits;   /* frames the cache answered */
	uint64_t flow_cache_misses; /* frames looked up in the FDB */
	struct vswitch_counters *counters;
	struct rte_mempool *pool; /* for flood copies that must differ */
	struct rte_ring *punt;    /* to the control thread (MP/SC) */
	uint16_t ip_id;           /* outer IPv4 id when DF is clear */
	uint64_t now;             /* TSC, set by the caller before each burst
				   * (the policers' clock) */
	/* [VSWITCH_MAX_MEMBERS + 2][POLICER_DIRECTIONS], this worker's own */
	struct policer_state (*policers)[POLICER_DIRECTIONS];
	struct vswitch_output out;
};

/* Processes n <= VSWITCH_BURST frames received on in_port. Every mbuf is
 * either placed in ctx->out or freed (and its drop counted). */
void vswitch_process(struct vswitch_context *ctx,
		     const struct vswitch_table *table, uint16_t in_port,
		     struct rte_mbuf **pkts, uint16_t n);

/* Trace: what the switch would do with one frame arriving on in_port,
 * without learning, counting or sending anything. */
#define VSWITCH_TRACE_MAX_OUTPUTS 64
struct vswitch_trace {
	bool dropped;
	enum vswitch_drop_reason drop_reason;
	uint16_t in_member;   /* 0 if not classified */
	uint16_t bd;          /* 0 if not classified */
	bool source_known;
	uint16_t source_member; /* FDB's member for the source, if known */
	bool source_static;
	enum fdb_learn_result would_learn; /* what learning would do */
	bool destination_known;
	uint16_t destination_member;
	bool flooded;
	bool arp_reply;       /* underlay ARP answered back out of in_port */
	unsigned n_outputs;
	struct {
		uint16_t member;
		uint16_t port;
	} outputs[VSWITCH_TRACE_MAX_OUTPUTS];
};

void vswitch_trace_frame(const struct vswitch_table *table,
			 const struct fdb *fdb, uint16_t in_port,
			 const uint8_t *frame, uint16_t length,
			 struct vswitch_trace *trace);

#endif
