/* The ranking baselines: greedy + k shortest paths (Yu et al. 2008), GRC
 * (Gong et al. 2014) and NodeRank (Cheng et al. 2011). Each is a node
 * ranking and a two-stage mapping: nodes first, then links. */
#include "embed_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Residual bandwidth adjacent to each substrate node. */
static double adjacent_bandwidth(const struct embed_work *work, uint32_t s)
{
	const struct substrate *substrate = work->substrate;
	embed_amount total = 0;
	for (uint32_t a = substrate->arc_start[s]; a < substrate->arc_start[s + 1];
	     a++)
		total += work->bandwidth[substrate->arcs[a].link];
	return embed_amount_to_double(total);
}

static int virtual_scores(struct embedder *embedder, uint32_t count)
{
	if (count <= embedder->virtual_capacity)
		return 0;
	double *scores = realloc(embedder->virtual_score,
				 count * sizeof(*scores));
	if (!scores)
		return -ENOMEM;
	embedder->virtual_score = scores;
	embedder->virtual_capacity = count;
	return 0;
}

/* ---- Yu 2008 -----------------------------------------------------------------
 * Nodes by CPU demand, largest first, each to the feasible substrate node of
 * largest H = CPU x adjacent bandwidth (residual). Links, largest first,
 * each on the first of the k shortest paths (by hops, on the whole
 * substrate, computed by topo's Yen) that has the bandwidth and a tag. */

static bool path_fits(const struct embed_work *work,
		      const struct substrate_path *path, embed_amount bandwidth)
{
	for (uint32_t h = 0; h < path->hop_count; h++)
		if (!embed_work_link_usable(work, path->links[h], bandwidth))
			return false;
	return true;
}

static int ksp_links(struct embedder *embedder,
		     const struct embed_request *request,
		     struct embed_mapping *mapping)
{
	struct embed_work *work = &embedder->work;
	unsigned k = embedder->options.ksp_k;
	if (embed_work_order(work, request->link_count + 1))
		return -ENOMEM;
	uint32_t *order = work->order;
	double *key = malloc((request->link_count + 1) * sizeof(double));
	if (!key)
		return -ENOMEM;
	for (uint32_t i = 0; i < request->link_count; i++) {
		order[i] = i;
		key[i] = (double)request->links[i].bandwidth;
	}
	embed_sort_descending(order, request->link_count, key);
	free(key);
	int status = 0;
	for (uint32_t i = 0; i < request->link_count && !status; i++) {
		const struct embed_virtual_link *link = &request->links[order[i]];
		if (link->endpoint_count > 2) {
			/* Yu has no LANs: grow a tree like everyone else. */
			uint32_t *terminals =
				malloc(link->endpoint_count * sizeof(uint32_t));
			if (!terminals)
				return -ENOMEM;
			for (uint32_t e = 0; e < link->endpoint_count; e++)
				terminals[e] = mapping->nodes[link->endpoints[e]];
			status = embed_work_tree(work, terminals,
						 link->endpoint_count,
						 link->bandwidth,
						 link->max_latency,
						 EMBED_WEIGHT_HOPS);
			free(terminals);
			if (!status)
				status = embed_mapping_add_flow(
					mapping, order[i], true,
					link->bandwidth, work->path,
					work->path_length);
			if (!status)
				embed_work_take(work, work->path,
						work->path_length,
						link->bandwidth);
			continue;
		}
		/* Yu: candidates on the whole graph, bandwidth checked on
		 * each in turn. */
		struct path_constraints constraints = {
			.metric = PATH_METRIC_HOPS,
			.max_latency = link->max_latency,
		};
		int found = substrate_k_shortest_paths(
			embedder->search, mapping->nodes[link->endpoints[0]],
			mapping->nodes[link->endpoints[1]], k, &constraints,
			embedder->paths);
		if (found < 0)
			return found;
		int chosen = -1;
		for (int p = 0; p < found && chosen < 0; p++)
			if (path_fits(work, &embedder->paths[p], link->bandwidth))
				chosen = p;
		if (chosen < 0)
			return -ENOSPC;
		const struct substrate_path *path = &embedder->paths[chosen];
		status = embed_mapping_add_flow(mapping, order[i], false,
						link->bandwidth, path->links,
						path->hop_count);
		if (!status)
			embed_work_take(work, path->links, path->hop_count,
					link->bandwidth);
	}
	if (status)
		return status;
	/* Group flows in link order. */
	for (uint32_t i = 1; i < mapping->flow_count; i++) {
		struct embed_flow flow = mapping->flows[i];
		uint32_t j = i;
		while (j > 0 && mapping->flows[j - 1].link > flow.link) {
			mapping->flows[j] = mapping->flows[j - 1];
			j--;
		}
		mapping->flows[j] = flow;
	}
	return 0;
}

/* H = residual CPU x residual adjacent bandwidth, per substrate node. */
void embed_rank_greedy(const struct embed_work *work, double *score)
{
	for (uint32_t s = 0; s < work->node_count; s++)
		score[s] = embed_amount_to_double(work->cpu[s]) *
			   adjacent_bandwidth(work, s);
}

int embed_greedy_nodes(struct embedder *embedder,
		       const struct embed_request *request,
		       struct embed_mapping *mapping)
{
	struct embed_work *work = &embedder->work;
	if (virtual_scores(embedder, request->node_count + 1) ||
	    embed_work_order(work, request->node_count + 1))
		return -ENOMEM;
	for (uint32_t v = 0; v < request->node_count; v++) {
		work->order[v] = v;
		embedder->virtual_score[v] = (double)request->nodes[v].cpu;
	}
	embed_sort_descending(work->order, request->node_count,
			      embedder->virtual_score);
	embed_rank_greedy(work, embedder->node_score);
	return embed_map_nodes_ranked(work, request, work->order,
				      embedder->node_score, mapping);
}

int embed_greedy_ksp(struct embedder *embedder,
		     const struct embed_residual *residual,
		     const struct embed_request *request,
		     struct embed_mapping *mapping)
{
	embed_work_load(&embedder->work, residual);
	int status = embed_greedy_nodes(embedder, request, mapping);
	if (status)
		return status;
	return ksp_links(embedder, request, mapping);
}

/* ---- GRC (Gong 2014) ----------------------------------------------------------
 * r = (1 - d) c + d M r, c the normalized CPU, M[i][j] = bandwidth(i, j) /
 * (bandwidth adjacent to j), d = 0.85, iterated until the L1 change is
 * below 1e-6 (at most 200 rounds). Computed on the residual substrate and on
 * the request (demands). */

#define GRC_DAMPING 0.85
#define RANK_TOLERANCE 1e-6
#define RANK_ROUNDS 200

static void grc_substrate(const struct embed_work *work, double *rank,
			  double *scratch, double *adjacent)
{
	const struct substrate *substrate = work->substrate;
	uint32_t n = work->node_count;
	double total = 0;
	for (uint32_t s = 0; s < n; s++) {
		total += embed_amount_to_double(work->cpu[s]);
		adjacent[s] = adjacent_bandwidth(work, s);
	}
	for (uint32_t s = 0; s < n; s++)
		rank[s] = total > 0 ? embed_amount_to_double(work->cpu[s]) / total
				    : 1.0 / n;
	for (int round = 0; round < RANK_ROUNDS; round++) {
		double change = 0;
		for (uint32_t i = 0; i < n; i++) {
			double sum = 0;
			for (uint32_t a = substrate->arc_start[i];
			     a < substrate->arc_start[i + 1]; a++) {
				uint32_t j = substrate->arcs[a].neighbour;
				if (adjacent[j] > 0)
					sum += embed_amount_to_double(
						       work->bandwidth
							       [substrate->arcs[a]
									.link]) /
					       adjacent[j] * rank[j];
			}
			double c = total > 0 ?
					   embed_amount_to_double(work->cpu[i]) /
						   total :
					   1.0 / n;
			scratch[i] = (1 - GRC_DAMPING) * c + GRC_DAMPING * sum;
			change += fabs(scratch[i] - rank[i]);
		}
		memcpy(rank, scratch, n * sizeof(double));
		if (change < RANK_TOLERANCE)
			break;
	}
}

/* The request's bandwidth between every two virtual nodes (a LAN counts
 * as links between every two of its endpoints), as a dense n x n matrix
 * followed by 4n doubles of scratch, zeroed. NULL (and every rank 1) when
 * memory is short. */
static double *request_bandwidth_matrix(const struct embed_request *request,
					double *rank)
{
	uint32_t n = request->node_count;
	double *matrix = calloc((size_t)n * n + 4 * n, sizeof(double));
	if (!matrix) {
		for (uint32_t v = 0; v < n; v++)
			rank[v] = 1;
		return NULL;
	}
	for (uint32_t k = 0; k < request->link_count; k++) {
		const struct embed_virtual_link *link = &request->links[k];
		for (uint32_t a = 0; a < link->endpoint_count; a++)
			for (uint32_t b = 0; b < link->endpoint_count; b++)
				if (a != b)
					matrix[(size_t)link->endpoints[a] * n +
					       link->endpoints[b]] +=
						embed_amount_to_double(
							link->bandwidth);
	}
	return matrix;
}

/* The same on the request: CPU demands and link bandwidths (a LAN counts
 * as links between every two of its endpoints). Small: dense matrix. */
static void grc_request(const struct embed_request *request, double *rank)
{
	uint32_t n = request->node_count;
	double *matrix = request_bandwidth_matrix(request, rank);
	if (!matrix)
		return;
	double *adjacent = matrix + (size_t)n * n, *c = adjacent + n,
	       *next = c + n, total = 0;
#define weight(i, j) matrix[(size_t)(i) * n + (j)]
	for (uint32_t v = 0; v < n; v++) {
		total += embed_amount_to_double(request->nodes[v].cpu);
		adjacent[v] = 0;
		for (uint32_t u = 0; u < n; u++)
			adjacent[v] += weight(v, u);
	}
	for (uint32_t v = 0; v < n; v++)
		rank[v] = c[v] = total > 0 ? embed_amount_to_double(
						     request->nodes[v].cpu) /
						     total
					   : 1.0 / n;
	for (int round = 0; round < RANK_ROUNDS; round++) {
		double change = 0;
		for (uint32_t i = 0; i < n; i++) {
			double sum = 0;
			for (uint32_t j = 0; j < n; j++)
				if (adjacent[j] > 0)
					sum += weight(i, j) / adjacent[j] *
					       rank[j];
			next[i] = (1 - GRC_DAMPING) * c[i] + GRC_DAMPING * sum;
			change += fabs(next[i] - rank[i]);
		}
		memcpy(rank, next, n * sizeof(double));
		if (change < RANK_TOLERANCE)
			break;
	}
#undef weight
	free(matrix);
}

int embed_grc(struct embedder *embedder, const struct embed_residual *residual,
	      const struct embed_request *request,
	      struct embed_mapping *mapping)
{
	struct embed_work *work = &embedder->work;
	uint32_t n = work->node_count;
	embed_work_load(work, residual);
	if (virtual_scores(embedder, request->node_count + 1) ||
	    embed_work_order(work, request->node_count + 1))
		return -ENOMEM;
	double *scratch = malloc(2 * (n + 1) * sizeof(double));
	if (!scratch)
		return -ENOMEM;
	grc_substrate(work, embedder->node_score, scratch, scratch + n + 1);
	free(scratch);
	grc_request(request, embedder->virtual_score);
	for (uint32_t v = 0; v < request->node_count; v++)
		work->order[v] = v;
	embed_sort_descending(work->order, request->node_count,
			      embedder->virtual_score);
	int status = embed_map_nodes_ranked(work, request, work->order,
					    embedder->node_score, mapping);
	if (status)
		return status;
	return embed_map_links(work, request, mapping, EMBED_WEIGHT_HOPS);
}

/* ---- NodeRank (Cheng 2011) ----------------------------------------------------
 * H(u) = CPU(u) x adjacent bandwidth; a random walk that jumps with
 * probability 0.15 to v in proportion to H(v) and otherwise moves to a
 * neighbour v in proportion to H(v); NodeRank is its stationary
 * distribution (power iteration, same tolerance as GRC). Virtual nodes are
 * mapped in RW-BFS order: breadth-first over the request from its
 * highest-ranked node, children by rank; each onto the feasible substrate
 * node of highest rank (the paper's RW-BFS without its backtracking). */

#define NODERANK_JUMP 0.15

static void noderank_substrate(const struct embed_work *work, double *rank,
			       double *h, double *next, double *neighbour_h)
{
	const struct substrate *substrate = work->substrate;
	uint32_t n = work->node_count;
	double total = 0;
	for (uint32_t s = 0; s < n; s++) {
		h[s] = embed_amount_to_double(work->cpu[s]) *
		       adjacent_bandwidth(work, s);
		total += h[s];
	}
	for (uint32_t s = 0; s < n; s++) {
		h[s] = total > 0 ? h[s] / total : 1.0 / n;
		rank[s] = h[s];
	}
	for (uint32_t s = 0; s < n; s++) {
		neighbour_h[s] = 0;
		for (uint32_t a = substrate->arc_start[s];
		     a < substrate->arc_start[s + 1]; a++)
			neighbour_h[s] += h[substrate->arcs[a].neighbour];
	}
	for (int round = 0; round < RANK_ROUNDS; round++) {
		double change = 0, stuck = 0;
		/* Nodes with no weighted neighbour jump for sure. */
		for (uint32_t u = 0; u < n; u++)
			if (neighbour_h[u] <= 0)
				stuck += rank[u];
		for (uint32_t v = 0; v < n; v++) {
			double forward = 0;
			for (uint32_t a = substrate->arc_start[v];
			     a < substrate->arc_start[v + 1]; a++) {
				uint32_t u = substrate->arcs[a].neighbour;
				if (neighbour_h[u] > 0)
					forward += rank[u] * h[v] / neighbour_h[u];
			}
			next[v] = (NODERANK_JUMP + (1 - NODERANK_JUMP) * stuck) *
					  h[v] +
				  (1 - NODERANK_JUMP) * forward;
			change += fabs(next[v] - rank[v]);
		}
		memcpy(rank, next, n * sizeof(double));
		if (change < RANK_TOLERANCE)
			break;
	}
}

static void noderank_request(const struct embed_request *request, double *rank)
{
	uint32_t n = request->node_count;
	double *matrix = request_bandwidth_matrix(request, rank);
	if (!matrix)
		return;
	double *h = matrix + (size_t)n * n, *next = h + n,
	       *neighbour_h = next + n, total = 0;
#define adjacency(i, j) matrix[(size_t)(i) * n + (j)]
	for (uint32_t v = 0; v < n; v++) {
		double adjacent = 0;
		for (uint32_t u = 0; u < n; u++)
			adjacent += adjacency(v, u);
		h[v] = embed_amount_to_double(request->nodes[v].cpu) * adjacent;
		total += h[v];
	}
	for (uint32_t v = 0; v < n; v++)
		rank[v] = h[v] = total > 0 ? h[v] / total : 1.0 / n;
	for (uint32_t v = 0; v < n; v++) {
		neighbour_h[v] = 0;
		for (uint32_t u = 0; u < n; u++)
			if (adjacency(v, u) > 0)
				neighbour_h[v] += h[u];
	}
	for (int round = 0; round < RANK_ROUNDS; round++) {
		double change = 0, stuck = 0;
		for (uint32_t u = 0; u < n; u++)
			if (neighbour_h[u] <= 0)
				stuck += rank[u];
		for (uint32_t v = 0; v < n; v++) {
			double forward = 0;
			for (uint32_t u = 0; u < n; u++)
				if (adjacency(u, v) > 0 && neighbour_h[u] > 0)
					forward += rank[u] * h[v] / neighbour_h[u];
			next[v] = (NODERANK_JUMP + (1 - NODERANK_JUMP) * stuck) *
					  h[v] +
				  (1 - NODERANK_JUMP) * forward;
			change += fabs(next[v] - rank[v]);
		}
		memcpy(rank, next, n * sizeof(double));
		if (change < RANK_TOLERANCE)
			break;
	}
#undef adjacency
	free(matrix);
}

/* Breadth-first order over the request from its best node; children and
 * the roots of further components by rank. */
static void rw_bfs_order(const struct embed_request *request,
			 const double *rank, uint32_t *order)
{
	uint32_t n = request->node_count, count = 0, head = 0;
	uint32_t *by_rank = malloc(n * sizeof(*by_rank));
	bool *seen = calloc(n, sizeof(*seen));
	if (!by_rank || !seen) {
		for (uint32_t v = 0; v < n; v++)
			order[v] = v;
		free(by_rank);
		free(seen);
		return;
	}
	for (uint32_t v = 0; v < n; v++)
		by_rank[v] = v;
	embed_sort_descending(by_rank, n, rank);
	for (uint32_t r = 0; r < n; r++) {
		if (seen[by_rank[r]])
			continue;
		seen[by_rank[r]] = true;
		order[count++] = by_rank[r];
		while (head < count) {
			uint32_t v = order[head++];
			/* neighbours of v, in rank order */
			for (uint32_t i = 0; i < n; i++) {
				uint32_t u = by_rank[i];
				if (seen[u])
					continue;
				bool adjacent = false;
				for (uint32_t k = 0; k < request->link_count &&
						     !adjacent;
				     k++) {
					const struct embed_virtual_link *link =
						&request->links[k];
					bool has_u = false, has_v = false;
					for (uint32_t e = 0;
					     e < link->endpoint_count; e++) {
						has_u |= link->endpoints[e] == u;
						has_v |= link->endpoints[e] == v;
					}
					adjacent = has_u && has_v;
				}
				if (adjacent) {
					seen[u] = true;
					order[count++] = u;
				}
			}
		}
	}
	free(by_rank);
	free(seen);
}

int embed_noderank(struct embedder *embedder,
		   const struct embed_residual *residual,
		   const struct embed_request *request,
		   struct embed_mapping *mapping)
{
	struct embed_work *work = &embedder->work;
	uint32_t n = work->node_count;
	embed_work_load(work, residual);
	if (virtual_scores(embedder, request->node_count + 1) ||
	    embed_work_order(work, request->node_count + 1))
		return -ENOMEM;
	double *scratch = malloc(3 * (n + 1) * sizeof(double));
	if (!scratch)
		return -ENOMEM;
	noderank_substrate(work, embedder->node_score, scratch,
			   scratch + n + 1, scratch + 2 * (n + 1));
	free(scratch);
	noderank_request(request, embedder->virtual_score);
	rw_bfs_order(request, embedder->virtual_score, work->order);
	int status = embed_map_nodes_ranked(work, request, work->order,
					    embedder->node_score, mapping);
	if (status)
		return status;
	return embed_map_links(work, request, mapping, EMBED_WEIGHT_HOPS);
}
