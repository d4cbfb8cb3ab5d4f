/* embed: online virtual network embedding (VNE) for Loom.
 *
 * Decides where every virtual node and virtual link of a request goes on the
 * substrate (topo/), keeps the residual capacities of the substrate as
 * requests arrive and depart, checks every embedding independently, and
 * simulates the standard online VNE workloads to measure the algorithms.
 * Plain C, no DPDK. This header is the library's face.
 *
 * Sections:
 *   1. amounts (exact fixed-point resources)
 *   2. requests (virtual networks) and their file formats
 *   3. residual state of the substrate
 *   4. embeddings (mappings), their revenue and cost
 *   5. the independent feasibility checker
 *   6. algorithms, selectable by name
 *   7. workloads, the online simulator and its metrics
 *   8. reports (CSV, JSON, SVG)
 */
#ifndef LOOM_EMBED_H
#define LOOM_EMBED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "topo.h"

/* ---- 1. Amounts -----------------------------------------------------------
 *
 * CPU and bandwidth are kept as integers in millionths of their unit
 * (topo's units: abstract CPU units, Mbit/s). Floating-point subtraction and
 * addition do not cancel exactly ((c - a) + a != c in general), and the
 * embedder must give back exactly what it took: after every request has
 * departed, every residual equals its capacity, bit for bit. Integers make
 * that hold by construction. Values read as doubles are rounded to the
 * nearest millionth once, when they enter the embedder.
 */
typedef int64_t embed_amount;
#define EMBED_AMOUNT_SCALE 1000000

/* Rounds to the nearest millionth; negative and non-finite values give -1
 * (callers reject them). */
embed_amount embed_amount_from_double(double value);
static inline double embed_amount_to_double(embed_amount amount)
{
	return (double)amount / EMBED_AMOUNT_SCALE;
}

/* ---- 2. Requests ----------------------------------------------------------
 *
 * A virtual network request: virtual nodes with a CPU demand and optional
 * placement constraints, and virtual links with a bandwidth demand and an
 * optional latency bound. A virtual link with more than two endpoints is a
 * LAN: it is embedded as a loop-free tree of substrate links, each carrying
 * the LAN's bandwidth once.
 *
 * Written by the loaders, the workload generators or the caller (through
 * embed_request_add_node / _add_link); read by the algorithms, the checker
 * and the simulator. Read-only once built.
 *
 * Placement constraints of a virtual node (all that are set must hold):
 *   allowed         substrate node indices the node may use (none: any)
 *   site            the substrate node's site must equal it ("" = any)
 *   has_position    the substrate node must lie within max_distance of
 *                   (x, y): Euclidean on plane positions; great-circle
 *                   kilometres on geographic positions (x = longitude,
 *                   y = latitude); a substrate node without a position
 *                   never qualifies.
 * Two virtual nodes of one request never share a substrate node.
 */

#define EMBED_ID_SIZE 64

struct embed_virtual_node {
	char id[EMBED_ID_SIZE];
	embed_amount cpu;
	uint32_t allowed_count;
	uint32_t *allowed; /* substrate node indices, owned by the request */
	char site[EMBED_ID_SIZE];
	bool has_position;
	double x, y;
	double max_distance;
};

struct embed_virtual_link {
	char id[EMBED_ID_SIZE];
	uint32_t endpoint_count; /* 2 = a link, > 2 = a LAN */
	uint32_t *endpoints;     /* virtual node indices, distinct */
	embed_amount bandwidth;
	double max_latency; /* ms between any two endpoints; 0 = unbounded */
};

struct embed_request {
	char name[EMBED_ID_SIZE];
	uint32_t id;      /* position in a workload */
	double arrival;   /* time units */
	double lifetime;  /* time units */
	uint32_t node_count, node_capacity;
	struct embed_virtual_node *nodes;
	uint32_t link_count, link_capacity;
	struct embed_virtual_link *links;
};

struct embed_request *embed_request_create(const char *name);
void embed_request_free(struct embed_request *request);

/* Adds a copy of `node` (allowed[] is copied). Returns its index, or
 * -EINVAL (negative CPU, a non-finite position or negative max_distance, an
 * id already used), -ENOMEM. An empty id becomes "v<index>". */
int embed_request_add_node(struct embed_request *request,
			   const struct embed_virtual_node *node);
/* Adds a copy of `link` (endpoints[] copied). Returns its index, or
 * -EINVAL (fewer than 2 endpoints, an endpoint out of range or repeated,
 * negative bandwidth or latency), -ENOMEM. An empty id becomes "e<index>". */
int embed_request_add_link(struct embed_request *request,
			   const struct embed_virtual_link *link);

/* Index of the virtual node with that id, or -1. */
int embed_request_node_lookup(const struct embed_request *request,
			      const char *id);

/* Revenue of a request: sum of node CPU + sum over links of bandwidth x
 * (endpoints - 1) (a LAN of k endpoints earns like a tree of k - 1 links;
 * a plain link earns its bandwidth), in units (not millionths). */
double embed_request_revenue(const struct embed_request *request);
double embed_request_cpu_total(const struct embed_request *request);
double embed_request_bandwidth_total(const struct embed_request *request);

/* A copy (deep). NULL on allocation failure. */
struct embed_request *embed_request_clone(const struct embed_request *request);

/* ViNE-Yard request text ("reqN.txt"): line 1 "n m split arrival duration
 * topology max_distance"; n lines "x y cpu"; m lines "from to bandwidth
 * delay". Strict: every line must have exactly its fields, each a finite
 * number (x, y, cpu, bandwidth may be fractional; counts and endpoints are
 * integers), capacities >= 0, endpoints in range and distinct, no
 * duplicate link, nothing after the last line but blank lines. A malformed
 * line is an error naming the line; nothing is ever read as 0 silently.
 * When max_distance > 0 every node gets a position constraint (x, y,
 * max_distance), as ViNE-Yard's location constraint. Delay is ignored (the
 * format's delay is 0 for requests). */
struct embed_request *embed_request_load_vineyard(const char *path,
						  struct load_error *error);
struct embed_request *embed_request_load_vineyard_string(
	const char *name, const char *text, size_t length,
	struct load_error *error);
int embed_request_write_vineyard(const struct embed_request *request,
				 FILE *stream);

/* YAML (or JSON, which libyaml reads as YAML) request, positioned errors:
 *
 *   name: tenant-a                    # optional
 *   arrival: 0                        # optional, time units
 *   lifetime: 1000                    # optional, time units
 *   nodes:
 *     - id: web                       # required, unique
 *       cpu: 4                        # required, >= 0
 *       allowed: [s1, s2]             # optional substrate node ids
 *       site: paris                   # optional
 *       position: {x: 1, y: 2, max_distance: 10}   # optional
 *   links:
 *     - id: web-db                    # optional
 *       endpoints: [web, db]          # 2 = link, more = LAN
 *       bandwidth: 100                # required, Mbit/s, >= 0
 *       latency: 5                    # optional bound, ms
 *
 * `substrate` resolves allowed ids (an unknown id is an error); it may be
 * NULL when no node has `allowed`. */
struct embed_request *embed_request_load_yaml(const char *path,
					      const struct substrate *substrate,
					      struct load_error *error);
struct embed_request *embed_request_load_yaml_string(
	const char *name, const char *text, size_t length,
	const struct substrate *substrate, struct load_error *error);

/* Loads by content: ViNE-Yard text when the first line is seven numbers,
 * else YAML/JSON. */
struct embed_request *embed_request_load(const char *path,
					 const struct substrate *substrate,
					 struct load_error *error);

/* Loads a substrate through topo by file name: .yaml/.yml as YAML,
 * .graphml/.xml as Topology Zoo GraphML (capacities drawn U(50, 100) with
 * seed 1, the usual VNE practice, the file's link speeds ignored), anything
 * else as ViNE-Yard text. */
struct substrate *embed_substrate_load(const char *path,
				       struct load_error *error);

/* ---- 3. Residual state ----------------------------------------------------
 *
 * What is left of the substrate: CPU per node, bandwidth per link, and the
 * free tags (VLAN IDs or VNIs, by the link's kind) per link. Written only by
 * embed_residual_commit and embed_residual_release (the simulator or
 * control plane calls them, one thread); read by the algorithms, which
 * never modify it (they work on private copies).
 *
 * Tags: every hop of a virtual link (every link of a path or of a LAN
 * tree) takes one tag of that substrate link's range, the lowest free one;
 * departures free them. tags_free counts what is left, so algorithms test
 * "a free tag" in O(1); the allocator behind it is a bitmap that grows with
 * the number of tags in use, not with the range (a VNI range has 16 M).
 */
struct embed_tag_pool; /* private */

struct embed_residual {
	const struct substrate *substrate;
	embed_amount *cpu_capacity;       /* per node */
	embed_amount *bandwidth_capacity; /* per link */
	embed_amount *cpu;                /* per node, residual */
	embed_amount *bandwidth;          /* per link, residual */
	uint32_t *tags_free;              /* per link */
	struct embed_tag_pool *tags;      /* per link */
	uint32_t live_requests;
};

/* Full capacities (substrate must be finalized). NULL on failure. */
struct embed_residual *embed_residual_create(const struct substrate *substrate);
void embed_residual_free(struct embed_residual *residual);
/* True when every residual equals its capacity and every tag is free. */
bool embed_residual_is_full(const struct embed_residual *residual);

struct embed_mapping;

/* Takes what `mapping` uses: CPU, bandwidth, and one tag per hop (written
 * into mapping->tags). Validates first and changes nothing on failure:
 * -ENOSPC (a capacity or tag would be exceeded), -EINVAL (malformed
 * mapping). */
int embed_residual_commit(struct embed_residual *residual,
			  const struct embed_request *request,
			  struct embed_mapping *mapping);
/* Gives back exactly what commit took. */
void embed_residual_release(struct embed_residual *residual,
			    const struct embed_request *request,
			    const struct embed_mapping *mapping);

/* ---- 4. Embeddings --------------------------------------------------------
 *
 * Where a request went. nodes[v] is the substrate node of virtual node v.
 * Each virtual link is carried by one or more flows (more when an algorithm
 * splits it over several paths); a flow is a path (ordered links from the
 * host of the link's first endpoint to the host of its second) or, for a
 * LAN, a tree (unordered links joining the hosts of all endpoints, with no
 * cycle). The flows of one link carry bandwidths that sum to its demand
 * (exactly, in millionths). Flows are stored grouped by virtual link, in
 * link order; links[] and tags[] hold the hops of all flows.
 *
 * Written by an algorithm (through the builder below) and by
 * embed_residual_commit (tags); read by the checker, the simulator, the
 * printers and the control plane.
 */
struct embed_flow {
	uint32_t link;       /* virtual link index */
	bool tree;           /* LAN tree rather than a path */
	embed_amount bandwidth;
	uint32_t first;      /* index of its first hop in links[] / tags[] */
	uint32_t hop_count;
};

struct embed_mapping {
	uint32_t node_count;
	uint32_t *nodes;
	uint32_t flow_count, flow_capacity;
	struct embed_flow *flows;
	uint32_t hop_count, hop_capacity;
	uint32_t *links; /* substrate link indices */
	uint32_t *tags;  /* tag of each hop; 0 until committed */
	uint32_t node_capacity;
};

void embed_mapping_init(struct embed_mapping *mapping);
void embed_mapping_free(struct embed_mapping *mapping);
/* Empties it for a request of node_count nodes (nodes[] = SUBSTRATE_NONE).
 * Returns 0 or -ENOMEM. */
int embed_mapping_reset(struct embed_mapping *mapping, uint32_t node_count);
/* Appends a flow of `link` with `hop_count` hops. Returns 0 or -ENOMEM. */
int embed_mapping_add_flow(struct embed_mapping *mapping, uint32_t link,
			   bool tree, embed_amount bandwidth,
			   const uint32_t *links, uint32_t hop_count);
int embed_mapping_copy(struct embed_mapping *destination,
		       const struct embed_mapping *source);

/* Cost: sum of node CPU + sum over flows of bandwidth x hops (a tree's
 * hops are its links), in units. */
double embed_mapping_cost(const struct embed_request *request,
			  const struct embed_mapping *mapping);
/* Total substrate hops of all flows (for statistics). */
uint32_t embed_mapping_hops(const struct embed_mapping *mapping);

/* Human-readable mapping (ids, paths, tags), or JSON. */
void embed_mapping_print(const struct substrate *substrate,
			 const struct embed_request *request,
			 const struct embed_mapping *mapping, FILE *stream);
void embed_mapping_print_json(const struct substrate *substrate,
			      const struct embed_request *request,
			      const struct embed_mapping *mapping,
			      FILE *stream);

/* ---- 5. Independent feasibility checker -----------------------------------
 *
 * Shares no code with the residual state or the algorithms: it keeps its
 * own ledger of what every live embedding uses (CPU per node, bandwidth per
 * link, the set of tags in use per link) and validates each embedding
 * against the substrate's capacities from scratch:
 *   structure: every virtual node mapped to a substrate node, paths that
 *   are contiguous walks from the right host to the right host with no
 *   repeated node, trees that are connected and acyclic and reach every
 *   endpoint's host, flows of a link summing to its demand;
 *   placement: constraints held, no two virtual nodes on one substrate node;
 *   capacity: CPU and bandwidth, counting every live embedding;
 *   tags: one per hop, inside the link's range, not in use elsewhere;
 *   latency: every path, and every pair of LAN endpoints through its tree,
 *   within the link's bound.
 * Departures are checked too (the request must be live; its use leaves the
 * ledger), and at the end the ledger must be empty.
 */
#define foreach_embed_violation                                            \
	_(NONE, "feasible")                                                \
	_(MALFORMED, "malformed mapping")                                  \
	_(UNMAPPED_NODE, "virtual node not mapped")                        \
	_(COLOCATION, "two virtual nodes on one substrate node")           \
	_(PLACEMENT, "placement constraint violated")                      \
	_(CPU, "CPU capacity exceeded")                                    \
	_(BROKEN_PATH, "path does not join the link's hosts")              \
	_(LOOP, "path or tree has a cycle")                                \
	_(SPLIT_SUM, "flows do not sum to the link's bandwidth")           \
	_(BANDWIDTH, "bandwidth capacity exceeded")                        \
	_(TAG, "tag missing, out of range or already in use")              \
	_(LATENCY, "latency bound exceeded")                               \
	_(NOT_LIVE, "departure of a request that is not live")             \
	_(LEAK, "resources still held after every departure")             \
	_(RESIDUAL, "residual state disagrees with the checker's ledger")

enum embed_violation {
#define _(name, text) EMBED_VIOLATION_##name,
	foreach_embed_violation
#undef _
	EMBED_VIOLATION_COUNT
};

const char *embed_violation_name(enum embed_violation violation);

struct embed_checker;

struct embed_checker *embed_checker_create(const struct substrate *substrate);
void embed_checker_free(struct embed_checker *checker);

/* Checks an embedding of request (its id names it) against capacities
 * minus the live ledger, and on success adds it to the ledger. `check_tags`
 * false skips tag values (for a mapping not yet committed). On failure
 * returns the violation and writes a sentence into detail (may be NULL). */
enum embed_violation embed_checker_arrive(struct embed_checker *checker,
					  const struct embed_request *request,
					  const struct embed_mapping *mapping,
					  bool check_tags, char *detail,
					  size_t detail_size);
/* Only validates (no ledger change). */
enum embed_violation embed_checker_validate(struct embed_checker *checker,
					    const struct embed_request *request,
					    const struct embed_mapping *mapping,
					    bool check_tags, char *detail,
					    size_t detail_size);
/* Removes a live request from the ledger. */
enum embed_violation embed_checker_depart(struct embed_checker *checker,
					  const struct embed_request *request,
					  const struct embed_mapping *mapping,
					  char *detail, size_t detail_size);
/* The residual state must equal capacity minus the ledger exactly, tag
 * counts included. */
enum embed_violation embed_checker_compare(const struct embed_checker *checker,
					   const struct embed_residual *residual,
					   char *detail, size_t detail_size);
/* Nothing may be held any more. */
enum embed_violation embed_checker_empty(const struct embed_checker *checker,
					 char *detail, size_t detail_size);

/* ---- 6. Algorithms --------------------------------------------------------
 *
 * Each algorithm maps one request onto the current residual state, or
 * rejects it. It never changes the residual state (the caller commits).
 * Its state (workspaces, rankings, LP objects) lives in an embedder made
 * for one substrate and one thread.
 */
#define foreach_embed_algorithm                                             \
	_(LOOM, "loom",                                                     \
	  "Loom: connectivity-ordered beam search over joint node placements, "\
	  "hop-cost and pressure scored, links by residual-aware min-hop paths")\
	_(GREEDY_KSP, "greedy-ksp",                                         \
	  "Yu 2008: greedy node mapping by CPU x adjacent bandwidth, links by " \
	  "k shortest paths")                                               \
	_(GRC, "grc",                                                       \
	  "Gong 2014: global resource capacity ranking, shortest-path links") \
	_(NODERANK, "noderank",                                             \
	  "Cheng 2011: random-walk NodeRank, RW-BFS order, shortest-path links")\
	_(MCF, "mcf",                                                       \
	  "Yu 2008 with path splitting: greedy nodes, multicommodity flow LP "  \
	  "links (GLPK)")                                                   \
	_(DVINE, "dvine",                                                   \
	  "Chowdhury 2009 D-ViNE: LP relaxation of the joint MIP, "         \
	  "deterministic rounding, MCF links (GLPK)")                        \
	_(MIP, "mip",                                                       \
	  "exact minimum-cost embedding as a MIP (GLPK), small instances")

enum embed_algorithm {
#define _(name, text, description) EMBED_ALGORITHM_##name,
	foreach_embed_algorithm
#undef _
	EMBED_ALGORITHM_COUNT
};

const char *embed_algorithm_name(enum embed_algorithm algorithm);
const char *embed_algorithm_description(enum embed_algorithm algorithm);
/* Returns 0 and sets *algorithm, or -1 for an unknown name. */
int embed_algorithm_parse(const char *name, enum embed_algorithm *algorithm);

/* Tuning; zero fields take the defaults shown. */
struct embed_options {
	unsigned ksp_k;          /* greedy-ksp: paths tried per link, 8 */
	unsigned beam_width;     /* loom: partial placements kept, 48 */
	unsigned beam_branch;    /* loom: candidates per expansion, 8 */
	unsigned beam_evaluate;  /* loom: complete placements link-mapped, 48 */
	unsigned lp_slack;       /* mcf/dvine: extra hops over shortest, 2 */
	unsigned dvine_candidates; /* dvine: substrate nodes per virtual, 10 */
	double loom_pressure;    /* loom: weight of the pressure term, 1 */
	double loom_min_rc;      /* loom: admission control: at high load,
				  * reject an embedding whose R/C is below
				  * this; 0.7; negative = off */
	bool mip_split;          /* mip: allow path splitting */
	double mip_time_limit;   /* mip: seconds, 60 */
};

struct embedder;

/* NULL on failure (allocation; GLPK missing is not possible: linked). */
struct embedder *embedder_create(const struct substrate *substrate,
				 enum embed_algorithm algorithm,
				 const struct embed_options *options);
void embedder_free(struct embedder *embedder);
enum embed_algorithm embedder_algorithm(const struct embedder *embedder);

/* Maps request onto residual into *mapping. Returns 0 (mapped; commit it
 * with embed_residual_commit), -ENOSPC (rejected: no feasible embedding
 * found), -ENOTSUP (the algorithm cannot handle the request, e.g. the MIP
 * with a LAN), -ENOMEM or -EIO (solver failure). */
int embedder_embed(struct embedder *embedder,
		   const struct embed_residual *residual,
		   const struct embed_request *request,
		   struct embed_mapping *mapping);

/* ---- 7. Workloads and the online simulator --------------------------------
 *
 * Random numbers: splitmix64 seeding xoshiro256**, the same on every
 * machine. Uniform draws are half-open: U(a, b) is a + (b - a) u with u in
 * [0, 1) on 53 bits, so a is possible and b never; integer draws
 * {lo, ..., hi} are inclusive, without modulo bias.
 *
 * Standard setups (see embed/README.md):
 *   a   Waxman substrate (topo's generator with Virne's shape: link
 *       probability a exp(-d / (0.5 L))), 100 nodes, about 500 links, CPU
 *       and bandwidth U(50, 100); requests of U{2..10} nodes, each pair linked with
 *       probability 0.5 (redrawn until connected), CPU U(0, 20), bandwidth
 *       U(0, 50); Poisson arrivals 4 per 100 time units; lifetimes
 *       exponential with mean 1000; arrivals until time 50,000.
 *   b   same substrate and requests, 14 arrivals per 100 time units,
 *       lifetime mean 500, 1,000 requests (the Virne benchmark load).
 *   large-1000   Waxman 1,000 nodes, about 5,000 links, requests of
 *       exactly 10 nodes, 4 per 100, lifetime mean 1000, 500 requests.
 *   zoo:FILE   a Topology Zoo GraphML substrate (CPU and bandwidth
 *       U(50, 100)) with setup a's requests (at most as many nodes as the
 *       substrate), 4 arrivals per 100 time units per 100 substrate nodes,
 *       lifetime mean 1000, 1,000 requests.
 *   vineyard:PATH   a ViNE-Yard instance: a directory of reqN.txt, or a
 *       .tar.gz holding one (extracted into a temporary directory at run
 *       time, removed afterwards); the substrate is --substrate or the one
 *       substrate*.txt beside it.
 * The substrate of a generated setup is drawn from the seed too.
 */
/* topo's xoshiro256** (the same stream for the same seed), with the
 * draws the simulator needs on top. */
struct embed_random {
	struct topo_random core;
};

void embed_random_seed(struct embed_random *random, uint64_t seed);
uint64_t embed_random_next(struct embed_random *random);
double embed_random_unit(struct embed_random *random);       /* [0, 1) */
double embed_random_uniform(struct embed_random *random, double minimum,
			    double maximum);                    /* [min, max) */
uint64_t embed_random_integer(struct embed_random *random, uint64_t minimum,
			      uint64_t maximum);                /* inclusive */
double embed_random_exponential(struct embed_random *random, double mean);

struct embed_workload {
	char name[64];
	struct substrate *substrate; /* owned */
	uint32_t request_count;
	struct embed_request **requests; /* owned, in arrival order */
	double horizon; /* metrics integrate over [0, horizon] */
};

struct embed_request_profile {
	uint32_t nodes_minimum, nodes_maximum; /* inclusive */
	double link_probability;
	double cpu_minimum, cpu_maximum;
	double bandwidth_minimum, bandwidth_maximum;
	double arrival_rate;    /* per time unit */
	double lifetime_mean;
	uint32_t request_count; /* 0: until horizon */
	double horizon;         /* when request_count is 0 */
};

/* Appends requests drawn per the profile (ids 0.., arrival order) to the
 * workload and sets its horizon. Returns 0, -EINVAL or -ENOMEM. */
int embed_generate_requests(const struct embed_request_profile *profile,
			    uint64_t seed, struct embed_workload *workload);

/* Builds "a", "b", "large-1000", "zoo:FILE" or "vineyard:PATH" (substrate_path may be
 * NULL). Returns 0, or -EINVAL with a message in error. */
int embed_workload_build(const char *setup, uint64_t seed,
			 const char *substrate_path,
			 struct embed_workload *workload,
			 struct load_error *error);
void embed_workload_free(struct embed_workload *workload);

/* The figures of one run. Revenue, cost and time averages count each
 * accepted request for the part of its life inside [0, horizon]. */
struct embed_metrics {
	uint32_t arrived, accepted, rejected;
	double acceptance;        /* accepted / arrived */
	double revenue;           /* sum of R over accepted requests */
	double cost;              /* sum of C over accepted requests */
	double long_term_revenue; /* sum R x life / horizon (LAR) */
	double long_term_rc;      /* sum R x life / sum C x life */
	double node_utilization;  /* time average of used / total CPU */
	double link_utilization;  /* time average of used / total bandwidth */
	double ms_mean, ms_p99;   /* algorithm time per request */
	double mean_hops;         /* substrate hops per unit of bandwidth */
	double horizon;
};

/* A point of the time series, taken after each arrival. */
struct embed_sample {
	double time;
	double acceptance;        /* so far */
	double long_term_revenue; /* integral of live revenue / time so far */
};

struct embed_simulation_options {
	bool check;        /* run the independent checker on every event */
	bool progress;     /* progress bar on stderr */
	const char *label; /* shown on the progress bar */
};

struct embed_simulation {
	struct embed_metrics metrics;
	uint32_t sample_count;
	struct embed_sample *samples;
	/* when check: the first violation, else NONE */
	enum embed_violation violation;
	char violation_detail[256];
	/* per request: accepted or not (request_count entries) */
	bool *accepted;
	double *request_cost;
};

/* Runs the online simulation. Events in time order; at one instant every
 * departure happens before any arrival (so resources freed at time t serve
 * a request arriving at t); departures at one instant in request-id order.
 * A request departs at arrival + lifetime. After the last arrival all
 * remaining departures are processed, so full release is checked. Returns
 * 0, or -errno for an algorithm error (not a rejection). */
int embed_simulate(const struct embed_workload *workload,
		   struct embedder *embedder,
		   const struct embed_simulation_options *options,
		   struct embed_simulation *result);
void embed_simulation_free(struct embed_simulation *result);

/* ---- 8. Reports -----------------------------------------------------------
 */
struct embed_report_row {
	const char *setup;
	const char *algorithm;
	uint64_t seed;
	const struct embed_simulation *simulation;
};

/* CSV: a header line, then one line per row (metrics). */
int embed_report_csv(const struct embed_report_row *rows, size_t count,
		     FILE *stream);
/* JSON list of objects {"setup", "algorithm", "seed", "acceptance", "rc",
 * "lar", "ms_mean", "ms_p99", ...}. */
int embed_report_json(const struct embed_report_row *rows, size_t count,
		      FILE *stream);
/* SVG: acceptance ratio and long-term average revenue over time, one line
 * per row, two panels side by side; written by hand as SVG text. */
int embed_report_svg(const struct embed_report_row *rows, size_t count,
		     const char *title, FILE *stream);

#endif
