/* Graph algorithms over a finalized substrate: Dijkstra (with an optional
 * A* heuristic), Yen's k shortest loopless paths, BFS. See topo.h.
 *
 * Everything a query touches lives in struct substrate_search, sized once
 * for the substrate: two label sets (per-node arrays stamped with a
 * generation, so starting a query is O(1)), an indexed binary heap, block
 * marks for Yen's spur searches and a pool for path storage that grows on
 * demand and then stays.
 *
 * Yen's spur searches are the expensive part (up to k * hops Dijkstra runs
 * per query). Each query first computes, once, the distance from every node
 * to the target in the filtered graph without blocks; blocking only removes
 * links, so that distance is an admissible and consistent A* heuristic for
 * every spur search, which then explores little more than the path it
 * finds. The same tree prunes nodes that cannot reach the target at all,
 * and, when the metric is latency (or hops), nodes that cannot reach it
 * within max_latency (max_hops).
 */
#include "topo.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const path_metric_names[] = {
#define _(name, text) [PATH_METRIC_##name] = text,
	foreach_path_metric
#undef _
};

const char *path_metric_name(enum path_metric metric)
{
	if ((unsigned)metric >= PATH_METRIC_COUNT)
		return "?";
	return path_metric_names[metric];
}

#define HEAP_SETTLED (UINT32_MAX - 1)

/* Tentative labels of one search. A node's entries are meaningful only when
 * mark[node] == generation. */
struct labels {
	double *distance;
	double *latency;
	uint32_t *hops;
	uint32_t *predecessor;   /* link by which the node was reached */
	uint32_t *heap_position; /* index in the heap, or HEAP_SETTLED */
	uint32_t *mark;
	uint32_t generation;
};

struct heap_entry {
	double key;
	uint32_t node;
};

/* A path kept in the pool: hop_count + 1 node indices at `offset`, then
 * hop_count link indices. */
struct stored_path {
	size_t offset;
	uint32_t hop_count;
	uint32_t deviation; /* index of the spur node it was found from */
	double cost;
	double latency;
	double bottleneck;
};

struct substrate_search {
	const struct substrate *substrate;
	struct labels labels;   /* the search under way */
	struct labels to_target; /* Yen: distances to the target */
	struct heap_entry *heap;
	uint32_t heap_size;
	uint32_t *queue; /* BFS */

	/* Yen: links and nodes removed from a spur search. */
	uint32_t *blocked_link;
	uint32_t *blocked_node;
	uint32_t block_generation;

	uint32_t *pool;
	size_t pool_used, pool_capacity;
	struct stored_path *candidates;
	uint32_t candidate_count, candidate_capacity;
	struct stored_path *accepted;
	uint32_t accepted_capacity;
};

static const struct path_constraints no_constraints;

/* ---- Workspace ---------------------------------------------------------- */

static int labels_init(struct labels *labels, uint32_t nodes)
{
	size_t n = nodes ? nodes : 1;
	labels->distance = malloc(n * sizeof(double));
	labels->latency = malloc(n * sizeof(double));
	labels->hops = malloc(n * sizeof(uint32_t));
	labels->predecessor = malloc(n * sizeof(uint32_t));
	labels->heap_position = malloc(n * sizeof(uint32_t));
	labels->mark = calloc(n, sizeof(uint32_t));
	labels->generation = 0;
	if (!labels->distance || !labels->latency || !labels->hops ||
	    !labels->predecessor || !labels->heap_position || !labels->mark)
		return -ENOMEM;
	return 0;
}

static void labels_free(struct labels *labels)
{
	free(labels->distance);
	free(labels->latency);
	free(labels->hops);
	free(labels->predecessor);
	free(labels->heap_position);
	free(labels->mark);
}

/* Forgets every label in O(1) (O(nodes) once per 2^32 queries). */
static void labels_reset(struct labels *labels, uint32_t nodes)
{
	if (++labels->generation == 0) {
		memset(labels->mark, 0, (size_t)nodes * sizeof(uint32_t));
		labels->generation = 1;
	}
}

static inline bool labelled(const struct labels *labels, uint32_t node)
{
	return labels->mark[node] == labels->generation;
}

struct substrate_search *substrate_search_create(
	const struct substrate *substrate)
{
	if (!substrate || !substrate->finalized)
		return NULL;
	struct substrate_search *search = calloc(1, sizeof(*search));
	if (!search)
		return NULL;
	search->substrate = substrate;
	size_t nodes = substrate->node_count ? substrate->node_count : 1;
	size_t links = substrate->link_count ? substrate->link_count : 1;
	int rc = labels_init(&search->labels, substrate->node_count);
	rc |= labels_init(&search->to_target, substrate->node_count);
	search->heap = malloc(nodes * sizeof(*search->heap));
	search->queue = malloc(nodes * sizeof(*search->queue));
	search->blocked_link = calloc(links, sizeof(uint32_t));
	search->blocked_node = calloc(nodes, sizeof(uint32_t));
	search->pool_capacity = 4 * (nodes + 1);
	search->pool = malloc(search->pool_capacity * sizeof(uint32_t));
	if (rc || !search->heap || !search->queue || !search->blocked_link ||
	    !search->blocked_node || !search->pool) {
		substrate_search_free(search);
		return NULL;
	}
	return search;
}

void substrate_search_free(struct substrate_search *search)
{
	if (!search)
		return;
	labels_free(&search->labels);
	labels_free(&search->to_target);
	free(search->heap);
	free(search->queue);
	free(search->blocked_link);
	free(search->blocked_node);
	free(search->pool);
	free(search->candidates);
	free(search->accepted);
	free(search);
}

/* ---- Indexed binary heap ------------------------------------------------ */

static inline bool heap_less(const struct heap_entry *a,
			     const struct heap_entry *b)
{
	return a->key < b->key || (a->key == b->key && a->node < b->node);
}

static void heap_place(struct substrate_search *search, struct labels *labels,
		       uint32_t at, struct heap_entry entry)
{
	search->heap[at] = entry;
	labels->heap_position[entry.node] = at;
}

static void heap_sift_up(struct substrate_search *search,
			 struct labels *labels, uint32_t at)
{
	struct heap_entry entry = search->heap[at];
	while (at > 0) {
		uint32_t parent = (at - 1) / 2;
		if (!heap_less(&entry, &search->heap[parent]))
			break;
		heap_place(search, labels, at, search->heap[parent]);
		at = parent;
	}
	heap_place(search, labels, at, entry);
}

static void heap_sift_down(struct substrate_search *search,
			   struct labels *labels, uint32_t at)
{
	struct heap_entry entry = search->heap[at];
	uint32_t size = search->heap_size;
	for (;;) {
		uint32_t child = 2 * at + 1;
		if (child >= size)
			break;
		if (child + 1 < size &&
		    heap_less(&search->heap[child + 1], &search->heap[child]))
			child++;
		if (!heap_less(&search->heap[child], &entry))
			break;
		heap_place(search, labels, at, search->heap[child]);
		at = child;
	}
	heap_place(search, labels, at, entry);
}

/* Inserts node or lowers its key. */
static void heap_update(struct substrate_search *search, struct labels *labels,
			uint32_t node, double key, bool present)
{
	if (!present) {
		uint32_t at = search->heap_size++;
		search->heap[at] = (struct heap_entry){ key, node };
		labels->heap_position[node] = at;
	} else {
		search->heap[labels->heap_position[node]].key = key;
	}
	heap_sift_up(search, labels, labels->heap_position[node]);
}

static uint32_t heap_pop(struct substrate_search *search,
			 struct labels *labels)
{
	uint32_t node = search->heap[0].node;
	labels->heap_position[node] = HEAP_SETTLED;
	if (--search->heap_size > 0) {
		heap_place(search, labels, 0, search->heap[search->heap_size]);
		heap_sift_down(search, labels, 0);
	}
	return node;
}

/* ---- Dijkstra / A* ------------------------------------------------------- */

static inline double link_available(const struct substrate *substrate,
				    const struct path_constraints *constraints,
				    uint32_t link)
{
	return constraints->residual ? constraints->residual[link]
				     : substrate->links[link].bandwidth;
}

static inline double link_cost(const struct substrate *substrate,
			       const struct path_constraints *constraints,
			       uint32_t link)
{
	switch (constraints->metric) {
	case PATH_METRIC_LATENCY:
		return substrate->links[link].latency;
	case PATH_METRIC_WEIGHTS:
		return constraints->link_cost[link];
	default:
		return 1.0;
	}
}

/* The same three, from an arc: what the hot loops use. */
static inline bool arc_usable(const struct path_constraints *constraints,
			      const struct substrate_arc *arc)
{
	double available = constraints->residual
				   ? constraints->residual[arc->link]
				   : arc->bandwidth;
	if (available < constraints->min_bandwidth)
		return false;
	return !constraints->link_allowed ||
	       constraints->link_allowed(arc->link, constraints->context);
}

static inline double arc_cost(const struct path_constraints *constraints,
			      const struct substrate_arc *arc)
{
	switch (constraints->metric) {
	case PATH_METRIC_LATENCY:
		return arc->latency;
	case PATH_METRIC_WEIGHTS:
		return constraints->link_cost[arc->link];
	default:
		return 1.0;
	}
}

/* One search. `heuristic`, when not NULL, is a label set of exact
 * distances to `target` in a supergraph (Yen's unblocked tree): used as A*
 * estimate and to drop nodes that cannot reach the target (within the
 * bounds). Blocks apply when `blocked` is true. The search starts with
 * start_latency and start_hops already spent (Yen's root path). Stops when
 * target (if not SUBSTRATE_NONE) is settled. */
struct search_query {
	uint32_t source;
	uint32_t target;
	const struct labels *heuristic;
	bool blocked;
	double start_latency;
	uint32_t start_hops;
};

static inline bool over_bounds(const struct path_constraints *constraints,
			       double latency, uint32_t hops)
{
	if (constraints->max_latency > 0 && latency > constraints->max_latency)
		return true;
	return constraints->max_hops && hops > constraints->max_hops;
}

static bool search_run(struct substrate_search *search, struct labels *labels,
		       const struct path_constraints *constraints,
		       const struct search_query *query)
{
	const struct substrate *substrate = search->substrate;
	const uint32_t *arc_start = substrate->arc_start;
	const struct substrate_arc *arcs = substrate->arcs;
	const struct labels *h = query->heuristic;
	bool latency_bound_by_h = h && constraints->metric == PATH_METRIC_LATENCY &&
				  constraints->max_latency > 0;
	bool hop_bound_by_h = h && constraints->metric == PATH_METRIC_HOPS &&
			      constraints->max_hops;

	labels_reset(labels, substrate->node_count);
	search->heap_size = 0;
	uint32_t source = query->source;
	labels->mark[source] = labels->generation;
	labels->distance[source] = 0;
	labels->latency[source] = query->start_latency;
	labels->hops[source] = query->start_hops;
	labels->predecessor[source] = SUBSTRATE_NONE;
	heap_update(search, labels, source, h ? h->distance[source] : 0, false);

	while (search->heap_size) {
		uint32_t node = heap_pop(search, labels);
		if (node == query->target)
			return true;
		double distance = labels->distance[node];
		double latency = labels->latency[node];
		uint32_t hops = labels->hops[node] + 1;
		for (uint32_t a = arc_start[node]; a < arc_start[node + 1]; a++) {
			const struct substrate_arc *arc = &arcs[a];
			uint32_t link = arc->link;
			uint32_t next = arc->neighbour;
			bool seen = labelled(labels, next);
			if (seen && labels->heap_position[next] == HEAP_SETTLED)
				continue;
			if (query->blocked &&
			    (search->blocked_link[link] == search->block_generation ||
			     search->blocked_node[next] == search->block_generation))
				continue;
			if (h && !labelled(h, next))
				continue; /* cannot reach the target */
			double next_distance =
				distance + arc_cost(constraints, arc);
			if (seen && next_distance >= labels->distance[next])
				continue;
			double next_latency = latency + arc->latency;
			if (over_bounds(constraints, next_latency, hops))
				continue;
			if (latency_bound_by_h &&
			    next_latency + h->distance[next] >
				    constraints->max_latency)
				continue;
			if (hop_bound_by_h &&
			    hops + h->distance[next] > constraints->max_hops)
				continue;
			if (!arc_usable(constraints, arc))
				continue;
			labels->mark[next] = labels->generation;
			labels->distance[next] = next_distance;
			labels->latency[next] = next_latency;
			labels->hops[next] = hops;
			labels->predecessor[next] = link;
			heap_update(search, labels, next,
				    next_distance + (h ? h->distance[next] : 0),
				    seen);
		}
	}
	return query->target == SUBSTRATE_NONE;
}

/* ---- Path storage ----------------------------------------------------------- */

static int pool_reserve(struct substrate_search *search, size_t count)
{
	if (search->pool_used + count <= search->pool_capacity)
		return 0;
	size_t capacity = search->pool_capacity * 2;
	while (capacity < search->pool_used + count)
		capacity *= 2;
	uint32_t *pool = realloc(search->pool, capacity * sizeof(uint32_t));
	if (!pool)
		return -ENOMEM;
	search->pool = pool;
	search->pool_capacity = capacity;
	return 0;
}

static inline uint32_t *stored_nodes(const struct substrate_search *search,
				     const struct stored_path *path)
{
	return search->pool + path->offset;
}

static inline uint32_t *stored_links(const struct substrate_search *search,
				     const struct stored_path *path)
{
	return search->pool + path->offset + path->hop_count + 1;
}

/* Cost, latency and bottleneck summed from the source, link by link, so
 * equal paths always get bit-identical costs. */
static void stored_measure(const struct substrate_search *search,
			   const struct path_constraints *constraints,
			   struct stored_path *path)
{
	const uint32_t *links = stored_links(search, path);
	path->cost = 0;
	path->latency = 0;
	path->bottleneck = INFINITY;
	for (uint32_t i = 0; i < path->hop_count; i++) {
		path->cost += link_cost(search->substrate, constraints, links[i]);
		path->latency += search->substrate->links[links[i]].latency;
		double available = link_available(search->substrate,
						  constraints, links[i]);
		if (available < path->bottleneck)
			path->bottleneck = available;
	}
}

/* Stores root (the first root_hops hops of `prefix`, may be NULL when 0)
 * followed by the path the last search found from its source to target. */
static int store_path(struct substrate_search *search,
		      const struct stored_path *prefix, uint32_t root_hops,
		      uint32_t target, struct stored_path *out)
{
	const struct labels *labels = &search->labels;
	uint32_t spur_hops = 0;
	for (uint32_t n = target; labels->predecessor[n] != SUBSTRATE_NONE;
	     n = substrate_link_other(&search->substrate->links[labels->predecessor[n]], n))
		spur_hops++;
	uint32_t hops = root_hops + spur_hops;
	if (pool_reserve(search, 2 * (size_t)hops + 1))
		return -ENOMEM;
	out->offset = search->pool_used;
	out->hop_count = hops;
	search->pool_used += 2 * (size_t)hops + 1;
	uint32_t *nodes = stored_nodes(search, out);
	uint32_t *links = stored_links(search, out);
	if (root_hops) {
		memcpy(nodes, stored_nodes(search, prefix),
		       root_hops * sizeof(uint32_t));
		memcpy(links, stored_links(search, prefix),
		       root_hops * sizeof(uint32_t));
	}
	uint32_t at = hops;
	nodes[at] = target;
	for (uint32_t n = target; labels->predecessor[n] != SUBSTRATE_NONE;) {
		uint32_t link = labels->predecessor[n];
		n = substrate_link_other(&search->substrate->links[link], n);
		links[--at] = link;
		nodes[at] = n;
	}
	return 0;
}

static void stored_to_path(const struct substrate_search *search,
			   const struct stored_path *stored,
			   struct substrate_path *path)
{
	path->hop_count = stored->hop_count;
	path->cost = stored->cost;
	path->latency = stored->latency;
	path->bottleneck = stored->bottleneck;
	path->nodes = stored_nodes(search, stored);
	path->links = stored_links(search, stored);
}

static bool arguments_valid(const struct substrate_search *search,
			    uint32_t source, uint32_t target,
			    const struct path_constraints *constraints)
{
	if (!search || source >= search->substrate->node_count ||
	    (target != SUBSTRATE_NONE &&
	     target >= search->substrate->node_count))
		return false;
	if ((unsigned)constraints->metric >= PATH_METRIC_COUNT)
		return false;
	return constraints->metric != PATH_METRIC_WEIGHTS ||
	       constraints->link_cost;
}

int substrate_shortest_path(struct substrate_search *search, uint32_t source,
			    uint32_t target,
			    const struct path_constraints *constraints,
			    struct substrate_path *path)
{
	if (!constraints)
		constraints = &no_constraints;
	if (target == SUBSTRATE_NONE ||
	    !arguments_valid(search, source, target, constraints))
		return -EINVAL;
	struct search_query query = { .source = source, .target = target };
	if (!search_run(search, &search->labels, constraints, &query))
		return -ENOENT;
	search->pool_used = 0;
	struct stored_path stored;
	if (store_path(search, NULL, 0, target, &stored))
		return -ENOMEM;
	stored_measure(search, constraints, &stored);
	stored_to_path(search, &stored, path);
	return 0;
}

int substrate_shortest_path_tree(struct substrate_search *search,
				 uint32_t source,
				 const struct path_constraints *constraints,
				 double *distance, uint32_t *predecessor)
{
	if (!constraints)
		constraints = &no_constraints;
	if (!arguments_valid(search, source, SUBSTRATE_NONE, constraints) ||
	    !distance)
		return -EINVAL;
	struct search_query query = { .source = source,
				      .target = SUBSTRATE_NONE };
	search_run(search, &search->labels, constraints, &query);
	int reached = 0;
	const struct labels *labels = &search->labels;
	for (uint32_t n = 0; n < search->substrate->node_count; n++) {
		bool found = labelled(labels, n);
		reached += found;
		distance[n] = found ? labels->distance[n] : INFINITY;
		if (predecessor)
			predecessor[n] = found ? labels->predecessor[n]
					       : SUBSTRATE_NONE;
	}
	return reached;
}

int substrate_hop_distances(struct substrate_search *search, uint32_t source,
			    const struct path_constraints *constraints,
			    uint32_t *distance)
{
	if (!constraints)
		constraints = &no_constraints;
	if (!search || source >= search->substrate->node_count || !distance)
		return -EINVAL;
	const struct substrate *substrate = search->substrate;
	for (uint32_t n = 0; n < substrate->node_count; n++)
		distance[n] = UINT32_MAX;
	uint32_t head = 0, tail = 0;
	distance[source] = 0;
	search->queue[tail++] = source;
	while (head < tail) {
		uint32_t node = search->queue[head++];
		uint32_t hops = distance[node] + 1;
		if (constraints->max_hops && hops > constraints->max_hops)
			continue;
		for (uint32_t a = substrate->arc_start[node];
		     a < substrate->arc_start[node + 1]; a++) {
			uint32_t next = substrate->arcs[a].neighbour;
			if (distance[next] != UINT32_MAX ||
			    !arc_usable(constraints, &substrate->arcs[a]))
				continue;
			distance[next] = hops;
			search->queue[tail++] = next;
		}
	}
	return (int)tail;
}

/* ---- Yen's k shortest loopless paths ------------------------------------- */

/* Order of candidates: cost, then hops, then link indices. */
static int stored_compare(const struct substrate_search *search,
			  const struct stored_path *a,
			  const struct stored_path *b)
{
	if (a->cost != b->cost)
		return a->cost < b->cost ? -1 : 1;
	if (a->hop_count != b->hop_count)
		return a->hop_count < b->hop_count ? -1 : 1;
	const uint32_t *la = stored_links(search, a);
	const uint32_t *lb = stored_links(search, b);
	for (uint32_t i = 0; i < a->hop_count; i++)
		if (la[i] != lb[i])
			return la[i] < lb[i] ? -1 : 1;
	return 0;
}

static bool stored_known(const struct substrate_search *search,
			 const struct stored_path *path, uint32_t accepted)
{
	for (uint32_t i = 0; i < search->candidate_count; i++)
		if (stored_compare(search, &search->candidates[i], path) == 0)
			return true;
	for (uint32_t i = 0; i < accepted; i++)
		if (stored_compare(search, &search->accepted[i], path) == 0)
			return true;
	return false;
}

static void block_reset(struct substrate_search *search)
{
	if (++search->block_generation == 0) {
		const struct substrate *substrate = search->substrate;
		memset(search->blocked_link, 0,
		       (size_t)substrate->link_count * sizeof(uint32_t));
		memset(search->blocked_node, 0,
		       (size_t)substrate->node_count * sizeof(uint32_t));
		search->block_generation = 1;
	}
}

static int candidate_add(struct substrate_search *search,
			 const struct stored_path *path)
{
	if (search->candidate_count == search->candidate_capacity) {
		uint32_t capacity = search->candidate_capacity
					    ? 2 * search->candidate_capacity
					    : 32;
		struct stored_path *bigger = realloc(
			search->candidates, capacity * sizeof(*bigger));
		if (!bigger)
			return -ENOMEM;
		search->candidates = bigger;
		search->candidate_capacity = capacity;
	}
	search->candidates[search->candidate_count++] = *path;
	return 0;
}

/* Spur searches from accepted[last] at every node from its deviation
 * point on (Lawler's refinement: earlier spur nodes were already spurred
 * from the path it deviated from). */
static int yen_spur(struct substrate_search *search,
		    const struct path_constraints *constraints, uint32_t target,
		    uint32_t accepted)
{
	const struct substrate *substrate = search->substrate;
	const struct stored_path *last = &search->accepted[accepted - 1];
	for (uint32_t j = last->deviation; j < last->hop_count; j++) {
		/* `last` may move when the pool grows: re-read through it. */
		const uint32_t *root_nodes = stored_nodes(search, last);
		const uint32_t *root_links = stored_links(search, last);
		block_reset(search);
		double root_latency = 0;
		for (uint32_t i = 0; i < j; i++) {
			search->blocked_node[root_nodes[i]] =
				search->block_generation;
			root_latency += substrate->links[root_links[i]].latency;
		}
		/* Block the next link of every accepted path sharing the root. */
		for (uint32_t p = 0; p < accepted; p++) {
			const struct stored_path *other = &search->accepted[p];
			if (other->hop_count <= j ||
			    memcmp(stored_links(search, other), root_links,
				   j * sizeof(uint32_t)) != 0)
				continue;
			search->blocked_link[stored_links(search, other)[j]] =
				search->block_generation;
		}
		struct search_query query = {
			.source = root_nodes[j],
			.target = target,
			.heuristic = &search->to_target,
			.blocked = true,
			.start_latency = root_latency,
			.start_hops = j,
		};
		if (!search_run(search, &search->labels, constraints, &query))
			continue;
		struct stored_path candidate = { .deviation = j };
		if (store_path(search, last, j, target, &candidate))
			return -ENOMEM;
		stored_measure(search, constraints, &candidate);
		if (stored_known(search, &candidate, accepted)) {
			search->pool_used -= 2 * (size_t)candidate.hop_count + 1;
			continue;
		}
		if (candidate_add(search, &candidate))
			return -ENOMEM;
	}
	return 0;
}

int substrate_k_shortest_paths(struct substrate_search *search,
			       uint32_t source, uint32_t target, unsigned k,
			       const struct path_constraints *constraints,
			       struct substrate_path *paths)
{
	if (!constraints)
		constraints = &no_constraints;
	if (target == SUBSTRATE_NONE ||
	    !arguments_valid(search, source, target, constraints) ||
	    (k && !paths))
		return -EINVAL;
	if (k == 0)
		return 0;
	if (k > search->accepted_capacity) {
		struct stored_path *bigger =
			realloc(search->accepted, k * sizeof(*bigger));
		if (!bigger)
			return -ENOMEM;
		search->accepted = bigger;
		search->accepted_capacity = k;
	}
	search->pool_used = 0;
	search->candidate_count = 0;

	/* Distances to the target, filters on, bounds and blocks off: a lower
	 * bound for every spur search. */
	struct path_constraints unbounded = *constraints;
	unbounded.max_latency = 0;
	unbounded.max_hops = 0;
	struct search_query tree = { .source = target,
				     .target = SUBSTRATE_NONE };
	search_run(search, &search->to_target, &unbounded, &tree);
	if (!labelled(&search->to_target, source))
		return 0;

	struct search_query first = {
		.source = source,
		.target = target,
		.heuristic = &search->to_target,
	};
	if (!search_run(search, &search->labels, constraints, &first))
		return 0;
	if (store_path(search, NULL, 0, target, &search->accepted[0]))
		return -ENOMEM;
	search->accepted[0].deviation = 0;
	stored_measure(search, constraints, &search->accepted[0]);

	uint32_t accepted = 1;
	while (accepted < k) {
		if (yen_spur(search, constraints, target, accepted))
			return -ENOMEM;
		if (search->candidate_count == 0)
			break;
		uint32_t best = 0;
		for (uint32_t i = 1; i < search->candidate_count; i++)
			if (stored_compare(search, &search->candidates[i],
					   &search->candidates[best]) < 0)
				best = i;
		search->accepted[accepted++] = search->candidates[best];
		search->candidates[best] =
			search->candidates[--search->candidate_count];
	}
	for (uint32_t i = 0; i < accepted; i++)
		stored_to_path(search, &search->accepted[i], &paths[i]);
	return (int)accepted;
}

struct substrate_path *substrate_path_copy(const struct substrate_path *path)
{
	size_t hops = path->hop_count;
	struct substrate_path *copy =
		malloc(sizeof(*copy) + (2 * hops + 1) * sizeof(uint32_t));
	if (!copy)
		return NULL;
	*copy = *path;
	copy->nodes = (uint32_t *)(copy + 1);
	copy->links = copy->nodes + hops + 1;
	memcpy(copy->nodes, path->nodes, (hops + 1) * sizeof(uint32_t));
	if (hops)
		memcpy(copy->links, path->links, hops * sizeof(uint32_t));
	return copy;
}

void substrate_path_free(struct substrate_path *path)
{
	free(path);
}
