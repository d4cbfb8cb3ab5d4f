/* topo: the substrate the InP owns, as data.
 *
 * Plain C, no DPDK: the embedder, the control plane and the switch's
 * configuration loader all stand on it. This header is the library's face.
 *
 * Section 1: YAML documents with positions. Every YAML loader in Loom
 * (substrate files, loom-switch and loom-inp configuration) reads the file
 * into libyaml's document tree, whose nodes keep their line and column, so
 * every error can name file, line, column, field and why.
 */
#ifndef LOOM_TOPO_H
#define LOOM_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

/* ---- YAML with positions ------------------------------------------------ */

/* Where a problem is and what it is. Written by a loader, read by whoever
 * prints it. `line` and `column` are 1-based; 0 means "the whole file". */
struct load_error {
	char file[256];
	unsigned line;
	unsigned column;
	char field[128];
	char message[512];
};

/* "file:line:column: field: message" into buf. */
void load_error_format(const struct load_error *error, char *buf, size_t size);

/* Records an error at a node (node may be NULL for the file as a whole).
 * Always returns -1 so loaders can `return load_error_set(...)`. */
int load_error_set(struct load_error *error, const char *file,
		   const yaml_node_t *node, const char *field,
		   const char *format, ...) __attribute__((format(printf, 5, 6)));

/* One loaded YAML document. */
struct yaml_file {
	char path[256];
	yaml_document_t document;
	bool loaded;
};

/* Loads a file or a string (path names it in errors). A syntax error fills
 * error with libyaml's own position and reason. An empty document is an
 * error too: every Loom file has a top-level mapping. */
int yaml_file_load(struct yaml_file *file, const char *path,
		   struct load_error *error);
int yaml_file_load_string(struct yaml_file *file, const char *name,
			  const char *text, size_t length,
			  struct load_error *error);
void yaml_file_free(struct yaml_file *file);

yaml_node_t *yaml_file_root(struct yaml_file *file);

/* The value of `key` in a mapping, or NULL when absent or node is no
 * mapping. On error nothing is left to free. */
yaml_node_t *yaml_mapping_get(struct yaml_file *file, yaml_node_t *mapping,
			      const char *key);

/* Checks that every key of the mapping is one of `allowed` (NULL-ended):
 * a misspelt key is an error, never silently ignored. */
int yaml_mapping_check_keys(struct yaml_file *file, yaml_node_t *mapping,
			    const char *const *allowed, const char *where,
			    struct load_error *error);

/* Typed scalar readers. Each fails with a positioned error naming `field`
 * when the node is missing (if required), not a scalar, or out of range. */
int yaml_read_string(struct yaml_file *file, yaml_node_t *node,
		     const char *field, char *out, size_t size,
		     struct load_error *error);
int yaml_read_u64(struct yaml_file *file, yaml_node_t *node, const char *field,
		  uint64_t min, uint64_t max, uint64_t *out,
		  struct load_error *error);
int yaml_read_double(struct yaml_file *file, yaml_node_t *node,
		     const char *field, double min, double max, double *out,
		     struct load_error *error);
int yaml_read_bool(struct yaml_file *file, yaml_node_t *node,
		   const char *field, bool *out, struct load_error *error);

/* Iteration helpers for sequences and mappings. */
size_t yaml_sequence_length(yaml_node_t *sequence);
yaml_node_t *yaml_sequence_item(struct yaml_file *file, yaml_node_t *sequence,
				size_t index);
size_t yaml_mapping_length(yaml_node_t *mapping);
yaml_node_t *yaml_mapping_key_at(struct yaml_file *file, yaml_node_t *mapping,
				 size_t index);
yaml_node_t *yaml_mapping_value_at(struct yaml_file *file,
				   yaml_node_t *mapping, size_t index);
/* The scalar text of a node, or NULL if it is not a scalar. */
const char *yaml_scalar(yaml_node_t *node);

#include <stdio.h>

/* ---- Substrate model ------------------------------------------------------
 *
 * Section 2: the substrate, the network the InP owns. Nodes (a loom-switch
 * each, with CPU to host virtual nodes) joined by undirected links (with
 * bandwidth to carry virtual links). Parallel links between the same two
 * nodes are allowed (Topology Zoo files have them).
 *
 * Life cycle: substrate_create, then substrate_add_node / substrate_add_port
 * / substrate_add_link, then substrate_finalize, which builds the adjacency
 * (CSR) and counts connected components. After finalize the substrate is
 * read-only and may be shared by any number of threads; it holds no
 * residual capacities: the embedder owns those (one double per link and per
 * node, indexed like the arrays here) and passes them to the algorithms.
 *
 * Units, everywhere in topo/ and its file formats:
 *   cpu        abstract CPU units (the unit virtual node demands use)
 *   memory     MiB
 *   bandwidth  Mbit/s
 *   latency    milliseconds (one way)
 *
 * YAML substrate format (annotated example: topo/examples/substrate.yaml):
 *
 *   name: lab                       # optional, free text
 *   nodes:
 *     - id: s1                      # required, unique among nodes
 *       cpu: 16                     # required, >= 0
 *       memory: 65536               # optional, MiB, >= 0
 *       site: paris                 # optional, free text
 *       position: {x: 10, y: 20}    # optional; or {latitude:, longitude:}
 *       control: /run/loom/s1.sock  # optional, loom-switch control socket
 *                                   #   (unix path, or host:port)
 *       ports: [eth0, eth1]         # required if links name ports
 *   links:
 *     - id: s1-s2                   # optional; default "<a>--<b>#<index>"
 *       a: s1:eth0                  # required, node:port (port declared
 *       b: s2:eth0                  #   on that node)
 *       bandwidth: 10G              # required, Mbit/s, or with a unit
 *                                   #   suffix k M G T (bit/s)
 *       latency: 1.5ms              # optional, default 0; ms, or with a
 *                                   #   suffix us ms s
 *       kind: ethernet              # ethernet (hops carried in VLAN tags,
 *                                   #   the default) or ip (VXLAN)
 *       vlans: 100-199              # ethernet only; default 1-4094
 *       vnis: 5000-5999             # ip only; default 1-16777215
 *
 * Errors (file:line:column: field: message): a missing or misspelt key, a
 * duplicate node or link id, a dangling endpoint (unknown node or port), a
 * negative capacity, a range out of bounds, and overlapping ranges: two links
 * of the same kind on the same node port must allow disjoint tag ranges,
 * because the tag is what tells their traffic apart on that port. A
 * substrate that is not connected loads, with a warning.
 */

#define SUBSTRATE_ID_SIZE 64
#define SUBSTRATE_PORT_NAME_SIZE 32
#define SUBSTRATE_CONTROL_SIZE 108 /* sun_path */
#define SUBSTRATE_NONE UINT32_MAX

/* How a link carries the hops of virtual links: the tag that separates
 * them on the wire. */
#define foreach_substrate_link_kind                                        \
	_(ETHERNET, "ethernet") /* 802.1Q: a VLAN ID per virtual link hop */ \
	_(IP, "ip")             /* VXLAN over IP: a VNI per hop */

enum substrate_link_kind {
#define _(name, text) SUBSTRATE_LINK_##name,
	foreach_substrate_link_kind
#undef _
	SUBSTRATE_LINK_KIND_COUNT
};

const char *substrate_link_kind_name(enum substrate_link_kind kind);
/* Returns 0 and sets *kind, or -1 for an unknown name. */
int substrate_link_kind_parse(const char *name, enum substrate_link_kind *kind);

#define SUBSTRATE_VLAN_MIN 1
#define SUBSTRATE_VLAN_MAX 4094
#define SUBSTRATE_VNI_MIN 1
#define SUBSTRATE_VNI_MAX 16777215

/* Inclusive range of tags (VLAN IDs or VNIs, by the link's kind). */
struct tag_range {
	uint32_t first;
	uint32_t last;
};

#define foreach_substrate_position_kind                                   \
	_(NONE, "none")                                                    \
	_(PLANE, "plane")           /* x, y: generators, ViNE-Yard */      \
	_(GEOGRAPHIC, "geographic") /* x = longitude, y = latitude (deg) */

enum substrate_position_kind {
#define _(name, text) SUBSTRATE_POSITION_##name,
	foreach_substrate_position_kind
#undef _
	SUBSTRATE_POSITION_KIND_COUNT
};

/* A port of a node's switch. `link_first` chains the links attached to
 * this port through substrate_link.next_on_port (several links may share a
 * port if their tag ranges are disjoint). */
struct substrate_port {
	char name[SUBSTRATE_PORT_NAME_SIZE];
	uint32_t link_first; /* SUBSTRATE_NONE when no link uses it */
};

/* Written by substrate_add_node and the loaders; read by everyone. */
struct substrate_node {
	char id[SUBSTRATE_ID_SIZE];
	uint32_t index; /* position in substrate.nodes */
	double cpu;
	bool has_memory;
	double memory;
	char site[SUBSTRATE_ID_SIZE];
	enum substrate_position_kind position_kind;
	double x, y;
	char control[SUBSTRATE_CONTROL_SIZE]; /* "" when unknown */
	uint32_t port_count;
	uint32_t port_capacity;
	struct substrate_port *ports;
};

struct substrate_endpoint {
	uint32_t node; /* index in substrate.nodes */
	uint32_t port; /* index in that node's ports */
};

/* Written by substrate_add_link and the loaders; read by everyone. */
struct substrate_link {
	char id[SUBSTRATE_ID_SIZE];
	uint32_t index; /* position in substrate.links */
	struct substrate_endpoint ends[2];
	double bandwidth;
	double latency;
	enum substrate_link_kind kind;
	struct tag_range tags; /* VLAN IDs (ethernet) or VNIs (ip) */
	uint32_t next_on_port[2]; /* next link on ends[i]'s port */
};

/* One direction of a link in the adjacency: from the node whose arc list
 * holds it, over `link`, to `neighbour`. Latency and bandwidth are copies
 * of the link's, so the hot loops read the arc array in order instead of
 * jumping into the (much wider) link array once per arc. */
struct substrate_arc {
	uint32_t link;
	uint32_t neighbour;
	double latency;
	double bandwidth;
};

struct substrate_id_index; /* private: open-addressing hash of ids */

/* The substrate. Built by one thread, then read-only after finalize. */
struct substrate {
	char name[SUBSTRATE_ID_SIZE];
	uint32_t node_count, node_capacity;
	struct substrate_node *nodes;
	uint32_t link_count, link_capacity;
	struct substrate_link *links;

	/* Adjacency in CSR form, valid after finalize: the arcs leaving node
	 * n are arcs[arc_start[n]] .. arcs[arc_start[n + 1] - 1], in link
	 * order. Each link appears twice, once from each end. */
	bool finalized;
	uint32_t *arc_start; /* node_count + 1 entries */
	struct substrate_arc *arcs; /* 2 * link_count entries */
	uint32_t component_count; /* connected components; 1 = connected */

	struct substrate_id_index *node_ids;
	struct substrate_id_index *link_ids;
};

/* An empty substrate named `name` (may be NULL). NULL on allocation
 * failure. */
struct substrate *substrate_create(const char *name);
void substrate_free(struct substrate *substrate);

/* Adds a copy of `node` (id, cpu, memory, site, position, control; index and
 * ports are ignored). Returns its index, or -EEXIST for a duplicate id,
 * -EINVAL for an empty or too long id or a negative or non-finite capacity,
 * -EBUSY after finalize, -ENOMEM. */
int substrate_add_node(struct substrate *substrate,
		       const struct substrate_node *node);

/* Adds a port to node `node`. Returns the port's index, or -EEXIST, -EINVAL
 * (empty or too long name, a ':' in it, bad node), -EBUSY, -ENOMEM. Node
 * ids may hold ':'; port names may not, so "node:port" splits at the last
 * colon. */
int substrate_add_port(struct substrate *substrate, uint32_t node,
		       const char *name);

/* Link endpoints for substrate_add_link: a node index and a port name; an
 * empty port name makes a new port named "p<n>" (n its index) for the
 * link, which is what the importers and generators do. */
struct substrate_link_end {
	uint32_t node;
	const char *port;
};

/* Adds a link. `link` gives id (may be empty: a default id is made),
 * bandwidth, latency, kind and tags; a zero tag range means the kind's
 * whole range. Returns the link's index, or:
 *   -EEXIST      duplicate id
 *   -ENOENT      an endpoint names an unknown node or port
 *   -EINVAL      negative or non-finite bandwidth or latency, a loop (both
 *                ends on the same node), tags out of the kind's bounds
 *   -EADDRINUSE  another link of the same kind on one of the ports has an
 *                overlapping tag range
 *   -EBUSY, -ENOMEM */
int substrate_add_link(struct substrate *substrate,
		       const struct substrate_link *link,
		       struct substrate_link_end a, struct substrate_link_end b);

/* Builds the CSR adjacency and counts components. Returns 0 or -ENOMEM.
 * Idempotent. */
int substrate_finalize(struct substrate *substrate);

/* Index of the node / link with that id, or -1. */
int substrate_node_lookup(const struct substrate *substrate, const char *id);
int substrate_link_lookup(const struct substrate *substrate, const char *id);
/* Index of a port on a node, or -1. */
int substrate_port_lookup(const struct substrate *substrate, uint32_t node,
			  const char *name);

/* The node at the other end of `link` from `node`. */
static inline uint32_t substrate_link_other(const struct substrate_link *link,
					    uint32_t node)
{
	return link->ends[0].node == node ? link->ends[1].node
					  : link->ends[0].node;
}

/* Sums, for summaries and revenue/cost ratios. */
double substrate_total_cpu(const struct substrate *substrate);
double substrate_total_bandwidth(const struct substrate *substrate);

/* ---- Paths ----------------------------------------------------------------
 *
 * Section 3: graph algorithms over a finalized substrate. All queries go
 * through a search workspace (struct substrate_search): per-node arrays,
 * a binary heap and path storage sized once for the substrate, so a query
 * allocates nothing (buffers for Yen's candidates grow on demand and then
 * stay). A workspace belongs to one thread; make one per thread.
 * Visited marks use a generation counter, so a query costs what it
 * explores, not O(nodes).
 *
 * What a query may use is described by path_constraints; the caller owns
 * the residual capacities. A link is usable when:
 *   residual[link] >= min_bandwidth (or the link's capacity if residual is
 *   NULL), link_allowed(link) (if given) returns true, and the path's
 *   latency stays <= max_latency and its hop count <= max_hops (if set).
 * The latency and hop bounds prune the search: with a metric other than
 * latency (resp. hops) a path within the bounds can exist that the pruned
 * search misses; a returned path always respects them.
 */

#define foreach_path_metric                                                \
	_(HOPS, "hops")       /* every link costs 1 */                     \
	_(LATENCY, "latency") /* link latency (ms) */                      \
	_(WEIGHTS, "weights") /* path_constraints.link_cost[link] */

enum path_metric {
#define _(name, text) PATH_METRIC_##name,
	foreach_path_metric
#undef _
	PATH_METRIC_COUNT
};

const char *path_metric_name(enum path_metric metric);

struct path_constraints {
	enum path_metric metric;
	const double *link_cost;       /* WEIGHTS: per link, >= 0 */
	const double *residual;        /* per link; NULL = link bandwidth */
	double min_bandwidth;          /* 0 = any link */
	double max_latency;            /* ms; 0 = unbounded */
	uint32_t max_hops;             /* 0 = unbounded */
	/* Optional extra filter, called for every link the search crosses. */
	bool (*link_allowed)(uint32_t link, void *context);
	void *context;
};

/* A loopless path: nodes[0] .. nodes[hop_count], links[0] .. links[hop_count
 * - 1] with links[i] joining nodes[i] and nodes[i + 1]. Paths returned by a
 * search point into the workspace and stay valid until its next query;
 * substrate_path_copy keeps one. */
struct substrate_path {
	uint32_t hop_count;
	double cost;       /* in the query's metric */
	double latency;    /* ms, sum over the links */
	double bottleneck; /* smallest residual (or bandwidth) along it */
	uint32_t *nodes;
	uint32_t *links;
};

struct substrate_search;

struct substrate_search *substrate_search_create(
	const struct substrate *substrate);
void substrate_search_free(struct substrate_search *search);

/* Cheapest usable path from source to target (Dijkstra, stops at target).
 * Returns 0 and fills *path, -ENOENT if there is none, -EINVAL for bad
 * arguments. source == target gives the empty path. */
int substrate_shortest_path(struct substrate_search *search, uint32_t source,
			    uint32_t target,
			    const struct path_constraints *constraints,
			    struct substrate_path *path);

/* Up to k cheapest loopless usable paths from source to target, cheapest
 * first (Yen's algorithm; ties broken by hop count, then lexicographically
 * by link indices, so results are deterministic). Fills paths[0 .. n-1] and
 * returns n (0 if none), or -EINVAL / -ENOMEM. */
int substrate_k_shortest_paths(struct substrate_search *search,
			       uint32_t source, uint32_t target, unsigned k,
			       const struct path_constraints *constraints,
			       struct substrate_path *paths);

/* Dijkstra from source to every node: distance[n] (INFINITY when
 * unreachable) and, if predecessor is not NULL, the link by which n is
 * reached (SUBSTRATE_NONE for the source and unreachable nodes). Arrays
 * have node_count entries. Returns the number of nodes reached. */
int substrate_shortest_path_tree(struct substrate_search *search,
				 uint32_t source,
				 const struct path_constraints *constraints,
				 double *distance, uint32_t *predecessor);

/* Hop distances from source over usable links (BFS); constraints may be
 * NULL (every link). distance[n] = UINT32_MAX when unreachable. Returns the
 * number of nodes reached. */
int substrate_hop_distances(struct substrate_search *search, uint32_t source,
			    const struct path_constraints *constraints,
			    uint32_t *distance);

/* A heap copy of a path (free with substrate_path_free), or NULL. */
struct substrate_path *substrate_path_copy(const struct substrate_path *path);
void substrate_path_free(struct substrate_path *path);

/* ---- File formats ---------------------------------------------------------
 *
 * Section 4: loading and saving. Loaders return a finalized substrate or
 * NULL with *error filled (positioned for YAML; line-numbered for ViNE-Yard;
 * line-numbered where libxml2 knows the line for GraphML). When `warning` is
 * not NULL it receives the first warning (message empty when none): a
 * substrate that is not connected is a warning, not an error.
 */

struct substrate *substrate_load_yaml(const char *path,
				      struct load_error *error,
				      struct load_error *warning);
struct substrate *substrate_load_yaml_string(const char *name,
					     const char *text, size_t length,
					     struct load_error *error,
					     struct load_error *warning);
/* Writes the YAML format; loading it gives back the same substrate.
 * Returns 0 or -errno. */
int substrate_save_yaml(const struct substrate *substrate, const char *path);
int substrate_write_yaml(const struct substrate *substrate, FILE *stream);

/* Internet Topology Zoo GraphML import. Node ids are the GraphML node ids;
 * the label, when present, becomes the site. Latitude/Longitude give a
 * geographic position. Capacities, where the file has none:
 *   cpu = options.default_cpu, bandwidth = options.default_bandwidth
 * or, when options.seed is not 0, uniform in [minimum, maximum] of the
 * options (the usual VNE practice, U(50,100)); a link with LinkSpeedRaw
 * (bit/s) or LinkSpeed + LinkSpeedUnits gets that speed instead. Latency is
 * the great-circle distance over fibre (5 us/km) when both ends have a
 * position, else options.default_latency. Links are ethernet with the full
 * VLAN range; each gets its own port. Self-loops are skipped. */
struct graphml_options {
	double default_cpu;        /* 100 when 0 */
	double default_bandwidth;  /* Mbit/s; 1000 when 0 */
	double default_latency;    /* ms; 1 when 0 */
	uint64_t seed;             /* 0: use the defaults above */
	double cpu_minimum, cpu_maximum;             /* with seed */
	double bandwidth_minimum, bandwidth_maximum; /* with seed */
	bool ignore_link_speed;    /* true: never use the file's speeds */
};

struct substrate *substrate_load_graphml(const char *path,
					 const struct graphml_options *options,
					 struct load_error *error,
					 struct load_error *warning);
struct substrate *substrate_load_graphml_memory(
	const char *name, const char *data, size_t size,
	const struct graphml_options *options, struct load_error *error,
	struct load_error *warning);

/* ViNE-Yard substrate text format (see topo/README.md): line 1 "N M", then
 * N lines "x y cpu", then M lines "from to bandwidth delay" with 0-based
 * node numbers; delay is read as latency in ms. Node ids become "n<i>",
 * link ids "l<j>". Every line is checked: a wrong field count, a value that
 * is not a number (an integer for counts and endpoints), a negative
 * capacity, an endpoint out of range, a link from a node to itself, a
 * blank line inside the file, missing or extra lines (the header's totals)
 * are errors naming the line. */
struct substrate *substrate_load_vineyard(const char *path,
					  struct load_error *error,
					  struct load_error *warning);
struct substrate *substrate_load_vineyard_string(const char *name,
						 const char *text,
						 size_t length,
						 struct load_error *error,
						 struct load_error *warning);
/* Writes the ViNE-Yard substrate format: node i is line i (x y of any
 * position kind; 0 0 without one), link endpoints are node indices,
 * latency is written as delay. Returns 0 or -errno. */
int substrate_save_vineyard(const struct substrate *substrate,
			    const char *path);
int substrate_write_vineyard(const struct substrate *substrate,
			     FILE *stream);

/* A ViNE-Yard virtual network request ("reqN.txt"): line 1 "n m split
 * arrival duration topology max_distance", n lines "x y cpu", m lines
 * "from to bandwidth delay". Read into the same model (ids "v<i>", "e<j>")
 * plus the header fields. */
struct vineyard_request {
	struct substrate *graph;
	int split;
	double arrival;
	double duration;
	int topology;
	double max_distance;
};

int vineyard_request_load(const char *path, struct vineyard_request *request,
			  struct load_error *error);
int vineyard_request_load_string(const char *name, const char *text,
				 size_t length,
				 struct vineyard_request *request,
				 struct load_error *error);
int vineyard_request_write(const struct vineyard_request *request,
			   FILE *stream);
void vineyard_request_free(struct vineyard_request *request);

/* ---- Generators -----------------------------------------------------------
 *
 * Section 5: synthetic substrates, deterministic for a given seed on every
 * machine (own PRNG: splitmix64 seeding xoshiro256**; no libc rand). Node
 * CPU and link bandwidth are uniform in the given ranges (a zero range means
 * the default); latency is distance times latency_per_unit for Waxman,
 * uniform in the latency range otherwise. Ids: nodes "n<i>", links "l<j>";
 * each link gets its own ports "p<k>". All generators return a finalized
 * substrate or NULL (bad parameters, out of memory).
 */

struct topo_random {
	uint64_t state[4];
};

void topo_random_seed(struct topo_random *random, uint64_t seed);
uint64_t topo_random_next(struct topo_random *random);
/* Uniform in [0, 1). */
double topo_random_unit(struct topo_random *random);
/* Uniform in [minimum, maximum]. */
double topo_random_uniform(struct topo_random *random, double minimum,
			   double maximum);
/* Uniform in [0, bound), bound > 0, without modulo bias. */
uint64_t topo_random_below(struct topo_random *random, uint64_t bound);

struct generator_capacities {
	double cpu_minimum, cpu_maximum;             /* default 50..100 */
	double bandwidth_minimum, bandwidth_maximum; /* default 50..100 */
	double latency_minimum, latency_maximum;     /* ms, default 1..5 */
	enum substrate_link_kind kind;               /* default ethernet */
};

/* Waxman: n nodes placed uniformly on a side x side square; each pair at
 * distance d is joined with probability alpha * exp(-d / (beta * L)), L the
 * largest possible distance. When target_links is not 0, alpha is replaced
 * by the value whose expected link count, over the placed nodes, is
 * target_links (e.g. 100 nodes, 500 links). Latency from distance
 * (latency_per_unit ms per unit of distance). Components are then joined
 * (each to the nearest node of the first component) so the result is
 * connected. Every pair is drawn: O(n^2), about
 * a second for 10,000 nodes. */
struct waxman_options {
	uint32_t nodes;
	double alpha;          /* (0, 1], default 0.5 */
	double beta;           /* > 0, default 0.2 */
	double side;           /* default 100 */
	uint32_t target_links; /* 0 = use alpha as given */
	double latency_per_unit; /* ms per unit of distance; default 0.05 */
	struct generator_capacities capacities;
};

struct substrate *topo_generate_waxman(const struct waxman_options *options,
				       uint64_t seed);

/* Barabási–Albert: starts from a clique of m + 1 nodes, then each new node
 * links to m distinct existing nodes chosen with probability proportional
 * to degree. n nodes, about m * n links, connected. */
struct substrate *topo_generate_barabasi_albert(
	uint32_t nodes, uint32_t m, const struct generator_capacities *capacities,
	uint64_t seed);

/* rows x columns grid (4-neighbour), positions on the unit lattice. */
struct substrate *topo_generate_grid(uint32_t rows, uint32_t columns,
				     const struct generator_capacities *capacities,
				     uint64_t seed);

/* Leaf-spine: every leaf linked to every spine. Leaves host (cpu from the
 * range); spines only switch (cpu 0). Ids "spine<i>", "leaf<j>"; links
 * "leaf<j>-spine<i>" on ports "up<i>" (leaf) and "down<j>" (spine). */
struct substrate *topo_generate_leaf_spine(
	uint32_t spines, uint32_t leaves,
	const struct generator_capacities *capacities, uint64_t seed);

/* ---- Pictures -------------------------------------------------------------
 *
 * Section 6: Graphviz DOT with utilization colouring. Utilizations are in
 * [0, 1] (used / capacity), per link and per node, either may be NULL
 * (drawn grey). Colour runs green (0) - yellow (0.5) - red (1); link width
 * grows with bandwidth. Geographic or plane positions are used as fixed
 * positions (neato -n) when every node has one.
 */
struct dot_options {
	const double *link_utilization;
	const double *node_utilization;
	const char *title; /* default: the substrate's name */
};

int substrate_write_dot(const struct substrate *substrate,
			const struct dot_options *options, FILE *stream);
int substrate_save_dot(const struct substrate *substrate,
		       const struct dot_options *options, const char *path);
/* Runs Graphviz (`dot`, or `neato -n` with fixed positions) to write an
 * SVG. Returns 0, -ENOENT when Graphviz is not installed, or -errno /
 * -EIO when it fails. */
int substrate_save_svg(const struct substrate *substrate,
		       const struct dot_options *options, const char *path);

#endif
