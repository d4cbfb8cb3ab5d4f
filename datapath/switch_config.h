/* switch_config: the configuration of one loom-switch, as plain data.
 *
 * One model, three forms: the YAML file given to `loom-switch --config`,
 * the JSON desired state that the control socket's `apply` takes (the same
 * tree without the process-level sections `eal`, `datapath` and `control`),
 * and the JSON that `show config` prints. Loaders fill a `struct
 * switch_config`; they never half-fill one: on error they return -1 with a
 * positioned `struct load_error` and the output is left empty.
 *
 * Written by: the loaders (config.c), at start and for each `apply`.
 * Read by: the control thread, which diffs it against the running state and
 * compiles the tables the workers use. Workers never see this structure.
 *
 * YAML layout (every key optional unless marked; unknown keys are errors):
 *
 *   eal:
 *     lcores: "0-1"            # EAL -l; the first lcore is the main thread
 *     memory_mb: 256           # EAL -m (with --no-huge)
 *     file_prefix: loom-sw1    # EAL --file-prefix
 *     no_huge: true            # default true
 *     no_pci: true             # default true
 *     args: ["--log-level=pmd.net.pcap:debug"]   # extra EAL arguments
 *   datapath:
 *     workers: 1               # worker lcores (default 1)
 *     idle_sleep_max_us: 100   # idle back-off bound (default 100, 0 = spin)
 *     mbufs: 8191              # mbuf pool size
 *     rx_burst: 32
 *     drain_us: 100            # tx buffers drained at least this often
 *   control:
 *     socket: /run/loom/sw1.sock   # Unix stream socket (default
 *                                  # /run/loom-switch.<file_prefix>.sock)
 *     token: s3cret            # if set, every request must carry it
 *   fdb:
 *     capacity: 65536          # entries
 *     limit: 0                 # learned entries at most (0 = capacity)
 *     age_seconds: 300         # 0 = never
 *     clock: system            # system | manual (tests drive it)
 *   ports:                     # (required, at least one)
 *     - name: p0               # (required) unique, [A-Za-z0-9_.-]
 *       devargs: "net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap"  # (required)
 *       admin: up              # up | down (down: not polled, not sent to)
 *       mtu: 1500
 *       rx_queues: 1           # 0 = one per worker where the PMD allows
 *   bridge_domains:
 *     - name: bd1              # (required) unique
 *       id: 1                  # stable id 1..16383 (default: assigned)
 *       learning: true
 *       mac_limit: 0           # per-BD learned MACs (0 = global limit only)
 *       members:               # (required)
 *         - port: p0           # (required) a port name
 *           vid: 0             # 0 = untagged; 1..4094 a VLAN on the port
 *           split_horizon: 0   # group 1..255; 0 = none
 *       static_macs:
 *         - mac: "02:00:00:00:00:01"
 *           port: p0
 *           vid: 0
 *
 * Semantic checks done by the loader: names unique, every member's port
 * exists, a (port, vid) in at most one BD, BD ids unique, static MACs
 * unicast and on a member of their BD, and the limits of vswitch.h.
 */
#ifndef LOOM_SWITCH_CONFIG_H
#define LOOM_SWITCH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "topo.h" /* struct load_error */

#define SWITCH_NAME_MAX 64
#define SWITCH_DEVARGS_MAX 1024
#define SWITCH_PATH_MAX 256
#define SWITCH_EAL_ARGS_MAX 16

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
};

struct member_config {
	char port[SWITCH_NAME_MAX];
	uint16_t vid;
	uint8_t split_horizon;
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
};

/* Fills defaults (no ports, no BDs). */
void switch_config_init(struct switch_config *config);
void switch_config_free(struct switch_config *config);
/* Deep copy; returns -1 on allocation failure. */
int switch_config_copy(struct switch_config *dst, const struct switch_config *src);

/* The YAML file. */
int switch_config_load_file(struct switch_config *config, const char *path,
			    struct load_error *error);
int switch_config_load_yaml(struct switch_config *config, const char *name,
			    const char *text, size_t length,
			    struct load_error *error);

/* JSON desired state (the body of `apply`): keys fdb, ports,
 * bridge_domains with the same fields as YAML. Process-level sections are
 * refused. `base` supplies the process-level sections (copied). The json
 * argument is a json_t * (jansson); errors name the JSON path
 * (e.g. "bridge_domains[2].members[0].port"). */
struct json_t;
int switch_config_from_json(struct switch_config *config,
			    const struct switch_config *base,
			    const struct json_t *json, struct load_error *error);
/* The desired state as JSON (new reference), the same shape apply takes. */
struct json_t *switch_config_to_json(const struct switch_config *config);

/* Lookups by name; NULL/-1 when absent. */
const struct port_config *switch_config_port(const struct switch_config *config,
					     const char *name);
int switch_config_port_index(const struct switch_config *config,
			     const char *name);
const struct bd_config *switch_config_bd(const struct switch_config *config,
					 const char *name);

#endif
