/* switch_config: the configuration of one loom-switch, as plain data.
 *
 * One model, three forms: the YAML file given to `loom-switch --config`,
 * the JSON desired state that the control socket's `apply` takes (the same
 * tree without the process-level sections `eal`, `datapath` and `control`),
 * and the JSON that `show config` prints. Loaders fill a `struct
 * switch_config`; they never half-fill one: on error they return -1 with a
 * positioned `struct load_error` and the output is left empty (as
 * switch_config_init leaves it).
 *
 * Written by: the loaders (switch_config.c), at start and for each `apply`.
 * Read by: the control thread, which diffs it against the running state and
 * compiles the tables the workers use. Workers never see this structure.
 * No DPDK here: the limits of vswitch.h are repeated below (SWITCH_MAX_*).
 *
 * YAML layout (every key optional unless marked; unknown keys are errors):
 *
 *   eal:
 *     lcores: "0-1"            # EAL -l; or EAL's --lcores form mapping
 *                              # lcores to CPUs ("0@0,1@1,2@0"); the
 *                              # first lcore is the main thread,
 *                              # then one per worker: at least workers + 1
 *                              # lcores (default "0-<workers>", e.g. "0-1";
 *                              # the loader does not look at the machine)
 *     memory_mb: 256           # EAL -m (with --no-huge); >= 16, and enough
 *                              # for the mbuf pool (mbufs x 2368 bytes)
 *     file_prefix: loom-sw1    # EAL --file-prefix (default loom-switch)
 *     no_huge: true            # default true
 *     no_pci: true             # default true
 *     args: ["--log-level=pmd.net.pcap:debug"]   # extra EAL arguments (at
 *                              # most 16; not those the keys above set)
 *   datapath:
 *     workers: 1               # worker lcores, 1..63 (default 1)
 *     idle_sleep_max_us: 100   # idle back-off bound (default 100, 0 = spin)
 *     mbufs: 8191              # mbuf pool size, 1023..16777215
 *     rx_burst: 32             # 1..32 (the pipeline's burst)
 *     drain_us: 100            # tx buffers drained at least this often
 *                              # (0 = every loop)
 *   control:
 *     socket: /run/loom/sw1.sock   # Unix stream socket (default
 *                                  # /run/loom-switch.<file_prefix>.sock;
 *                                  # at most 107 characters: sun_path)
 *     token: s3cret            # if set, every request must carry it
 *   fdb:
 *     capacity: 65536          # entries, 8..16777216
 *     limit: 0                 # learned entries at most (0 = capacity)
 *     age_seconds: 300         # 0 = never
 *     clock: system            # system | manual (tests drive it)
 *   ports:                     # (required, 1..64 ports)
 *     - name: p0               # (required) unique, [A-Za-z0-9_.-], < 64
 *       devargs: "net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap"  # (required)
 *                              # the device name (before the first comma)
 *                              # is unique across ports
 *       admin: up              # up | down (down: not polled, not sent to)
 *       mtu: 1500              # 0 (the PMD's default) or 68..16110
 *       rx_queues: 1           # 0 = one per worker where the PMD allows
 *       vlan:                  # the port's VLAN mode (vlan/vlan.h); absent:
 *                              # hybrid (see struct port_config)
 *         mode: trunk          # (required) access | trunk | native-untagged
 *                              # | native-tagged | tunnel
 *         vid: 10              # access/tunnel VID, native VID (1..4094)
 *         allowed: "10,20,100-199"  # trunk modes: VIDs carried tagged
 *         tpid: "0x88a8"       # trunk modes: the port's own tag (0x8100,
 *                              # 0x88a8, 0x9100); default 0x8100
 *         inner_tags: 1        # QinQ: C-tags kept inside the own tag (0, 1)
 *         pcp: 0               # PCP of frames that arrive without one
 *   bridge_domains:            # at most 16383
 *     - name: bd1              # (required) unique
 *       id: 1                  # stable id 1..16383 (default: assigned,
 *                              # see switch_config_assign_bd_ids)
 *       learning: true
 *       mac_limit: 0           # per-BD learned MACs (0 = global limit only)
 *       members:               # (required; [] for none yet)
 *         - port: p0           # (required) a port name
 *           vid: 0             # the VID on the port: 0 = untagged (hybrid
 *                              # ports), 1..4094; on a port with a vlan
 *                              # mode, a VID that the mode carries
 *           split_horizon: 0   # group 1..255; 0 = none
 *           policer:           # bandwidth promises, per direction
 *             in: {rate: 10000000, burst: 15000}  # bit/s (64 kbit/s..100
 *                              # Gbit/s), bytes (64..2^30); frames over the
 *                              # rate are dropped and counted...
 *             out: {rate: 1000000, burst: 3000, mark_dscp: 8}  # ...or
 *                              # passed with a DSCP (0..63) or mark_pcp (0..7)
 *         - tunnel: 198.18.1.2 # or a VXLAN tunnel to a remote VTEP
 *           vni: 5001          # (required with tunnel) 0..16777215
 *       static_macs:
 *         - mac: "02:00:00:00:00:01"   # (required) unicast
 *           port: p0           # (required)
 *           vid: 0
 *
 *   vtep:                      # a VXLAN tunnel endpoint (vxlan/vxlan.h)
 *     port: uplink             # (required) the underlay port; not a member
 *     address: 198.18.1.1/24   # (required) VTEP address/connected prefix
 *     mac: "02:00:00:00:00:01" # default: the port's own MAC
 *     vid: 0                   # underlay 802.1Q VID, 0 = untagged
 *     udp_port: 4789
 *     mtu: 1500                # underlay IP MTU; bigger frames are dropped
 *     ttl: 64
 *     df: true
 *     ignore_reserved_bits: false  # true: RFC 7348's literal "ignore"
 *     owner: loom-inp          # who set it up (kept and shown, not used:
 *                              # a controller tells its VTEP from yours)
 *     routes: [{prefix: 198.19.0.0/16, next_hop: 198.18.1.254}]
 *     neighbours: [{address: 198.18.1.2, mac: "02:00:00:00:00:02"}]
 *
 * Semantic checks done by the loader: names unique, every member's port
 * exists, a (port, vid) in at most one BD (and once in it), BD ids unique,
 * static MACs unicast, unique in their BD and on a member of their BD, and
 * the limits of vswitch.h (at most 65534 members in all, at most
 * fdb.capacity static MACs in all).
 *
 * Errors: `field` is the path of the offending value in the tree, the same
 * for both forms (e.g. "bridge_domains[2].members[0].port"); YAML errors
 * also carry the file, line and column, JSON errors line and column 0.
 */
#ifndef LOOM_SWITCH_CONFIG_H
#define LOOM_SWITCH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "topo.h" /* struct load_error */
#include "vlan.h"
#include "vxlan.h"

#define SWITCH_NAME_MAX 64     /* names: 1..63 of [A-Za-z0-9_.-] */
#define SWITCH_DEVARGS_MAX 1024
#define SWITCH_PATH_MAX 256
#define SWITCH_SOCKET_PATH_MAX 108 /* sizeof(sun_path), with the NUL */
#define SWITCH_EAL_ARGS_MAX 16
#define SWITCH_LCORE_MAX 128   /* RTE_MAX_LCORE of Debian's DPDK build */
/* The limits of vswitch.h, repeated so that this file needs no DPDK. */
#define SWITCH_MAX_PORTS 64    /* VSWITCH_MAX_PORTS */
#define SWITCH_MAX_BD 16383    /* VSWITCH_MAX_BD: ids 1..16383 */
#define SWITCH_MAX_MEMBERS 65534 /* VSWITCH_MAX_MEMBERS */
#define SWITCH_MAX_VID 4094
#define SWITCH_MAX_SPLIT_HORIZON 255
#define SWITCH_MAX_WORKERS 63  /* + the main lcore: 64 */

struct eal_config {
	char lcores[64];
	uint32_t memory_mb;
	char file_prefix[SWITCH_NAME_MAX];
	bool no_huge;
	bool no_pci;
	unsigned n_args;
	char args[SWITCH_EAL_ARGS_MAX][256];
};

struct datapath_config {
	uint32_t workers;
	uint32_t idle_sleep_max_us;
	uint32_t mbufs;
	uint32_t rx_burst;
	uint32_t drain_us;
};

struct control_config {
	char socket[SWITCH_PATH_MAX];
	char token[128];
};

enum fdb_clock { FDB_CLOCK_SYSTEM, FDB_CLOCK_MANUAL };

struct fdb_settings {
	uint32_t capacity;
	uint32_t limit;
	uint32_t age_seconds;
	enum fdb_clock clock;
};

struct port_config {
	char name[SWITCH_NAME_MAX];
	char devargs[SWITCH_DEVARGS_MAX];
	bool admin_up;
	uint32_t mtu;       /* 0 = the PMD's default */
	uint32_t rx_queues; /* 0 = automatic */
	/* The port's VLAN mode (vlan.h), when a `vlan` section is given;
	 * without one the port is "hybrid": untagged frames are its VID 0
	 * member, 802.1Q frames of VID v its VID v member, and a port with
	 * no VID members passes every frame, tags and all, to its VID 0
	 * member. */
	bool vlan_configured;
	struct vlan_port vlan;
};

/* A policer on a member, one direction (vswitch.h: srTCM, CIR = rate,
 * CBS = burst). action: 0 drop, 1 mark PCP, 2 mark DSCP (the order of
 * foreach_policer_action). */
struct policer_config {
	bool enabled;
	uint8_t action;
	uint8_t mark;
	uint32_t burst_bytes;
	uint64_t rate_bps;
};

/* A member is a (port, VID) or, with a VTEP, a (tunnel, VNI): `tunnel`
 * is the remote VTEP's IPv4 address (host order) and `port` is empty. */
struct member_config {
	char port[SWITCH_NAME_MAX];
	uint16_t vid;
	uint8_t split_horizon;
	uint32_t tunnel;
	uint32_t vni;
	struct policer_config policer[2]; /* [0] in (from the member), [1] out */
};

/* The VTEP: one underlay port with an IPv4 address, routes and static
 * neighbours to reach remote VTEPs. underlay.mac all zero means "the
 * port's own MAC". */
struct vtep_neighbour_config {
	uint32_t address;
	uint8_t mac[6];
};

struct vtep_config {
	bool configured;
	char port[SWITCH_NAME_MAX];
	char owner[SWITCH_NAME_MAX]; /* "" or who set the VTEP up */
	struct vxlan_underlay underlay;
	size_t n_routes;
	struct vxlan_route *routes;
	size_t n_neighbours;
	struct vtep_neighbour_config *neighbours;
};

struct static_mac_config {
	uint8_t mac[6];
	char port[SWITCH_NAME_MAX];
	uint16_t vid;
};

struct bd_config {
	char name[SWITCH_NAME_MAX];
	uint16_t id; /* 0 = assign */
	bool learning;
	uint32_t mac_limit;
	size_t n_members;
	struct member_config *members;
	size_t n_static_macs;
	struct static_mac_config *static_macs;
};

struct switch_config {
	/* Process-level sections: only from the YAML file. */
	struct eal_config eal;
	struct datapath_config datapath;
	struct control_config control;
	/* Desired state: from the YAML file or an `apply`. */
	struct fdb_settings fdb;
	size_t n_ports;
	struct port_config *ports;
	size_t n_bds;
	struct bd_config *bds;
	struct vtep_config vtep;
};

/* Fills defaults (no ports, no BDs). `config` is treated as uninitialized.
 * Defaults: eal lcores "0-1", memory_mb 256, file_prefix "loom-switch",
 * no_huge and no_pci true; datapath workers 1, idle_sleep_max_us 100,
 * mbufs 8191, rx_burst 32, drain_us 100; control socket
 * "/run/loom-switch.loom-switch.sock", no token; fdb capacity 65536,
 * limit 0, age_seconds 300, clock system. */
void switch_config_init(struct switch_config *config);
/* Frees the arrays and leaves `config` as switch_config_init does; safe to
 * call twice. */
void switch_config_free(struct switch_config *config);
/* Deep copy into `dst` (treated as uninitialized: free it first if it
 * holds a config). Returns -1 on allocation failure, `dst` then empty. */
int switch_config_copy(struct switch_config *dst, const struct switch_config *src);
/* Every field equal (process-level sections included). */
bool switch_config_equal(const struct switch_config *a,
			 const struct switch_config *b);

/* The YAML file. `config` is treated as uninitialized and is filled only
 * on success; on error it is left empty and `error` says why. `name`
 * names the text in errors. */
int switch_config_load_file(struct switch_config *config, const char *path,
			    struct load_error *error);
int switch_config_load_yaml(struct switch_config *config, const char *name,
			    const char *text, size_t length,
			    struct load_error *error);

/* JSON desired state (the body of `apply`): keys fdb, ports,
 * bridge_domains with the same fields as YAML (MACs as "02:00:00:00:00:01"
 * strings, integers as JSON integers, booleans as true/false, admin and
 * clock as strings). Process-level sections are refused. `base` (may be
 * NULL: defaults) supplies the process-level sections (copied) and the fdb
 * settings that the JSON leaves out; `config` must not be `base`. The json
 * argument is a json_t * (jansson; parse with JSON_REJECT_DUPLICATES, or a
 * repeated key silently wins). Errors have file "apply", line 0 and the
 * JSON path as field (e.g. "bridge_domains[2].members[0].port"). */
struct json_t;
int switch_config_from_json(struct switch_config *config,
			    const struct switch_config *base,
			    const struct json_t *json, struct load_error *error);
/* The desired state as JSON (new reference; NULL when out of memory), the
 * same shape apply takes, every field present (a BD id only when not 0):
 * from_json(to_json(x), base = x) equals x. */
struct json_t *switch_config_to_json(const struct switch_config *config);

/* Gives every BD whose id is 0 a stable id: the id of the BD of the same
 * name in `previous` (the running config, may be NULL) when no other BD
 * claims it, else the lowest free id. Explicit ids are kept. Returns -1
 * (config unchanged) only if ids run out, which the loaders' limit on the
 * number of BDs prevents. */
int switch_config_assign_bd_ids(struct switch_config *config,
				const struct switch_config *previous);

/* Defaults that depend on other fields (for the loaders): lcores
 * "0-<workers>", socket /run/loom-switch.<file_prefix>.sock. */
void switch_config_default_lcores(struct switch_config *config);
void switch_config_default_socket(struct switch_config *config);

/* A member's stable key, "bd/port/vid" or "bd/@remote/vni": its id in
 * the switch follows this key. */
void switch_config_member_key(const char *bd, const struct member_config *m,
			      char *buf, size_t size);
/* "198.18.0.1" from a host-order address. */
void switch_config_format_ipv4(uint32_t address, char out[16]);

/* "02:00:00:00:00:01" */
void switch_config_format_mac(const uint8_t mac[6], char out[18]);

/* Lookups by name; NULL/-1 when absent. */
const struct port_config *switch_config_port(const struct switch_config *config,
					     const char *name);
int switch_config_port_index(const struct switch_config *config,
			     const char *name);
const struct bd_config *switch_config_bd(const struct switch_config *config,
					 const char *name);
const struct bd_config *switch_config_bd_by_id(const struct switch_config *config,
					       uint16_t id);

#endif
