/* The algorithms' scratch view of the substrate: residual copies, placement
 * tests, residual-aware path and tree searches, and the link mapper they
 * share. topo's Dijkstra takes a per-link callback and double residuals;
 * the searches here read the integer residuals directly and also grow LAN
 * trees, which topo does not do. */
#include "embed_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int embed_work_init(struct embed_work *work, const struct substrate *substrate)
{
	memset(work, 0, sizeof(*work));
	uint32_t n = substrate->node_count + 1, m = substrate->link_count + 1;
	work->substrate = substrate;
	work->node_count = substrate->node_count;
	work->link_count = substrate->link_count;
	work->cpu = calloc(n, sizeof(*work->cpu));
	work->bandwidth = calloc(m, sizeof(*work->bandwidth));
	work->tags_free = calloc(m, sizeof(*work->tags_free));
	work->node_taken = calloc(n, 1);
	work->distance = calloc(n, sizeof(double));
	work->key = calloc(n, sizeof(double));
	work->latency = calloc(n, sizeof(double));
	work->predecessor = calloc(n, sizeof(uint32_t));
	work->stamp = calloc(n, sizeof(uint32_t));
	work->done = calloc(n, sizeof(uint32_t));
	work->heap = calloc(n, sizeof(uint32_t));
	work->heap_position = calloc(n, sizeof(uint32_t));
	work->path = calloc(n, sizeof(uint32_t));
	work->tree_nodes = calloc(n, sizeof(uint32_t));
	work->target_mark = calloc(n, 1);
	work->tree_links = calloc(n, sizeof(uint32_t));
	if (!work->cpu || !work->bandwidth || !work->tags_free ||
	    !work->node_taken || !work->distance || !work->key ||
	    !work->latency ||
	    !work->predecessor || !work->stamp || !work->done || !work->heap ||
	    !work->heap_position || !work->path || !work->tree_nodes || !work->target_mark ||
	    !work->tree_links) {
		embed_work_free(work);
		return -ENOMEM;
	}
	return 0;
}

void embed_work_free(struct embed_work *work)
{
	free(work->cpu);
	free(work->bandwidth);
	free(work->tags_free);
	free(work->node_taken);
	free(work->distance);
	free(work->key);
	free(work->latency);
	free(work->predecessor);
	free(work->stamp);
	free(work->done);
	free(work->heap);
	free(work->heap_position);
	free(work->path);
	free(work->tree_nodes);
	free(work->target_mark);
	free(work->tree_links);
	free(work->order);
	memset(work, 0, sizeof(*work));
}

void embed_work_load(struct embed_work *work,
		     const struct embed_residual *residual)
{
	memcpy(work->cpu, residual->cpu, work->node_count * sizeof(*work->cpu));
	memcpy(work->bandwidth, residual->bandwidth,
	       work->link_count * sizeof(*work->bandwidth));
	memcpy(work->tags_free, residual->tags_free,
	       work->link_count * sizeof(*work->tags_free));
	memset(work->node_taken, 0, work->node_count);
}

int embed_work_order(struct embed_work *work, uint32_t n)
{
	if (n <= work->order_capacity)
		return 0;
	uint32_t *order = realloc(work->order, n * sizeof(*order));
	if (!order)
		return -ENOMEM;
	work->order = order;
	work->order_capacity = n;
	return 0;
}

double embed_geographic_km(double x1, double y1, double x2, double y2)
{
	const double radians = M_PI / 180, earth_km = 6371.0;
	double dlat = (y2 - y1) * radians, dlon = (x2 - x1) * radians;
	double a = sin(dlat / 2) * sin(dlat / 2) +
		   cos(y1 * radians) * cos(y2 * radians) * sin(dlon / 2) *
			   sin(dlon / 2);
	return 2 * earth_km * asin(fmin(1.0, sqrt(a)));
}

bool embed_placement_allows(const struct substrate *substrate,
			    const struct embed_virtual_node *node, uint32_t s)
{
	const struct substrate_node *host = &substrate->nodes[s];
	if (node->allowed_count) {
		bool found = false;
		for (uint32_t i = 0; i < node->allowed_count && !found; i++)
			found = node->allowed[i] == s;
		if (!found)
			return false;
	}
	if (node->site[0] && strcmp(node->site, host->site) != 0)
		return false;
	if (node->has_position) {
		double distance;
		if (host->position_kind == SUBSTRATE_POSITION_PLANE)
			distance = hypot(host->x - node->x, host->y - node->y);
		else if (host->position_kind == SUBSTRATE_POSITION_GEOGRAPHIC)
			distance = embed_geographic_km(node->x, node->y, host->x,
						       host->y);
		else
			return false;
		if (distance > node->max_distance)
			return false;
	}
	return true;
}

bool embed_work_node_fits(const struct embed_work *work,
			  const struct embed_request *request, uint32_t v,
			  uint32_t s)
{
	const struct embed_virtual_node *node = &request->nodes[v];
	return !work->node_taken[s] && work->cpu[s] >= node->cpu &&
	       embed_placement_allows(work->substrate, node, s);
}

/* ---- Dijkstra ---------------------------------------------------------------
 * Binary heap over nodes keyed by distance, ties by node index so every
 * search is deterministic. */

static inline bool heap_less(const struct embed_work *work, uint32_t a,
			     uint32_t b)
{
	if (work->key[a] != work->key[b])
		return work->key[a] < work->key[b];
	return a < b;
}

static void heap_up(struct embed_work *work, uint32_t i)
{
	uint32_t node = work->heap[i];
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (!heap_less(work, node, work->heap[parent]))
			break;
		work->heap[i] = work->heap[parent];
		work->heap_position[work->heap[i]] = i;
		i = parent;
	}
	work->heap[i] = node;
	work->heap_position[node] = i;
}

static void heap_down(struct embed_work *work, uint32_t i)
{
	uint32_t node = work->heap[i];
	for (;;) {
		uint32_t child = 2 * i + 1;
		if (child >= work->heap_size)
			break;
		if (child + 1 < work->heap_size &&
		    heap_less(work, work->heap[child + 1], work->heap[child]))
			child++;
		if (!heap_less(work, work->heap[child], node))
			break;
		work->heap[i] = work->heap[child];
		work->heap_position[work->heap[i]] = i;
		i = child;
	}
	work->heap[i] = node;
	work->heap_position[node] = i;
}

static void next_generation(struct embed_work *work)
{
	if (++work->generation == 0) {
		memset(work->stamp, 0, work->node_count * sizeof(uint32_t));
		memset(work->done, 0, work->node_count * sizeof(uint32_t));
		work->generation = 1;
	}
	work->heap_size = 0;
}

static void label(struct embed_work *work, uint32_t node, double distance,
		  double latency, uint32_t link, double estimate)
{
	bool known = work->stamp[node] == work->generation;
	work->stamp[node] = work->generation;
	work->distance[node] = distance;
	work->key[node] = distance + estimate;
	work->latency[node] = latency;
	work->predecessor[node] = link;
	if (!known) {
		work->heap[work->heap_size] = node;
		work->heap_position[node] = work->heap_size;
		heap_up(work, work->heap_size++);
	} else {
		heap_up(work, work->heap_position[node]);
	}
}

static uint32_t heap_pop(struct embed_work *work)
{
	uint32_t top = work->heap[0];
	work->heap[0] = work->heap[--work->heap_size];
	if (work->heap_size) {
		work->heap_position[work->heap[0]] = 0;
		heap_down(work, 0);
	}
	return top;
}

static inline double link_weight(const struct embed_work *work, uint32_t link,
				 embed_amount bandwidth,
				 enum embed_weight weight)
{
	switch (weight) {
	case EMBED_WEIGHT_LATENCY:
		return work->substrate->links[link].latency + 1e-9;
	case EMBED_WEIGHT_BALANCED:
		/* A hop is worth 1; among paths of equal length prefer the
		 * links this flow loads least, relative to what they have. */
		return 1.0 + 0.5 * (double)bandwidth /
				     (double)(work->bandwidth[link] + 1);
	case EMBED_WEIGHT_HOPS:
	default:
		return 1.0;
	}
}

/* Searches from source, or from all tree_nodes at distance 0 (when
 * from_tree), until target is settled (or, with `targets`, the first node
 * marked there). Links need room for `bandwidth` and a free tag; paths past
 * max_latency are pruned. Returns the node reached or SUBSTRATE_NONE. */
static uint32_t dijkstra(struct embed_work *work, uint32_t source,
			 bool from_tree, const uint32_t *tree_nodes,
			 uint32_t tree_count, uint32_t target,
			 const uint8_t *targets, embed_amount bandwidth,
			 double max_latency, enum embed_weight weight)
{
	const struct substrate *substrate = work->substrate;
	next_generation(work);
	if (from_tree) {
		for (uint32_t i = 0; i < tree_count; i++)
			label(work, tree_nodes[i], 0, 0, SUBSTRATE_NONE, 0);
	} else {
		label(work, source, 0, 0, SUBSTRATE_NONE, 0);
	}
	/* A*: hop distances to the target are a consistent lower bound of
	 * the remaining cost when every link weighs at least 1 (the rows are
	 * computed on a superset of the usable links). */
	const uint8_t *guide = NULL;
	if (!from_tree && target != SUBSTRATE_NONE && work->hop_row &&
	    weight != EMBED_WEIGHT_LATENCY)
		guide = work->hop_row(work->hop_context, target);
	while (work->heap_size) {
		uint32_t node = heap_pop(work);
		work->done[node] = work->generation;
		if (node == target || (targets && targets[node]))
			return node;
		for (uint32_t a = substrate->arc_start[node];
		     a < substrate->arc_start[node + 1]; a++) {
			const struct substrate_arc *arc = &substrate->arcs[a];
			uint32_t next = arc->neighbour;
			if (work->done[next] == work->generation ||
			    !embed_work_link_usable(work, arc->link, bandwidth))
				continue;
			double latency = work->latency[node] +
					 substrate->links[arc->link].latency;
			if (max_latency > 0 && latency > max_latency + 1e-9)
				continue;
			double distance = work->distance[node] +
					  link_weight(work, arc->link,
						      bandwidth, weight);
			double estimate = 0;
			if (guide) {
				if (guide[next] == 255)
					continue; /* cannot reach the target */
				estimate = guide[next];
			}
			if (work->stamp[next] != work->generation ||
			    distance < work->distance[next])
				label(work, next, distance, latency, arc->link,
				      estimate);
		}
	}
	return SUBSTRATE_NONE;
}

/* Walks predecessors from `end` back to a node without one; writes the
 * links in order from that start into work->path. */
static void trace_path(struct embed_work *work, uint32_t end)
{
	const struct substrate *substrate = work->substrate;
	uint32_t count = 0, node = end;
	while (work->predecessor[node] != SUBSTRATE_NONE) {
		uint32_t link = work->predecessor[node];
		work->path[count++] = link;
		node = substrate_link_other(&substrate->links[link], node);
	}
	for (uint32_t i = 0; i < count / 2; i++) {
		uint32_t swap = work->path[i];
		work->path[i] = work->path[count - 1 - i];
		work->path[count - 1 - i] = swap;
	}
	work->path_length = count;
	work->path_latency = work->latency[end];
}

int embed_work_path(struct embed_work *work, uint32_t source, uint32_t target,
		    embed_amount bandwidth, double max_latency,
		    enum embed_weight weight)
{
	uint32_t reached = dijkstra(work, source, false, NULL, 0, target, NULL,
				    bandwidth, max_latency, weight);
	if (reached == SUBSTRATE_NONE && max_latency > 0 &&
	    weight != EMBED_WEIGHT_LATENCY)
		reached = dijkstra(work, source, false, NULL, 0, target, NULL,
				   bandwidth, max_latency,
				   EMBED_WEIGHT_LATENCY);
	if (reached == SUBSTRATE_NONE)
		return -ENOSPC;
	trace_path(work, reached);
	return 0;
}

void embed_work_take(struct embed_work *work, const uint32_t *links,
		     uint32_t count, embed_amount bandwidth)
{
	for (uint32_t i = 0; i < count; i++) {
		work->bandwidth[links[i]] -= bandwidth;
		work->tags_free[links[i]]--;
	}
}

/* Largest latency between two terminals through the tree (tree links in
 * work->tree_links[0..count-1]): from each terminal, a walk over the tree. */
static double tree_diameter(struct embed_work *work, const uint32_t *terminals,
			    uint32_t terminal_count, uint32_t link_count)
{
	const struct substrate *substrate = work->substrate;
	double worst = 0;
	/* Small trees: for each terminal, relax over the link list until no
	 * change (a tree of k links settles in k passes). */
	for (uint32_t t = 0; t < terminal_count; t++) {
		next_generation(work);
		work->stamp[terminals[t]] = work->generation;
		work->latency[terminals[t]] = 0;
		bool changed = true;
		while (changed) {
			changed = false;
			for (uint32_t i = 0; i < link_count; i++) {
				const struct substrate_link *link =
					&substrate->links[work->tree_links[i]];
				uint32_t a = link->ends[0].node;
				uint32_t b = link->ends[1].node;
				bool has_a = work->stamp[a] == work->generation;
				bool has_b = work->stamp[b] == work->generation;
				if (has_a == has_b)
					continue;
				uint32_t from = has_a ? a : b, to = has_a ? b : a;
				work->stamp[to] = work->generation;
				work->latency[to] =
					work->latency[from] + link->latency;
				changed = true;
			}
		}
		for (uint32_t u = 0; u < terminal_count; u++)
			worst = fmax(worst, work->latency[terminals[u]]);
	}
	return worst;
}

static int grow_tree(struct embed_work *work, const uint32_t *terminals,
		     uint32_t count, embed_amount bandwidth,
		     enum embed_weight weight)
{
	uint8_t *is_target = work->target_mark;
	uint32_t *tree_nodes = work->tree_nodes;
	uint32_t tree_count = 0, link_count = 0;
	int status = 0;
	tree_nodes[tree_count++] = terminals[0];
	for (uint32_t i = 1; i < count; i++)
		is_target[terminals[i]] = 1;
	for (uint32_t joined = 1; joined < count; joined++) {
		uint32_t reached = dijkstra(work, 0, true, tree_nodes,
					    tree_count, SUBSTRATE_NONE,
					    is_target, bandwidth, 0, weight);
		if (reached == SUBSTRATE_NONE) {
			status = -ENOSPC;
			goto out;
		}
		is_target[reached] = 0;
		/* The path's inner nodes are off the tree: tree nodes are
		 * sources (distance 0, no predecessor), so the walk back
		 * stops at the first one. Adding it keeps the tree a tree. */
		uint32_t node = reached;
		while (work->predecessor[node] != SUBSTRATE_NONE) {
			uint32_t link = work->predecessor[node];
			work->tree_links[link_count++] = link;
			tree_nodes[tree_count++] = node;
			node = substrate_link_other(&work->substrate->links[link],
						    node);
		}
	}
	memcpy(work->path, work->tree_links, link_count * sizeof(uint32_t));
	work->path_length = link_count;
out:
	for (uint32_t i = 0; i < count; i++)
		is_target[terminals[i]] = 0;
	return status;
}

int embed_work_tree(struct embed_work *work, const uint32_t *terminals,
		    uint32_t count, embed_amount bandwidth, double max_latency,
		    enum embed_weight weight)
{
	int status = grow_tree(work, terminals, count, bandwidth, weight);
	if (status || max_latency <= 0)
		return status;
	if (tree_diameter(work, terminals, count, work->path_length) <=
	    max_latency + 1e-9)
		return 0;
	if (weight == EMBED_WEIGHT_LATENCY)
		return -ENOSPC;
	status = grow_tree(work, terminals, count, bandwidth,
			   EMBED_WEIGHT_LATENCY);
	if (status)
		return status;
	return tree_diameter(work, terminals, count, work->path_length) <=
			       max_latency + 1e-9
		       ? 0
		       : -ENOSPC;
}

/* ---- Link mapping ------------------------------------------------------------ */

static const struct embed_request *sort_request;

static int compare_links(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	embed_amount bx = sort_request->links[x].bandwidth;
	embed_amount by = sort_request->links[y].bandwidth;
	if (bx != by)
		return bx > by ? -1 : 1;
	return x < y ? -1 : x > y;
}

int embed_map_links(struct embed_work *work,
		    const struct embed_request *request,
		    struct embed_mapping *mapping, enum embed_weight weight)
{
	uint32_t *order = malloc((request->link_count + 1) * sizeof(*order));
	uint32_t terminals_capacity = 0;
	uint32_t *terminals = NULL;
	int status = 0;
	if (!order)
		return -ENOMEM;
	for (uint32_t i = 0; i < request->link_count; i++)
		order[i] = i;
	/* Insertion sort: requests are small and qsort's comparator needs
	 * the request; keep it simple and stable. */
	sort_request = request;
	for (uint32_t i = 1; i < request->link_count; i++) {
		uint32_t key = order[i], j = i;
		while (j > 0 && compare_links(&key, &order[j - 1]) < 0) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = key;
	}
	for (uint32_t i = 0; i < request->link_count && !status; i++) {
		const struct embed_virtual_link *link = &request->links[order[i]];
		if (link->endpoint_count == 2) {
			status = embed_work_path(work,
						 mapping->nodes[link->endpoints[0]],
						 mapping->nodes[link->endpoints[1]],
						 link->bandwidth,
						 link->max_latency, weight);
			if (status)
				break;
			status = embed_mapping_add_flow(mapping, order[i], false,
							link->bandwidth,
							work->path,
							work->path_length);
		} else {
			if (link->endpoint_count > terminals_capacity) {
				free(terminals);
				terminals_capacity = link->endpoint_count;
				terminals = malloc(terminals_capacity *
						   sizeof(*terminals));
				if (!terminals) {
					status = -ENOMEM;
					break;
				}
			}
			for (uint32_t e = 0; e < link->endpoint_count; e++)
				terminals[e] = mapping->nodes[link->endpoints[e]];
			status = embed_work_tree(work, terminals,
						 link->endpoint_count,
						 link->bandwidth,
						 link->max_latency, weight);
			if (status)
				break;
			status = embed_mapping_add_flow(mapping, order[i], true,
							link->bandwidth,
							work->path,
							work->path_length);
		}
		if (!status)
			embed_work_take(work, work->path, work->path_length,
					link->bandwidth);
	}
	free(terminals);
	free(order);
	if (status)
		return status;
	/* Flows must be grouped in link order (embed.h): sort them by link
	 * (one flow per link here, so a permutation). */
	for (uint32_t i = 1; i < mapping->flow_count; i++) {
		struct embed_flow key = mapping->flows[i];
		uint32_t j = i;
		while (j > 0 && mapping->flows[j - 1].link > key.link) {
			mapping->flows[j] = mapping->flows[j - 1];
			j--;
		}
		mapping->flows[j] = key;
	}
	return 0;
}

/* ---- Node mapping helpers --------------------------------------------------- */

static inline bool ranks_before(const double *key, uint32_t a, uint32_t b)
{
	return key[a] > key[b] || (key[a] == key[b] && a < b);
}

/* Insertion sort for the short lists (requests), merge sort above 32
 * (substrate nodes): both give the same, fully determined order. */
void embed_sort_descending(uint32_t *indices, uint32_t count, const double *key)
{
	if (count > 32) {
		uint32_t half = count / 2;
		uint32_t *merged = malloc(count * sizeof(uint32_t));
		if (merged) {
			embed_sort_descending(indices, half, key);
			embed_sort_descending(indices + half, count - half, key);
			uint32_t i = 0, j = half, k = 0;
			while (i < half && j < count)
				merged[k++] = ranks_before(key, indices[j],
							   indices[i])
						      ? indices[j++]
						      : indices[i++];
			while (i < half)
				merged[k++] = indices[i++];
			while (j < count)
				merged[k++] = indices[j++];
			memcpy(indices, merged, count * sizeof(uint32_t));
			free(merged);
			return;
		}
	}
	for (uint32_t i = 1; i < count; i++) {
		uint32_t item = indices[i], j = i;
		while (j > 0 && ranks_before(key, item, indices[j - 1])) {
			indices[j] = indices[j - 1];
			j--;
		}
		indices[j] = item;
	}
}

int embed_map_nodes_ranked(struct embed_work *work,
			   const struct embed_request *request,
			   const uint32_t *order, const double *score,
			   struct embed_mapping *mapping)
{
	for (uint32_t i = 0; i < request->node_count; i++) {
		uint32_t v = order[i], best = SUBSTRATE_NONE;
		for (uint32_t s = 0; s < work->node_count; s++) {
			if (!embed_work_node_fits(work, request, v, s))
				continue;
			if (best == SUBSTRATE_NONE || score[s] > score[best])
				best = s;
		}
		if (best == SUBSTRATE_NONE)
			return -ENOSPC;
		mapping->nodes[v] = best;
		work->node_taken[best] = 1;
		work->cpu[best] -= request->nodes[v].cpu;
	}
	return 0;
}
