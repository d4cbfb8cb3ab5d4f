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
	_(NO_MEMORY, "out of memory")

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

#endif
