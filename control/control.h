/* control: Loom's control plane. It never touches packets: it talks to
 * each substrate node's loom-switch through the switch's control socket.
 *
 * Section 1: the switch client. A connection to one loom-switch control
 * socket; requests and replies are JSON objects, one per line (see
 * datapath/control_socket.c for the commands). Used by loomctl, the tests
 * and (later) the InP daemon's provisioning.
 */
#ifndef LOOM_CONTROL_H
#define LOOM_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct switch_client;

/* Connects to the socket at path; token (may be NULL) is added to every
 * request. Waits up to timeout_ms for the socket to appear (a switch that
 * is still starting). Returns NULL with a reason in err. */
struct switch_client *switch_client_connect(const char *path, const char *token,
					    unsigned timeout_ms, char *err,
					    size_t err_size);
void switch_client_close(struct switch_client *client);
/* How long a call waits for its reply (0: the default, 30 s). */
void switch_client_set_timeout(struct switch_client *client,
			       unsigned timeout_ms);

/* Sends {"command": command, ...arguments} (arguments may be NULL; it is
 * not consumed) and waits for the reply. Returns the reply's "result" (a
 * new reference) or NULL with the switch's error (or a transport error) in
 * err. */
json_t *switch_client_call(struct switch_client *client, const char *command,
			   json_t *arguments, char *err, size_t err_size);

/* One request on a fresh connection. */
json_t *switch_call(const char *path, const char *token, const char *command,
		    json_t *arguments, char *err, size_t err_size);

/* ---- VNet requests (Loom's XML format) ----------------------------------
 *
 * A service provider's request for a virtual network, in Loom's own XML
 * format (namespace urn:loom:vnet:1, schema control/schema/loom-vnet.xsd,
 * documented with examples in docs/vnet-request.md and control/examples/).
 * GENI RSpec requests are later converted to the same model.
 *
 * vnet_request_parse validates the text against the schema (compiled into
 * the library at build time, so the daemon needs no file and never loads a
 * schema named by the request), then checks what a schema cannot say
 * (unique ids, endpoints that exist, unicast MACs, a lease end in the
 * future, ...). Written by vnet_request_parse only; read by the daemon
 * (embedding, provisioning, describe) and vnet_request_to_json. Read-only
 * once parsed; every string is owned by the request.
 *
 * Units: CPU in cores (decimal), memory in MiB, capacities in kbit/s (as
 * GENI RSpec), latency in ms (a one-way bound), loss a fraction (0..1).
 */
#include <stdint.h>
#include <time.h>

#define VNET_REQUEST_NAMESPACE "urn:loom:vnet:1"
/* Larger documents are refused before parsing: a VNet of thousands of
 * nodes fits in well under a megabyte. */
#define VNET_REQUEST_MAX_SIZE (4u << 20)
/* Elements nested deeper are refused while parsing (a request is at most
 * 5 deep; the rest is room for extensions). */
#define VNET_REQUEST_MAX_DEPTH 32

#define foreach_vnet_node_kind                                              \
	_(HOST, "host")                                                     \
	_(VM, "vm")

enum vnet_node_kind {
#define _(name, text) VNET_NODE_##name,
	foreach_vnet_node_kind
#undef _
	VNET_NODE_KIND_COUNT
};

#define foreach_vnet_isolation                                              \
	_(ANY, "any")                                                       \
	_(VLAN, "vlan")                                                     \
	_(VXLAN, "vxlan")

enum vnet_isolation {
#define _(name, text) VNET_ISOLATION_##name,
	foreach_vnet_isolation
#undef _
	VNET_ISOLATION_COUNT
};

const char *vnet_node_kind_name(enum vnet_node_kind kind);
const char *vnet_isolation_name(enum vnet_isolation isolation);

/* An address with its prefix length: family is AF_INET (4 bytes used) or
 * AF_INET6. */
struct vnet_address {
	int family;
	uint8_t bytes[16];
	uint8_t prefix_length;
};

struct vnet_interface {
	char *id;
	uint32_t node;  /* index of its node */
	int32_t link;   /* index of the link it is an endpoint of, -1: none */
	bool has_mac;   /* false: the InP assigns one */
	uint8_t mac[6];
	uint32_t address_count;
	struct vnet_address *addresses;
	unsigned line;
};

/* Placement constraints (all that are set must hold); see embed.h for how
 * the embedder applies them. */
struct vnet_placement {
	uint32_t substrate_node_count; /* 0: any substrate node */
	char **substrate_nodes;        /* substrate node ids */
	char *site;                    /* NULL: any site */
	bool has_near;
	double x, y, max_distance;
};

struct vnet_node {
	char *id;
	enum vnet_node_kind kind;
	double cpu;           /* cores, > 0 */
	uint32_t memory_mib;  /* default 512 */
	char *image;          /* vm only (required there); NULL for hosts */
	struct vnet_placement placement;
	uint32_t interface_first, interface_count; /* in request->interfaces */
	unsigned line;
};

/* send: what the endpoint's interface may send into the link; receive:
 * what the link may deliver to it (kbit/s, default the link's capacity).
 * On a point-to-point link A-B the direction A->B is bounded by A's send
 * and B's receive. */
struct vnet_endpoint {
	uint32_t interface; /* index in request->interfaces */
	uint64_t send_kbps;
	uint64_t receive_kbps;
	unsigned line;
};

struct vnet_link {
	char *id;
	enum vnet_isolation isolation; /* default any */
	uint32_t mtu;                  /* default 1500 */
	uint64_t capacity_kbps;        /* > 0 */
	double latency_ms;             /* one-way bound; 0 = none given */
	double loss;                   /* acceptable fraction; 0 = none given */
	uint32_t endpoint_count;       /* 2 = point to point, more = LAN */
	struct vnet_endpoint *endpoints;
	unsigned line;
};

/* An element or attribute of another namespace, kept as it came and
 * otherwise ignored. parent names where it was ("vnet", "node web",
 * "interface web:eth0", "link lan", "endpoint db:eth0", "placement web").
 * text: the element serialized as XML, or the attribute's value. */
struct vnet_extension {
	bool attribute;
	char *namespace_uri;
	char *name; /* local name */
	char *parent;
	char *text;
	unsigned line;
};

struct vnet_request {
	char *name;
	bool has_lease_end; /* false: the InP's default lease */
	time_t lease_end;   /* Unix seconds (fractions of a second dropped) */
	uint32_t node_count;
	struct vnet_node *nodes;
	uint32_t interface_count;
	struct vnet_interface *interfaces; /* grouped by node, in order */
	uint32_t link_count;
	struct vnet_link *links;
	uint32_t extension_count;
	struct vnet_extension *extensions;
};

#define foreach_vnet_request_problem                                        \
	_(NONE, "no error")                                                 \
	_(TOO_LARGE, "document too large")                                  \
	_(NOT_XML, "not well-formed XML")                                   \
	_(DTD, "DTD not accepted")                                          \
	_(TOO_DEEP, "elements nested too deeply")                           \
	_(WRONG_ROOT, "not a Loom VNet request")                            \
	_(SCHEMA, "schema violation")                                       \
	_(DUPLICATE_ID, "duplicate id")                                     \
	_(UNKNOWN_INTERFACE, "unknown interface")                           \
	_(INTERFACE_REUSED, "interface in more than one link")              \
	_(TOO_FEW_ENDPOINTS, "link with fewer than two endpoints")          \
	_(SELF_LINK, "link joins a node to itself")                         \
	_(MAC, "invalid MAC address")                                       \
	_(DUPLICATE_MAC, "duplicate MAC address")                           \
	_(ADDRESS, "invalid IP address")                                    \
	_(LEASE, "invalid lease end")                                       \
	_(CPU, "invalid CPU")                                               \
	_(CAPACITY, "invalid capacity")                                     \
	_(IMAGE, "image missing or misplaced")                              \
	_(PLACEMENT, "invalid placement")                                   \
	_(NO_MEMORY, "out of memory")                                       \
	_(UNSUPPORTED, "not supported by Loom")

enum vnet_request_problem {
#define _(name, text) VNET_REQUEST_##name,
	foreach_vnet_request_problem
#undef _
	VNET_REQUEST_PROBLEM_COUNT
};

const char *vnet_request_problem_name(enum vnet_request_problem problem);

/* Where and why a request was refused. line 0: the document as a whole;
 * element and attribute are "" when they do not apply. */
struct vnet_request_error {
	enum vnet_request_problem problem;
	char file[128];
	unsigned line;
	char element[64];
	char attribute[64];
	char message[320];
};

/* "file:line: element 'node' attribute 'cpu': message" into buf. */
void vnet_request_error_format(const struct vnet_request_error *error,
			       char *buf, size_t size);

/* Parses `length` bytes of `xml` (need not be NUL-terminated); `name`
 * names the document in errors (NULL: "request"). The lease end must be
 * later than `now` (Unix seconds). Returns 0 and fills `out`, or -1 with
 * `error` filled and `out` zeroed (nothing to free). Safe on hostile
 * input: no network, no DTD (so no entities), size and depth bounded. */
int vnet_request_parse(const char *xml, size_t length, const char *name,
		       time_t now, struct vnet_request *out,
		       struct vnet_request_error *error);
/* Frees what parse filled and zeroes it; a zeroed request is fine. */
void vnet_request_free(struct vnet_request *request);

/* Index of the node / interface / link with that id, or -1. */
int vnet_request_node_lookup(const struct vnet_request *request,
			     const char *id);
int vnet_request_interface_lookup(const struct vnet_request *request,
				  const char *id);
int vnet_request_link_lookup(const struct vnet_request *request,
			     const char *id);

/* "02:00:00:00:00:01" / "10.0.0.1/24" into buf (18 / 50 bytes suffice). */
void vnet_mac_format(const uint8_t mac[6], char *buf, size_t size);
void vnet_address_format(const struct vnet_address *address, char *buf,
			 size_t size);

/* The request as the API answers it (new reference, NULL on allocation
 * failure); docs/vnet-request.md shows the shape. Extensions appear as
 * their count and list (namespace, name, parent, line). */
json_t *vnet_request_to_json(const struct vnet_request *request);

/* The compiled-in schema text (NUL-terminated). */
const char *vnet_request_schema(void);

/* ---- Provisioning -------------------------------------------------------
 *
 * Compiles one VNet's embedding into the desired state of every substrate
 * node's loom-switch, in the JSON shape of the switch's `apply` (see
 * datapath/switch_config.h), and merges the parts of all VNets on a node
 * with the node's base config. Pure functions: nothing is sent here.
 *
 * What a part holds, for a VNet with id V (the caller's id: 1 to
 * PROVISION_VNET_ID_MAX characters of [A-Za-z0-9_.-], unique among live
 * VNets; every name below starts with it, so VNets never collide):
 *   bridge_domains  one BD per (virtual link, substrate node it touches),
 *                   named "V.L<link index>", members sorted:
 *                   - per substrate hop at this node: on an ethernet link
 *                     {port: the link's local port, vid: the hop's tag};
 *                     each hop has its own VID (the switch translates);
 *                     on an ip link {tunnel: the other end's VTEP
 *                     address, vni: the hop's tag};
 *                   - per virtual interface of the link hosted here: its
 *                     attachment port, untagged (vid 0), with the policer
 *                     of its endpoint (below).
 *   ports           one attachment port per such virtual interface,
 *                   named "V.I<interface index>" (provision_attachment).
 *   vtep            when an ip hop touches the node: {port, address,
 *                   mtu: the underlay IP MTU its VXLAN hops need, the
 *                   largest of their links' MTU + PROVISION_VXLAN_OVERHEAD,
 *                   at least PROVISION_VTEP_MTU_MIN; owner:
 *                   PROVISION_VTEP_OWNER}.
 * Switch port names are the substrate's port names: the base config of a
 * node must name its ports as the substrate file does.
 *
 * VTEP addresses: topo's substrate has none. provision_options.vteps
 * gives one per substrate node; without it the convention is
 * 198.18.0.0/15 (RFC 2544's benchmarking range, never routed), node index
 * i getting 198.18.0.0 + i + 1 with prefix /15, so every VTEP of one
 * underlay segment is on-link (ARP resolves it). A node's ip links must
 * all use one port: the switch has one VTEP, on one underlay port.
 *
 * Policers (per attachment member): in (what the interface sends) =
 * the endpoint's send kbit/s x 1000 bit/s, out = its receive; rates are
 * clamped to the switch's meter range [64 kbit/s, 100 Gbit/s]. Burst =
 * provision_burst_bytes(rate, mtu): 10 ms at the rate, at least two
 * frames of the link's MTU (+ 18 bytes of Ethernet header and FCS).
 *
 * Not provisioned (refused with a reason): a virtual link split over
 * several flows (two paths between the same hosts would be an L2 loop),
 * a hop whose kind breaks the link's isolation (vlan: ethernet only,
 * vxlan: ip only), a hop without a tag.
 */
#include "embed.h"

#define PROVISION_VNET_ID_MAX 24
#define PROVISION_NAME_SIZE 64      /* switch names: 1..63 characters */
#define PROVISION_IFNAME_SIZE 16    /* Linux IFNAMSIZ */
#define PROVISION_SOCKET_SIZE 108   /* sun_path */
#define PROVISION_DEVARGS_SIZE 160
#define PROVISION_VHOST_DIRECTORY "/run/loom/vhost"
#define PROVISION_VTEP_NETWORK 0xc6120000u /* 198.18.0.0 */
#define PROVISION_VTEP_PREFIX_LENGTH 15
/* What a VXLAN hop adds to a virtual link's MTU on the underlay: the
 * inner Ethernet header, outer IPv4, UDP and VXLAN (14 + 20 + 8 + 8). */
#define PROVISION_VXLAN_OVERHEAD 50
/* A part's VTEP never asks for less than the switch's default underlay
 * MTU. */
#define PROVISION_VTEP_MTU_MIN 1500
/* The owner a part's VTEP carries (the switch keeps and shows it), so
 * that a VTEP provisioning set up is never taken for the switch's own. */
#define PROVISION_VTEP_OWNER "loom-inp"
#define PROVISION_POLICER_RATE_MIN 64000ull
#define PROVISION_POLICER_RATE_MAX 100000000000ull

/* A VTEP address (IPv4, host order) with its connected prefix length. */
struct provision_vtep {
	uint32_t address;
	uint8_t prefix_length;
};

struct provision_options {
	const char *vhost_directory;        /* NULL: PROVISION_VHOST_DIRECTORY */
	const struct provision_vtep *vteps; /* per substrate node; NULL:
					     * the 198.18.0.0/15 convention */
};

/* The names of one virtual interface's attachment, all derived from
 * (VNet id, node id, interface id, interface index), so the daemon, the
 * namespace builder and describe agree without storing them. hash is the
 * 52-bit FNV-1a of "V\0node\0interface" in 13 hex digits, which keeps the
 * Linux names within 15 characters:
 *   port          "V.I<index>"           the switch port
 *   veth          "lv<hash>"             host: switch side of the veth pair
 *   peer          "lp<hash>"             host: namespace side (renamed in
 *                                        the namespace as the SP wishes)
 *   vhost_socket  "<directory>/V.<hash>.sock"   vm: vhost-user socket
 *   devargs       host: "net_af_packet_lv<hash>,iface=lv<hash>"
 *                 vm:   "net_vhost_lv<hash>,iface=<vhost_socket>"
 *                 (a device name unique per switch, as the switch wants) */
struct provision_attachment {
	char port[PROVISION_NAME_SIZE];
	char veth[PROVISION_IFNAME_SIZE];
	char peer[PROVISION_IFNAME_SIZE];
	char vhost_socket[PROVISION_SOCKET_SIZE];
	char devargs[PROVISION_DEVARGS_SIZE];
};

/* Returns 0, or -EINVAL (bad VNet id) / -ENAMETOOLONG (socket path). */
int provision_attachment(const char *vnet_id, const char *node_id,
			 const char *interface_id, uint32_t interface_index,
			 enum vnet_node_kind kind, const char *vhost_directory,
			 struct provision_attachment *out);

/* The VTEP of substrate node `node` under `options` (may be NULL). */
struct provision_vtep provision_vtep_of(const struct provision_options *options,
					uint32_t node);

uint32_t provision_burst_bytes(uint64_t rate_bps, uint32_t mtu);

/* One substrate node's part of one VNet: {"ports": [...],
 * "bridge_domains": [...]} and "vtep" when needed. */
struct provision_node_part {
	uint32_t node; /* substrate node index */
	json_t *part;  /* owned */
};

/* Written by provision_compile, read by the caller; nodes sorted by
 * index, only the nodes the VNet touches. */
struct provision_plan {
	uint32_t node_count;
	struct provision_node_part *nodes;
};

/* Compiles the embedding `mapping` of `request` (converted with
 * vnet_request_to_embed, so indices agree) on `substrate`. tags: one per
 * hop of the mapping (mapping->links order); NULL takes mapping->tags.
 * Returns 0 and fills plan, or -EINVAL / -ENOTSUP / -ENOMEM with the
 * reason in err (plan then empty). */
int provision_compile(const struct substrate *substrate,
		      const struct vnet_request *request,
		      const struct embed_mapping *mapping, const uint32_t *tags,
		      const char *vnet_id, const struct provision_options *options,
		      struct provision_plan *plan, char *err, size_t err_size);
void provision_plan_free(struct provision_plan *plan);
/* The part for substrate node `node` (borrowed), or NULL if untouched. */
json_t *provision_plan_part(const struct provision_plan *plan, uint32_t node);

/* A node's full desired state: `base` (the apply shape: its substrate
 * ports, fdb, and optionally its own BDs and vtep; not changed) plus every
 * part, in a deterministic order whatever the order of `parts`: base ports
 * and BDs first as given, then the parts' ports and BDs sorted by name.
 * The base's vtep wins; otherwise the parts' (which must agree on port
 * and address). Its mtu: the base's when it gives one (the operator
 * knows the underlay; bigger frames are dropped and counted), else the
 * largest the parts ask for. A name used twice, or a part's vtep on
 * another port or address than the base's, is an error. Returns a new
 * object, or NULL with the reason in err. */
json_t *provision_merge(const json_t *base, const json_t *const *parts,
			size_t part_count, char *err, size_t err_size);
/* The underlay MTU the parts' VTEPs need beyond what a merged state's
 * VTEP gives (its mtu, 1500 when absent), or 0 when it gives enough: the
 * base's MTU won, and frames of the VNets' largest size will be dropped
 * (and counted) by the switch. */
int provision_vtep_mtu_shortfall(const json_t *merged,
				 const json_t *const *parts, size_t part_count);
/* The switch's own configuration from its show-config: without Loom's
 * ports and BDs (named "v<digits>.", left by an earlier run of the
 * daemon, say) and without a VTEP whose owner is PROVISION_VTEP_OWNER.
 * A new object (NULL: out of memory). */
json_t *provision_base_from_switch(const json_t *shown);

/* The embedder's request for a parsed VNet (docs/vnet-request.md,
 * "Conversion to the embedder's request"): same node and link order.
 * substrate resolves <substrate-node> ids (may be NULL when none is
 * used). Returns NULL with the reason in err. */
struct embed_request *vnet_request_to_embed(const struct vnet_request *request,
					    const struct substrate *substrate,
					    char *err, size_t err_size);

/* ---- The InP store -------------------------------------------------------
 *
 * Everything loom-inp must not forget, in one SQLite file (WAL mode): the
 * tenants and their API tokens, the VNets with their request documents and
 * slivers, and every reservation of substrate capacity (CPU per node,
 * bandwidth per link and direction) and of slice tags (VLAN IDs or VNIs per
 * link). No HTTP, no DPDK: the daemon calls it, the tests call it.
 *
 * Crash safety: every call below is one SQLite transaction, so a process
 * killed at any point leaves the file as it was before or after the call,
 * never between. Writes begin IMMEDIATE (the write lock is taken first), so
 * connections of several threads or processes on one file serialize their
 * writes and never double-book: a tag is UNIQUE per link in the schema, and
 * capacities are summed in SQL inside the reserving transaction.
 *
 * A handle is one connection: use one per thread (SQLite's rule). The last
 * error of a handle is its problem and message (inp_store_problem,
 * inp_store_error); every call returning int returns 0 or -1.
 *
 * Authorization is built in: every call on a VNet takes the calling
 * tenant's id and filters by it, so another tenant's VNet is answered
 * exactly like a missing one (INP_STORE_NOT_FOUND). Only the daemon's own
 * housekeeping (expired VNets, totals) sees across tenants.
 *
 * The walks (list, totals) call fn inside their read transaction: fn
 * must not call the same handle (except from inp_store_vnet_expired,
 * which reads first and calls fn after). fn returning non-zero stops the
 * walk and the call returns that value.
 *
 * Times are Unix seconds from the handle's clock (the real clock unless a
 * test sets one). CPU is in millionths of a core, bandwidth in kbit/s. */

#define foreach_inp_store_problem                                           \
	_(NONE, "no error")                                                 \
	_(NOT_FOUND, "not found")                                           \
	_(EXISTS, "already exists")                                         \
	_(INVALID, "invalid argument")                                      \
	_(TAG_TAKEN, "tag already reserved")                                \
	_(NO_FREE_TAG, "no free tag in range")                              \
	_(CAPACITY, "capacity exceeded")                                    \
	_(BUSY, "tenant still has VNets")                                   \
	_(VERSION, "store written by a newer version")                      \
	_(LOCKED, "store locked by another connection; try again")          \
	_(DATABASE, "database error")                                       \
	_(NO_MEMORY, "out of memory")

enum inp_store_problem {
#define _(name, text) INP_STORE_##name,
	foreach_inp_store_problem
#undef _
	INP_STORE_PROBLEM_COUNT
};

#define foreach_inp_tenant_role                                             \
	_(SP, "sp")             /* a service provider: its own VNets only */ \
	_(OPERATOR, "operator") /* administers the substrate and tenants */

enum inp_tenant_role {
#define _(name, text) INP_TENANT_##name,
	foreach_inp_tenant_role
#undef _
	INP_TENANT_ROLE_COUNT
};

/* A VNet's record: reserved (its reservations held) or deleted (released
 * by delete or expiry; kept for history). Whether it is ready is derived
 * from its slivers, never stored apart. */
#define foreach_inp_vnet_state                                              \
	_(RESERVED, "reserved")                                             \
	_(DELETED, "deleted")

enum inp_vnet_state {
#define _(name, text) INP_VNET_##name,
	foreach_inp_vnet_state
#undef _
	INP_VNET_STATE_COUNT
};

#define foreach_inp_sliver_kind                                             \
	_(NODE, "node")                                                     \
	_(LINK, "link")

enum inp_sliver_kind {
#define _(name, text) INP_SLIVER_##name,
	foreach_inp_sliver_kind
#undef _
	INP_SLIVER_KIND_COUNT
};

/* GENI AM API v3 allocation and operational states (without "geni_"). */
#define foreach_inp_allocation_state                                        \
	_(UNALLOCATED, "unallocated")                                       \
	_(ALLOCATED, "allocated")                                           \
	_(PROVISIONED, "provisioned")

enum inp_allocation_state {
#define _(name, text) INP_ALLOCATION_##name,
	foreach_inp_allocation_state
#undef _
	INP_ALLOCATION_STATE_COUNT
};

#define foreach_inp_operational_state                                       \
	_(PENDING_ALLOCATION, "pending_allocation")                         \
	_(NOTREADY, "notready")                                             \
	_(CONFIGURING, "configuring")                                       \
	_(READY, "ready")                                                   \
	_(STOPPING, "stopping")                                             \
	_(FAILED, "failed")

enum inp_operational_state {
#define _(name, text) INP_OPERATIONAL_##name,
	foreach_inp_operational_state
#undef _
	INP_OPERATIONAL_STATE_COUNT
};

/* Which way over a substrate link a bandwidth reservation goes: forward is
 * ends[0] to ends[1] (topo.h). NONE: a shared medium, one budget. Each
 * (link, direction) is its own budget. */
#define foreach_inp_direction                                               \
	_(NONE, "none")                                                     \
	_(FORWARD, "forward")                                               \
	_(REVERSE, "reverse")

enum inp_direction {
#define _(name, text) INP_DIRECTION_##name,
	foreach_inp_direction
#undef _
	INP_DIRECTION_COUNT
};

#define foreach_inp_tag_kind                                                \
	_(VLAN, "vlan")                                                     \
	_(VXLAN, "vxlan")

enum inp_tag_kind {
#define _(name, text) INP_TAG_##name,
	foreach_inp_tag_kind
#undef _
	INP_TAG_KIND_COUNT
};

const char *inp_store_problem_name(enum inp_store_problem problem);
const char *inp_tenant_role_name(enum inp_tenant_role role);
const char *inp_vnet_state_name(enum inp_vnet_state state);
const char *inp_sliver_kind_name(enum inp_sliver_kind kind);
const char *inp_allocation_state_name(enum inp_allocation_state state);
const char *inp_operational_state_name(enum inp_operational_state state);
const char *inp_direction_name(enum inp_direction direction);
const char *inp_tag_kind_name(enum inp_tag_kind kind);

/* The schema version this code writes; a store at a higher version is
 * refused, a lower one migrated on open. */
#define INP_STORE_SCHEMA_VERSION 3
/* An API token: 32 random bytes as 64 hex digits (+ NUL). */
#define INP_TOKEN_SIZE 65

struct inp_store;

/* Opens (creating if needed) the store at path: WAL mode, synchronous
 * FULL, foreign keys on, a busy timeout of busy_timeout_ms (0: 5 s) when
 * another connection holds the write lock. Creates or migrates the schema.
 * Returns NULL with the reason in err. */
struct inp_store *inp_store_open(const char *path, unsigned busy_timeout_ms,
				 char *err, size_t err_size);
void inp_store_close(struct inp_store *store);

enum inp_store_problem inp_store_problem(const struct inp_store *store);
const char *inp_store_error(const struct inp_store *store);
/* full (the default): every commit is synced, so it survives a power
 * loss too. Not full (SQLite's synchronous=NORMAL in WAL mode): a commit
 * survives the process being killed at any point, but the last ones may
 * roll back after a power loss or OS crash; it saves a sync per call. */
int inp_store_set_durability(struct inp_store *store, bool full);
/* Tests: the clock (Unix seconds) the handle uses; 0: the real clock. */
void inp_store_set_time(struct inp_store *store, int64_t now);

/* Tenants. Names are unique. remove refuses (BUSY) while the tenant has a
 * reserved VNet; it takes the tenant's tokens and deleted VNets along. */
struct inp_tenant {
	int64_t id;
	char name[64];
	enum inp_tenant_role role;
	int64_t created;
};

int inp_store_tenant_add(struct inp_store *store, const char *name,
			 enum inp_tenant_role role, int64_t *id);
int inp_store_tenant_remove(struct inp_store *store, int64_t id);
/* Calls fn for each tenant by id. */
int inp_store_tenant_list(struct inp_store *store,
			  int (*fn)(void *context,
				    const struct inp_tenant *tenant),
			  void *context);

/* API tokens. create writes the new token (hex, NUL-terminated) into
 * token: it is shown this once and only its SHA-256 is stored. verify
 * finds the tenant of a presented token (NOT_FOUND if unknown or revoked),
 * comparing hashes in constant time. */
int inp_store_token_create(struct inp_store *store, int64_t tenant,
			   char token[INP_TOKEN_SIZE], int64_t *token_id);
int inp_store_token_verify(struct inp_store *store, const char *token,
			   struct inp_tenant *tenant);
int inp_store_token_revoke(struct inp_store *store, int64_t tenant,
			   int64_t token_id);

/* One sliver: a virtual node or link of a VNet. placement is the
 * daemon's text (JSON) of where it went on the substrate; error NULL or
 * the reason of a failure. */
struct inp_sliver {
	enum inp_sliver_kind kind;
	char *virtual_id;
	char *placement;
	enum inp_allocation_state allocation;
	enum inp_operational_state operational;
	char *error;
};

/* Reservations. capacity (reserve input only) is the resource's total as
 * the caller knows it from the substrate: the sum of all VNets' amounts on
 * that node or (link, direction) must stay within it. */
struct inp_cpu_reservation {
	char *substrate_node;
	int64_t amount;   /* millionths of a core, > 0 */
	int64_t capacity; /* millionths of a core */
};

struct inp_bandwidth_reservation {
	char *substrate_link;
	enum inp_direction direction;
	int64_t amount;   /* kbit/s, > 0 */
	int64_t capacity; /* kbit/s */
};

/* tag 0 on reserve: the lowest free tag in [first, last] on that link,
 * written back into tag. Tags are unique per link across all tenants. */
struct inp_tag_reservation {
	char *substrate_link;
	uint32_t tag;
	enum inp_tag_kind kind;
	uint32_t first, last; /* reserve input only, when tag is 0 */
};

/* A VNet as stored (get) or as asked for (reserve: id, tenant, state and
 * the times are ignored; tags with tag 0 are filled in). Strings are
 * owned by the record after get; inp_vnet_free frees them. */
struct inp_vnet {
	int64_t id;
	int64_t tenant;
	char *name;           /* unique per tenant among reserved VNets */
	char *request;        /* the request document as received */
	char *request_format; /* e.g. "loom-xml" */
	enum inp_vnet_state state;
	int64_t lease_end, created, updated;
	/* Which embedding the slivers are of: 0 when reserved, one more at
	 * each inp_store_vnet_replace (re-embedding, failure). Provisioning
	 * news carry the generation they were computed for. */
	int64_t generation;
	uint32_t sliver_count;
	struct inp_sliver *slivers;
	uint32_t cpu_count;
	struct inp_cpu_reservation *cpu;
	uint32_t bandwidth_count;
	struct inp_bandwidth_reservation *bandwidth;
	uint32_t tag_count;
	struct inp_tag_reservation *tags;
};

/* Reserves a VNet for tenant in one transaction: the record, its slivers
 * and all its reservations, or nothing (TAG_TAKEN, NO_FREE_TAG, CAPACITY,
 * EXISTS for a name in use, with the resource named in the message). */
int inp_store_vnet_reserve(struct inp_store *store, int64_t tenant,
			   struct inp_vnet *vnet, int64_t *id);
/* The tenant's VNet with its slivers and reservations (NOT_FOUND when it
 * is another tenant's). */
int inp_store_vnet_get(struct inp_store *store, int64_t tenant, int64_t id,
		       struct inp_vnet *vnet);
void inp_vnet_free(struct inp_vnet *vnet);
/* The tenant's VNets by id, without the request text, slivers or
 * reservations; deleted ones only if include_deleted. */
int inp_store_vnet_list(struct inp_store *store, int64_t tenant,
			bool include_deleted,
			int (*fn)(void *context, const struct inp_vnet *vnet),
			void *context);
/* Sets the states (and error text, NULL to clear) of one sliver of a
 * reserved VNet. */
int inp_store_sliver_update(struct inp_store *store, int64_t tenant,
			    int64_t vnet, enum inp_sliver_kind kind,
			    const char *virtual_id,
			    enum inp_allocation_state allocation,
			    enum inp_operational_state operational,
			    const char *error);
/* Several sliver updates in one transaction (a provisioning pass);
 * updates of VNets no longer reserved (deleted meanwhile), of another
 * generation (re-embedded or failed meanwhile) and of slivers unallocated
 * meanwhile are skipped: a pass's news are only ever about the embedding
 * it provisioned, and never bring a released sliver back. */
struct inp_sliver_update {
	int64_t tenant, vnet;
	int64_t generation; /* the VNet's, as the pass's plan was built */
	enum inp_sliver_kind kind;
	const char *virtual_id;
	enum inp_allocation_state allocation;
	enum inp_operational_state operational;
	const char *error; /* NULL: none */
};
int inp_store_slivers_update(struct inp_store *store,
			     const struct inp_sliver_update *updates,
			     size_t count);
/* Moves a reserved VNet's lease end (INVALID if not in the future). */
int inp_store_vnet_renew(struct inp_store *store, int64_t tenant, int64_t id,
			 int64_t lease_end);
/* Deletes all of the VNet's reservations, marks its slivers unallocated
 * and the VNet deleted. Releasing a deleted VNet again succeeds and
 * changes nothing. */
int inp_store_vnet_release(struct inp_store *store, int64_t tenant,
			   int64_t id);
/* Reserved VNets whose lease ended at or before now (all tenants), by
 * lease end: the daemon releases each. */
int inp_store_vnet_expired(struct inp_store *store,
			   int (*fn)(void *context, int64_t tenant,
				     int64_t id),
			   void *context);

/* Totals reserved now, across tenants (metrics, "all free again"), by
 * id: CPU per substrate node, bandwidth per link and direction, and the
 * number of tags held per link. */
int inp_store_node_totals(struct inp_store *store,
			  int (*fn)(void *context, const char *substrate_node,
				    int64_t cpu),
			  void *context);
int inp_store_link_totals(struct inp_store *store,
			  int (*fn)(void *context, const char *substrate_link,
				    enum inp_direction direction,
				    int64_t bandwidth),
			  void *context);
int inp_store_tag_totals(struct inp_store *store,
			 int (*fn)(void *context, const char *substrate_link,
				   int64_t tags),
			 void *context);
/* The lowest tag in [first, last] not reserved on the link (NO_FREE_TAG
 * when all are). A hint only: reserve with tag 0 picks atomically. */
int inp_store_tag_free(struct inp_store *store, const char *substrate_link,
		       uint32_t first, uint32_t last, uint32_t *tag);

/* Operator marks on substrate elements (a node or link taken down for
 * maintenance or after a failure), kept across restarts. kind is "node"
 * or "link"; an element absent from the list is up. */
int inp_store_element_set(struct inp_store *store, const char *kind,
			  const char *id, bool down, const char *reason);
int inp_store_element_list(struct inp_store *store,
			   int (*fn)(void *context, const char *kind,
				     const char *id, const char *reason),
			   void *context);
/* Replaces a reserved VNet's slivers and reservations with those of
 * `vnet` (re-embedding), in one transaction: the old ones are dropped
 * first, so a tag the VNet keeps on a link is free to be taken again. On
 * failure (CAPACITY, TAG_TAKEN, NO_FREE_TAG, ...) nothing changes. */
int inp_store_vnet_replace(struct inp_store *store, int64_t tenant,
			   int64_t id, struct inp_vnet *vnet);

/* ---- loom-inp: the InP daemon ---------------------------------------------
 *
 * loom-inp: an HTTP API (libmicrohttpd; HTTPS with a configured
 * certificate) with JSON replies and structured errors {"error": {"code",
 * "message"}}. Every call but GET /v1/health and GET /metrics needs
 * "Authorization: Bearer TOKEN" (inp_store_token_verify). It embeds VNets,
 * reserves their resources in the store, and provisions them onto the
 * substrate's switches (their `apply`), re-applying a switch that restarts
 * and every live VNet after its own restart.
 * docs/api.md has every route; inp_private.h how the files divide the work.
 *
 * The configuration (YAML, control/examples/inp.yaml) is written by
 * inp_config_load and read by inp_server_start. */
#include "topo.h"

#define INP_PATH_SIZE 256
#define INP_SWITCH_NAMESPACES_MAX 256

/* Where one substrate node's switch runs: its network namespace, so host
 * attachments' veths are moved there ("" : the daemon's own). */
struct inp_switch_namespace {
	char node[64];
	char netns[64];
};

struct inp_config {
	char substrate[INP_PATH_SIZE];		/* required */
	char store[INP_PATH_SIZE];		/* required */
	char listen_address[64];		/* default 127.0.0.1 */
	uint16_t port;				/* default 7480; 0: ephemeral */
	char operator_token_file[INP_PATH_SIZE]; /* "" : none */
	/* tls: HTTPS when both are set (PEM files). */
	char tls_certificate[INP_PATH_SIZE];
	char tls_key[INP_PATH_SIZE];
	/* lease: default and longest lease, seconds (1 day, 10 years). */
	uint64_t lease_default, lease_max;
	/* switches: the token the switches require ("" : none), how long a
	 * call may take (ms, 2000), how often each switch is checked (ms,
	 * 500), and the namespaces they run in. */
	char switch_token[128];
	unsigned switch_timeout_ms;
	unsigned reconcile_interval_ms;
	uint32_t switch_namespace_count;
	struct inp_switch_namespace switch_namespaces[INP_SWITCH_NAMESPACES_MAX];
	/* hosts: namespaces of host nodes are "<prefix>-v<id>-<node>". */
	char host_prefix[32];                   /* default "loom" */
	char vhost_directory[INP_PATH_SIZE];    /* default /run/loom/vhost */
	char log_level[16];                     /* debug | info (default) |
						 * warning | error */
	bool store_sync_full;                   /* store_durability: full
						 * (default) | process */
};

/* Defaults, then the file's keys (substrate, store, listen, ...); relative
 * paths are taken relative to the file's folder. Returns 0, or -1 with a
 * positioned error. */
int inp_config_load(const char *path, struct inp_config *config,
		    struct load_error *error);

struct inp_server;

/* Loads the substrate, opens the store, makes sure an operator tenant
 * exists (creating one on first start and writing its token, mode 0600,
 * to operator_token_file) and starts serving. NULL with the reason in
 * err. */
struct inp_server *inp_server_start(const struct inp_config *config,
				    char *err, size_t err_size);
/* The port actually bound (the ephemeral one when the config said 0). */
uint16_t inp_server_port(const struct inp_server *server);
/* Stops serving (waits for the request in progress) and frees it all. */
void inp_server_stop(struct inp_server *server);

/* ---- Host nodes -----------------------------------------------------------
 *
 * A `host` virtual node is a network namespace with one interface per
 * virtual link, each the end of a veth pair whose other end (the switch
 * side) sits in the namespace of its substrate node's loom-switch, which
 * then serves it as an af_packet port (provision_attachment: veth, peer,
 * devargs). Built by running `ip` and `ethtool` (argv arrays, no shell);
 * needs CAP_NET_ADMIN and CAP_SYS_ADMIN. Called by loom-inp; nothing here
 * is remembered: the names say it all.
 */
#include <stdint.h>

#define HOST_NAMESPACE_SIZE 64 /* loom-inp keeps namespace names in 64 bytes */

/* One interface of a host node, read by host_create and host_delete. */
struct host_interface {
	const char *name;  /* inside the namespace, e.g. "eth0" (1..15 chars) */
	const char *veth;  /* switch side, e.g. provision_attachment.veth */
	/* Namespace side before renaming (provision_attachment.peer): may be
	 * NULL; the kernel creates that end in the namespace directly, under
	 * `name`, so no temporary name ever shows in the switch's. */
	const char *peer;
	bool has_mac;      /* false: the kernel's random MAC */
	uint8_t mac[6];
	uint32_t address_count;
	const struct vnet_address *addresses; /* IPv4 and IPv6 */
	uint32_t mtu;      /* both ends; 0: 1500 */
};

/* Creates namespace `namespace_name` (replacing a stale one of that name),
 * one veth pair per interface: `veth` in switch_netns (NULL or "": stays
 * in the caller's namespace), its peer in the new namespace named `name`,
 * MAC and addresses set (IPv6 without duplicate address detection),
 * offloads off on both ends (tx, rx, tso, gso, gro: a software switch sees
 * frames as the wire would), both up, lo up. Returns 0, or -1 with the
 * reason (the failing command and its stderr) in err; on failure nothing
 * it made is left behind (an interface that was there before is kept). */
int host_create(const char *namespace_name, const char *switch_netns,
		const struct host_interface *interfaces, uint32_t count,
		char *err, size_t err_size);
/* Kills what still runs in the namespace, removes it and the switch-side
 * veths; idempotent (0 when nothing is there). */
int host_delete(const char *namespace_name, const char *switch_netns,
		const struct host_interface *interfaces, uint32_t count,
		char *err, size_t err_size);
bool host_exists(const char *namespace_name);
/* "<prefix>-v<vnet>-<node>" into out, characters outside [A-Za-z0-9_.-]
 * replaced by '_'; a name longer than HOST_NAMESPACE_SIZE - 1 is cut and
 * ends in "-<8 hex digits of its FNV-1a>" so that cut names stay
 * distinct. Returns 0, or -1 when size < HOST_NAMESPACE_SIZE or an
 * argument is NULL. */
int host_namespace_name(const char *prefix, int64_t vnet, const char *node,
			char *out, size_t size);


/* ---- GENI RSpec v3 ----------------------------------------------------------
 *
 * GENI RSpec v3 request documents (namespace RSPEC_V3_NAMESPACE, or the
 * older ProtoGENI v2 one) read into the same struct vnet_request as Loom's
 * format, and Loom's manifest (docs/api.md) written as a GENI v3 manifest
 * RSpec. docs/rspec.md has the mapping, what is lenient, what is refused
 * and why. Same guarantees as vnet_request_parse: bounded size and depth,
 * no DTD, no network, positioned errors, a complete model or none.
 */
#define RSPEC_V3_NAMESPACE "http://www.geni.net/resources/rspec/3"
#define RSPEC_PROTOGENI_V2_NAMESPACE "http://www.protogeni.net/resources/rspec/2"
/* Defaults where a request says nothing (docs/rspec.md). */
#define RSPEC_DEFAULT_CAPACITY_KBPS 100000u /* 100 Mbit/s */
#define RSPEC_DEFAULT_IMAGE "default"
#define RSPEC_DEFAULT_NAME "rspec-request"
/* The authority of the URNs a manifest names (component_id, sliver_id)
 * when the manifest JSON carries no "authority". */
#define RSPEC_DEFAULT_AUTHORITY "loom"

/* An RSpec v3 (or ProtoGENI v2) request with type="request". The VNet's
 * name is `name` sanitized to an identifier (its file name without
 * folders and extension; NULL or nothing left: RSPEC_DEFAULT_NAME), unless
 * the root carries loom:name (namespace urn:loom:vnet:1). The root's
 * `expires` is the lease end (later than `now`). Returns 0 and fills out,
 * or -1 with error filled and out zeroed. */
int rspec_request_parse(const char *xml, size_t length, const char *name,
			time_t now, struct vnet_request *out,
			struct vnet_request_error *error);

/* Either format, by the root element's namespace: Loom's (urn:loom:vnet:1)
 * through vnet_request_parse, *format = "loom-xml"; RSpec v3 or ProtoGENI
 * v2 through rspec_request_parse, *format = "geni-rspec-v3". A manifest or
 * advertisement RSpec, or any other root, is refused (WRONG_ROOT) with the
 * reason. format may be NULL; it is set (to NULL on failure). Parses the
 * text once. */
int vnet_document_parse(const char *xml, size_t length, const char *name,
			time_t now, struct vnet_request *out,
			struct vnet_request_error *error, const char **format);

/* The daemon's manifest JSON (docs/api.md, "Manifest") as a GENI v3
 * manifest RSpec: malloc'd, NUL-terminated XML (the caller frees), or NULL
 * when the JSON lacks what a manifest needs (no "nodes" array, a node
 * without "id") or memory runs out. */
char *rspec_manifest(const json_t *manifest);

#endif
