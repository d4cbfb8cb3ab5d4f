/* What the files of embed/ share; not part of the library's face.
 *
 * struct embed_work is an algorithm's scratch view of the substrate for one
 * request: private copies of the residual CPU, bandwidth and free tag
 * counts (so the links of one request see what its earlier links took),
 * which substrate nodes the request already uses, and the Dijkstra
 * workspace. Owned by one embedder (one thread); loaded from the residual
 * state at the start of every attempt.
 */
#ifndef LOOM_EMBED_INTERNAL_H
#define LOOM_EMBED_INTERNAL_H

#include "embed.h"

/* Fills a load_error (line 0 = the whole file). Returns -1. */
int embed_error(struct load_error *error, const char *file, unsigned line,
		const char *field, const char *format, ...)
	__attribute__((format(printf, 5, 6)));
bool embed_parse_double(const char *text, double *value);
bool embed_parse_unsigned(const char *text, uint64_t maximum, uint64_t *value);
char *embed_read_file(const char *path, size_t *length);

/* Great-circle distance in km between two (longitude, latitude) points. */
double embed_geographic_km(double x1, double y1, double x2, double y2);

/* Placement constraints of virtual node `node` allow substrate node s. */
bool embed_placement_allows(const struct substrate *substrate,
			    const struct embed_virtual_node *node, uint32_t s);

/* How a path search weighs a link. */
enum embed_weight {
	EMBED_WEIGHT_HOPS,     /* 1 per link */
	EMBED_WEIGHT_LATENCY,  /* latency, plus a hair per hop */
	EMBED_WEIGHT_BALANCED, /* 1 + share of the link's residual taken */
};

struct embed_work {
	const struct substrate *substrate;
	uint32_t node_count, link_count;
	embed_amount *cpu;
	embed_amount *bandwidth;
	uint32_t *tags_free;
	uint8_t *node_taken;

	/* Dijkstra (A* when hop_row is set: hop distances to a target over a
	 * superset of the usable links, 255 = unreachable) */
	const uint8_t *(*hop_row)(void *context, uint32_t target);
	void *hop_context;
	double *distance;
	double *key; /* distance + estimate: the heap order */
	double *latency;
	uint32_t *predecessor; /* link by which a node was reached */
	uint32_t *stamp;       /* == generation: labelled in this search */
	uint32_t *done;        /* == generation: settled */
	uint32_t generation;
	uint32_t *heap;
	uint32_t *heap_position;
	uint32_t heap_size;

	/* result of the last path or tree search */
	uint32_t *path;
	uint32_t path_length;
	double path_latency;

	/* trees */
	uint32_t *tree_nodes;
	uint8_t *target_mark;
	uint32_t *tree_links;

	/* per-request buffers */
	uint32_t *order;
	uint32_t order_capacity;
};

int embed_work_init(struct embed_work *work, const struct substrate *substrate);
void embed_work_free(struct embed_work *work);
/* Copies the residual state; clears node_taken. */
void embed_work_load(struct embed_work *work,
		     const struct embed_residual *residual);
/* Ensures order[] holds n entries. Returns 0 or -ENOMEM. */
int embed_work_order(struct embed_work *work, uint32_t n);

/* Virtual node v of request fits on substrate node s now. */
bool embed_work_node_fits(const struct embed_work *work,
			  const struct embed_request *request, uint32_t v,
			  uint32_t s);

/* A link can carry `bandwidth` more (and has a free tag). */
static inline bool embed_work_link_usable(const struct embed_work *work,
					  uint32_t link, embed_amount bandwidth)
{
	return work->bandwidth[link] >= bandwidth && work->tags_free[link] > 0;
}

/* Cheapest usable path from source to target for `bandwidth`, within
 * max_latency (0 = none): into work->path. With a latency bound, a path
 * found by the weight that breaks it is retried by latency. Returns 0 or
 * -ENOSPC. source == target gives the empty path. */
int embed_work_path(struct embed_work *work, uint32_t source, uint32_t target,
		    embed_amount bandwidth, double max_latency,
		    enum embed_weight weight);
/* A loop-free tree of usable links joining terminals (hosts, distinct):
 * grown from the first by the cheapest path from the tree to the nearest
 * terminal not yet joined. Its links into work->path. Latency between every
 * two terminals through the tree within max_latency. Returns 0 or -ENOSPC. */
int embed_work_tree(struct embed_work *work, const uint32_t *terminals,
		    uint32_t count, embed_amount bandwidth, double max_latency,
		    enum embed_weight weight);
/* Subtracts bandwidth and one tag per link. */
void embed_work_take(struct embed_work *work, const uint32_t *links,
		     uint32_t count, embed_amount bandwidth);

/* Given mapping->nodes, maps every virtual link by a cheapest usable path
 * (LANs by trees), largest bandwidth first (ties by index), appending
 * flows; takes resources from work as it goes. Returns 0, -ENOSPC, or
 * -ENOMEM. */
int embed_map_links(struct embed_work *work,
		    const struct embed_request *request,
		    struct embed_mapping *mapping, enum embed_weight weight);

/* Maps virtual nodes in `order` (node_count entries) each onto the feasible
 * substrate node of highest score (ties: lower index), marking it taken and
 * taking its CPU in work. Returns 0 or -ENOSPC. */
int embed_map_nodes_ranked(struct embed_work *work,
			   const struct embed_request *request,
			   const uint32_t *order, const double *score,
			   struct embed_mapping *mapping);

/* Sorts indices by key descending, ties by index ascending (stable,
 * deterministic). */
void embed_sort_descending(uint32_t *indices, uint32_t count,
			   const double *key);

/* Yu 2008's node stage (rank.c), shared with mcf: H = residual CPU x
 * residual adjacent bandwidth; nodes by CPU, largest first. */
void embed_rank_greedy(const struct embed_work *work, double *score);
int embed_greedy_nodes(struct embedder *embedder,
		       const struct embed_request *request,
		       struct embed_mapping *mapping);

/* Algorithm entry points (one file each, or grouped). */
struct embedder;
int embed_greedy_ksp(struct embedder *embedder,
		     const struct embed_residual *residual,
		     const struct embed_request *request,
		     struct embed_mapping *mapping);
int embed_grc(struct embedder *embedder, const struct embed_residual *residual,
	      const struct embed_request *request,
	      struct embed_mapping *mapping);
int embed_noderank(struct embedder *embedder,
		   const struct embed_residual *residual,
		   const struct embed_request *request,
		   struct embed_mapping *mapping);
int embed_loom(struct embedder *embedder,
	       const struct embed_residual *residual,
	       const struct embed_request *request,
	       struct embed_mapping *mapping);
int embed_mcf(struct embedder *embedder, const struct embed_residual *residual,
	      const struct embed_request *request,
	      struct embed_mapping *mapping);
int embed_dvine(struct embedder *embedder,
		const struct embed_residual *residual,
		const struct embed_request *request,
		struct embed_mapping *mapping);
int embed_mip(struct embedder *embedder, const struct embed_residual *residual,
	      const struct embed_request *request,
	      struct embed_mapping *mapping);

struct embed_loom_state; /* loom.c */

/* The embedder: one algorithm on one substrate, for one thread. */
struct embedder {
	enum embed_algorithm algorithm;
	struct embed_options options;
	const struct substrate *substrate;
	struct embed_work work;
	struct substrate_search *search; /* topo's, for Yen */
	struct substrate_path *paths;    /* ksp results */
	double *node_score;              /* per substrate node */
	double *virtual_score;           /* per virtual node, grown */
	uint32_t virtual_capacity;
	uint8_t *hop_distance; /* all-pairs static hops (loom), or NULL */
	struct embed_loom_state *loom;
};

/* Loads the static all-pairs hop matrix (255 = unreachable or >= 255). */
int embed_hop_matrix(struct embedder *embedder);

#endif
