/* LP and MIP algorithms, with GLPK: multicommodity-flow link mapping with
 * path splitting (Yu et al. 2008), D-ViNE (Chowdhury et al. 2009: LP
 * relaxation of the joint MIP on an augmented graph, deterministic
 * rounding), and the exact MIP used as the optimality reference.
 *
 * All formulations are sparse and edge-indexed: a flow variable per
 * (virtual link, substrate arc), never per node pair, and for the LPs only
 * on arcs that lie on some walk at most `lp_slack` hops longer than the
 * shortest between the commodity's ends (a flow of least cost never strays
 * far; this keeps a 100-node substrate's LP at a few thousand columns). */
#include "embed_internal.h"

#include <errno.h>
#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- A small builder over glp_load_matrix ------------------------------- */

struct lp {
	glp_prob *problem;
	int *ia, *ja;
	double *ar;
	size_t count, capacity;
	bool failed;
};

static void lp_init(struct lp *lp)
{
	memset(lp, 0, sizeof(*lp));
	glp_term_out(GLP_OFF);
	lp->problem = glp_create_prob();
	glp_set_obj_dir(lp->problem, GLP_MIN);
}

static void lp_free(struct lp *lp)
{
	if (lp->problem)
		glp_delete_prob(lp->problem);
	free(lp->ia);
	free(lp->ja);
	free(lp->ar);
}

static int lp_column(struct lp *lp, double lower, double upper, double cost,
		     bool integer)
{
	int column = glp_add_cols(lp->problem, 1);
	glp_set_col_bnds(lp->problem, column,
			 upper > lower ? GLP_DB : GLP_FX, lower, upper);
	glp_set_obj_coef(lp->problem, column, cost);
	if (integer)
		glp_set_col_kind(lp->problem, column,
				 lower == 0 && upper == 1 ? GLP_BV : GLP_IV);
	return column;
}

/* type: GLP_FX (= lower), GLP_UP (<= upper), GLP_LO (>= lower). */
static int lp_row(struct lp *lp, int type, double lower, double upper)
{
	int row = glp_add_rows(lp->problem, 1);
	glp_set_row_bnds(lp->problem, row, type, lower, upper);
	return row;
}

static void lp_coefficient(struct lp *lp, int row, int column, double value)
{
	if (lp->count + 1 >= lp->capacity) {
		size_t capacity = lp->capacity ? lp->capacity * 2 : 4096;
		int *ia = realloc(lp->ia, capacity * sizeof(int));
		if (ia)
			lp->ia = ia;
		int *ja = realloc(lp->ja, capacity * sizeof(int));
		if (ja)
			lp->ja = ja;
		double *ar = realloc(lp->ar, capacity * sizeof(double));
		if (ar)
			lp->ar = ar;
		if (!ia || !ja || !ar) {
			lp->failed = true;
			return;
		}
		lp->capacity = capacity;
	}
	lp->count++; /* GLPK's arrays are 1-based */
	lp->ia[lp->count] = row;
	lp->ja[lp->count] = column;
	lp->ar[lp->count] = value;
}

static int lp_load(struct lp *lp)
{
	if (lp->failed)
		return -ENOMEM;
	if (lp->count)
		glp_load_matrix(lp->problem, (int)lp->count, lp->ia, lp->ja,
				lp->ar);
	return 0;
}

/* Solves the relaxation. 0 when optimal, -ENOSPC when infeasible, -EIO. */
static int lp_solve(struct lp *lp)
{
	int status = lp_load(lp);
	if (status)
		return status;
	if (glp_get_num_cols(lp->problem) == 0)
		return 0;
	glp_smcp parameters;
	glp_init_smcp(&parameters);
	parameters.msg_lev = GLP_MSG_OFF;
	parameters.presolve = GLP_ON;
	int result = glp_simplex(lp->problem, &parameters);
	if (result == GLP_ENOPFS || result == GLP_ENODFS)
		return -ENOSPC;
	if (result)
		return -EIO;
	int solution = glp_get_status(lp->problem);
	if (solution == GLP_OPT)
		return 0;
	return solution == GLP_NOFEAS || solution == GLP_INFEAS ? -ENOSPC
								: -EIO;
}

static int mip_solve(struct lp *lp, double seconds)
{
	int status = lp_load(lp);
	if (status)
		return status;
	glp_iocp parameters;
	glp_init_iocp(&parameters);
	parameters.msg_lev = GLP_MSG_OFF;
	parameters.presolve = GLP_ON;
	parameters.tm_lim = (int)(seconds * 1000);
	int result = glp_intopt(lp->problem, &parameters);
	int solution = glp_mip_status(lp->problem);
	if (result == GLP_ENOPFS || result == GLP_ENODFS ||
	    solution == GLP_NOFEAS)
		return -ENOSPC;
	if (solution == GLP_OPT || solution == GLP_FEAS)
		return 0;
	return result == GLP_ETMLIM ? -ENOSPC : -EIO;
}

/* ---- Shared pieces -------------------------------------------------------- */

static inline bool link_open(const struct embed_work *work, uint32_t link,
			     embed_amount bandwidth)
{
	return work->tags_free[link] > 0 && work->bandwidth[link] >= bandwidth;
}

/* Hop distances from the sources over links open for `bandwidth` (1 for
 * any positive residual). UINT32_MAX when unreachable. */
static void bfs(const struct embed_work *work, const uint32_t *sources,
		uint32_t source_count, embed_amount bandwidth,
		uint32_t *distance, uint32_t *queue)
{
	const struct substrate *substrate = work->substrate;
	uint32_t head = 0, tail = 0;
	for (uint32_t n = 0; n < work->node_count; n++)
		distance[n] = UINT32_MAX;
	for (uint32_t i = 0; i < source_count; i++) {
		if (distance[sources[i]] == 0)
			continue;
		distance[sources[i]] = 0;
		queue[tail++] = sources[i];
	}
	while (head < tail) {
		uint32_t node = queue[head++];
		for (uint32_t a = substrate->arc_start[node];
		     a < substrate->arc_start[node + 1]; a++) {
			uint32_t next = substrate->arcs[a].neighbour;
			if (distance[next] != UINT32_MAX ||
			    !link_open(work, substrate->arcs[a].link, bandwidth))
				continue;
			distance[next] = distance[node] + 1;
			queue[tail++] = next;
		}
	}
}

/* One commodity of a flow problem over substrate arcs: the column of each
 * arc (2 * link + direction; direction 0 is ends[0] -> ends[1]), 0 when
 * the arc is not in the problem. */
struct commodity {
	uint32_t link;     /* virtual link */
	uint32_t source, target;
	embed_amount bandwidth;
	int *column;       /* 2 * link_count */
	int *row;          /* conservation row per substrate node, 0 = none */
};

static void commodity_free(struct commodity *commodities, uint32_t count)
{
	for (uint32_t k = 0; k < count; k++) {
		free(commodities[k].column);
		free(commodities[k].row);
	}
	free(commodities);
}

/* Adds arc columns to commodity k for arcs u -> v with
 * from[u] + 1 + to[v] <= limit, and conservation rows for their ends.
 * Costs are per unit of flow fraction (bandwidth x weight). */
static int commodity_arcs(struct lp *lp, const struct embed_work *work,
			  struct commodity *commodity, const uint32_t *from,
			  const uint32_t *to, uint32_t limit,
			  embed_amount open_bandwidth, bool integer,
			  const double *arc_cost)
{
	const struct substrate *substrate = work->substrate;
	uint32_t links = work->link_count, columns = 0;
	commodity->column = calloc(2 * (size_t)links + 1, sizeof(int));
	commodity->row = calloc(work->node_count + 1, sizeof(int));
	if (!commodity->column || !commodity->row)
		return -ENOMEM;
	for (uint32_t l = 0; l < links; l++) {
		if (!link_open(work, l, open_bandwidth))
			continue;
		for (int direction = 0; direction < 2; direction++) {
			uint32_t u = substrate->links[l].ends[direction].node;
			uint32_t v = substrate->links[l].ends[!direction].node;
			if (from[u] == UINT32_MAX || to[v] == UINT32_MAX ||
			    (uint64_t)from[u] + 1 + to[v] > limit)
				continue;
			int column = lp_column(lp, 0, 1, arc_cost[l], integer);
			commodity->column[2 * l + direction] = column;
			columns++;
			for (int end = 0; end < 2; end++) {
				uint32_t node = end ? v : u;
				if (!commodity->row[node])
					commodity->row[node] =
						lp_row(lp, GLP_FX, 0, 0);
				lp_coefficient(lp, commodity->row[node], column,
					       end ? -1.0 : 1.0);
			}
		}
	}
	return columns ? 0 : -ENOSPC;
}

/* Capacity rows: sum over commodities of bandwidth x (both directions)
 * <= residual, less `hair` when flows split (so rounding the split amounts
 * to millionths never overdraws); with `tags`, also hops <= free tags. */
static void capacity_rows(struct lp *lp, const struct embed_work *work,
			  const struct commodity *commodities, uint32_t count,
			  bool tags, double hair)
{
	for (uint32_t l = 0; l < work->link_count; l++) {
		int row = 0, tag_row = 0;
		for (uint32_t k = 0; k < count; k++) {
			for (int direction = 0; direction < 2; direction++) {
				int column = commodities[k].column[2 * l + direction];
				if (!column)
					continue;
				if (!row) {
					double room = embed_amount_to_double(
						work->bandwidth[l]) - hair;
					row = lp_row(lp, GLP_UP, 0,
						     room > 0 ? room : 0);
				}
				lp_coefficient(lp, row, column,
					       embed_amount_to_double(
						       commodities[k].bandwidth));
				if (!tags)
					continue;
				if (!tag_row)
					tag_row = lp_row(lp, GLP_UP, 0,
							 work->tags_free[l]);
				lp_coefficient(lp, tag_row, column, 1.0);
			}
		}
	}
}

/* Decomposes commodity k's solved flow (fractions of its demand) into
 * paths and appends them as flows, taking resources from work. Returns 0
 * or -ENOSPC (nothing usable, or rounding overdraws). */
static int decompose(struct lp *lp, struct embed_work *work,
		     const struct commodity *commodity, bool integer,
		     struct embed_mapping *mapping)
{
	const struct substrate *substrate = work->substrate;
	uint32_t links = work->link_count;
	double *flow = calloc(2 * (size_t)links + 1, sizeof(double));
	uint32_t *path = malloc((work->node_count + 1) * sizeof(uint32_t));
	uint32_t *visited = calloc(work->node_count + 1, sizeof(uint32_t));
	struct {
		uint32_t first, count;
		double fraction;
	} pieces[32];
	uint32_t piece_count = 0, stored = 0;
	uint32_t *hops = malloc(32 * (work->node_count + 1) * sizeof(uint32_t));
	int status = 0;
	if (!flow || !path || !visited || !hops) {
		status = -ENOMEM;
		goto out;
	}
	for (uint32_t a = 0; a < 2 * links; a++)
		if (commodity->column[a])
			flow[a] = integer ? glp_mip_col_val(lp->problem,
							    commodity->column[a])
					  : glp_get_col_prim(lp->problem,
							     commodity->column[a]);
	double remaining = 1.0;
	uint32_t round = 0;
	while (remaining > 1e-7 && piece_count < 32) {
		round++;
		uint32_t at = commodity->source, length = 0;
		double bottleneck = remaining;
		visited[at] = round;
		while (at != commodity->target) {
			int best = -1;
			for (uint32_t a = substrate->arc_start[at];
			     a < substrate->arc_start[at + 1]; a++) {
				uint32_t l = substrate->arcs[a].link;
				int direction = substrate->links[l].ends[0].node != at;
				uint32_t index = 2 * l + direction;
				uint32_t next = substrate->arcs[a].neighbour;
				if (flow[index] <= 1e-9 || visited[next] == round)
					continue;
				if (best < 0 || flow[index] > flow[best])
					best = (int)index;
			}
			if (best < 0)
				break;
			path[length++] = (uint32_t)best / 2;
			bottleneck = fmin(bottleneck, flow[best]);
			at = substrate_link_other(&substrate->links[best / 2], at);
			visited[at] = round;
		}
		if (at != commodity->target)
			break;
		for (uint32_t h = 0, node = commodity->source; h < length; h++) {
			uint32_t l = path[h];
			int direction = substrate->links[l].ends[0].node != node;
			flow[2 * l + direction] -= bottleneck;
			node = substrate_link_other(&substrate->links[l], node);
		}
		memcpy(hops + stored, path, length * sizeof(uint32_t));
		pieces[piece_count].first = stored;
		pieces[piece_count].count = length;
		pieces[piece_count].fraction = bottleneck;
		piece_count++;
		stored += length;
		remaining -= bottleneck;
	}
	if (!piece_count) {
		status = -ENOSPC;
		goto out;
	}
	/* Amounts: each piece its share, the largest takes the remainder so
	 * the flows sum to the demand exactly. */
	double total = 0;
	uint32_t largest = 0;
	for (uint32_t p = 0; p < piece_count; p++) {
		total += pieces[p].fraction;
		if (pieces[p].fraction > pieces[largest].fraction)
			largest = p;
	}
	embed_amount amounts[32], given = 0;
	for (uint32_t p = 0; p < piece_count; p++) {
		amounts[p] = p == largest ? 0 :
			     (embed_amount)llround((double)commodity->bandwidth *
						   pieces[p].fraction / total);
		given += amounts[p];
	}
	amounts[largest] = commodity->bandwidth - given;
	for (uint32_t p = 0; p < piece_count && !status; p++) {
		if (amounts[p] <= 0 && piece_count > 1)
			continue;
		const uint32_t *links_of = hops + pieces[p].first;
		for (uint32_t h = 0; h < pieces[p].count; h++)
			if (!embed_work_link_usable(work, links_of[h], amounts[p]))
				status = -ENOSPC;
		if (status)
			break;
		status = embed_mapping_add_flow(mapping, commodity->link, false,
						amounts[p], links_of,
						pieces[p].count);
		if (!status)
			embed_work_take(work, links_of, pieces[p].count,
					amounts[p]);
	}
out:
	free(flow);
	free(path);
	free(visited);
	free(hops);
	return status;
}

static void sort_flows(struct embed_mapping *mapping)
{
	for (uint32_t i = 1; i < mapping->flow_count; i++) {
		struct embed_flow flow = mapping->flows[i];
		uint32_t j = i;
		while (j > 0 && mapping->flows[j - 1].link > flow.link) {
			mapping->flows[j] = mapping->flows[j - 1];
			j--;
		}
		mapping->flows[j] = flow;
	}
}

/* Maps the links that must not be split (LANs, latency bounds) on single
 * paths or trees, before the LP. */
static int map_unsplittable(struct embed_work *work,
			    const struct embed_request *request,
			    struct embed_mapping *mapping)
{
	for (uint32_t k = 0; k < request->link_count; k++) {
		const struct embed_virtual_link *link = &request->links[k];
		if (link->endpoint_count == 2 && link->max_latency <= 0)
			continue;
		int status;
		if (link->endpoint_count == 2) {
			status = embed_work_path(work,
						 mapping->nodes[link->endpoints[0]],
						 mapping->nodes[link->endpoints[1]],
						 link->bandwidth, link->max_latency,
						 EMBED_WEIGHT_HOPS);
		} else {
			uint32_t *terminals =
				malloc(link->endpoint_count * sizeof(uint32_t));
			if (!terminals)
				return -ENOMEM;
			for (uint32_t e = 0; e < link->endpoint_count; e++)
				terminals[e] = mapping->nodes[link->endpoints[e]];
			status = embed_work_tree(work, terminals,
						 link->endpoint_count,
						 link->bandwidth, link->max_latency,
						 EMBED_WEIGHT_HOPS);
			free(terminals);
		}
		if (status)
			return status;
		status = embed_mapping_add_flow(mapping, k, link->endpoint_count > 2,
						link->bandwidth, work->path,
						work->path_length);
		if (status)
			return status;
		embed_work_take(work, work->path, work->path_length,
				link->bandwidth);
	}
	return 0;
}

/* ---- MCF link mapping ------------------------------------------------------
 * Given the node mapping, min sum over virtual links of bandwidth x hops
 * (Yu's objective: total bandwidth used), each link's flow splittable over
 * any number of paths, subject to residual bandwidth. */
static int mcf_links(struct embedder *embedder,
		     const struct embed_request *request,
		     struct embed_mapping *mapping)
{
	struct embed_work *work = &embedder->work;
	uint32_t n = work->node_count;
	int status = map_unsplittable(work, request, mapping);
	if (status)
		return status;
	struct commodity *commodities =
		calloc(request->link_count + 1, sizeof(*commodities));
	uint32_t *from = malloc((n + 1) * sizeof(uint32_t));
	uint32_t *to = malloc((n + 1) * sizeof(uint32_t));
	uint32_t *queue = malloc((n + 1) * sizeof(uint32_t));
	double *arc_cost = malloc((work->link_count + 1) * sizeof(double));
	uint32_t count = 0;
	struct lp lp;
	lp_init(&lp);
	if (!commodities || !from || !to || !queue || !arc_cost) {
		status = -ENOMEM;
		goto out;
	}
	for (uint32_t k = 0; k < request->link_count && !status; k++) {
		const struct embed_virtual_link *link = &request->links[k];
		if (link->endpoint_count != 2 || link->max_latency > 0)
			continue;
		struct commodity *commodity = &commodities[count++];
		commodity->link = k;
		commodity->source = mapping->nodes[link->endpoints[0]];
		commodity->target = mapping->nodes[link->endpoints[1]];
		commodity->bandwidth = link->bandwidth;
		bfs(work, &commodity->source, 1, 1, from, queue);
		bfs(work, &commodity->target, 1, 1, to, queue);
		if (from[commodity->target] == UINT32_MAX) {
			status = -ENOSPC;
			break;
		}
		double cost = embed_amount_to_double(link->bandwidth);
		for (uint32_t l = 0; l < work->link_count; l++)
			arc_cost[l] = cost;
		status = commodity_arcs(&lp, work, commodity, from, to,
					from[commodity->target] +
						embedder->options.lp_slack,
					1, false, arc_cost);
		if (status)
			break;
		/* Supply at the source, demand at the target. */
		glp_set_row_bnds(lp.problem, commodity->row[commodity->source],
				 GLP_FX, 1, 1);
		glp_set_row_bnds(lp.problem, commodity->row[commodity->target],
				 GLP_FX, -1, -1);
	}
	if (status || !count)
		goto out;
	capacity_rows(&lp, work, commodities, count, false, 1e-5);
	status = lp_solve(&lp);
	for (uint32_t k = 0; k < count && !status; k++)
		status = decompose(&lp, work, &commodities[k], false, mapping);
out:
	lp_free(&lp);
	commodity_free(commodities, count);
	free(from);
	free(to);
	free(queue);
	free(arc_cost);
	if (!status)
		sort_flows(mapping);
	return status;
}

int embed_mcf(struct embedder *embedder, const struct embed_residual *residual,
	      const struct embed_request *request,
	      struct embed_mapping *mapping)
{
	embed_work_load(&embedder->work, residual);
	int status = embed_greedy_nodes(embedder, request, mapping);
	if (status)
		return status;
	return mcf_links(embedder, request, mapping);
}

/* ---- D-ViNE -----------------------------------------------------------------
 * Augmented graph: a meta-node per virtual node, joined by meta-links to its
 * candidate substrate nodes (those that fit: CPU, constraints; the
 * `dvine_candidates` of largest CPU x adjacent bandwidth). The LP relaxation
 * of the joint MIP: x[m][w] in [0, 1] (m on w), a flow per virtual link from
 * its first meta-node to its second, meta-arcs bounded by x; minimize
 * sum over substrate arcs of bandwidth x flow / (residual + delta) + sum
 * of CPU x x / (residual CPU + delta), scaled by the mean capacities (the
 * paper's load-balancing weights). Rounding: virtual nodes in index order,
 * each to its unused candidate w of largest x[m][w] x (flow through the
 * meta-link m-w). Links: the MCF above. Links that must not split (LANs,
 * latency bounds) take no part in the LP. */
struct dvine_candidate {
	uint32_t count;
	uint32_t nodes[64];
	int column[64];
	int meta_column[64]; /* scratch while building one commodity */
};

int embed_dvine(struct embedder *embedder,
		const struct embed_residual *residual,
		const struct embed_request *request,
		struct embed_mapping *mapping)
{
	struct embed_work *work = &embedder->work;
	const struct substrate *substrate = embedder->substrate;
	uint32_t n = work->node_count, vn = request->node_count;
	uint32_t limit = embedder->options.dvine_candidates;
	if (limit > 64)
		limit = 64;
	embed_work_load(work, residual);
	embed_rank_greedy(work, embedder->node_score);
	struct dvine_candidate *candidates = calloc(vn, sizeof(*candidates));
	uint32_t *ranked = malloc((n + 1) * sizeof(uint32_t));
	uint32_t *from = malloc((n + 1) * sizeof(uint32_t));
	uint32_t *to = malloc((n + 1) * sizeof(uint32_t));
	uint32_t *queue = malloc((n + 1) * sizeof(uint32_t));
	double *arc_cost = malloc((work->link_count + 1) * sizeof(double));
	struct commodity *commodities =
		calloc(request->link_count + 1, sizeof(*commodities));
	int **meta = calloc(request->link_count + 1, sizeof(int *));
	uint32_t count = 0;
	int status = 0;
	struct lp lp;
	lp_init(&lp);
	if (!candidates || !ranked || !from || !to || !queue || !arc_cost ||
	    !commodities || !meta) {
		status = -ENOMEM;
		goto out;
	}
	for (uint32_t s = 0; s < n; s++)
		ranked[s] = s;
	embed_sort_descending(ranked, n, embedder->node_score);
	double mean_cpu = 0, mean_bandwidth = 0;
	for (uint32_t s = 0; s < n; s++)
		mean_cpu += embed_amount_to_double(residual->cpu_capacity[s]) / n;
	for (uint32_t l = 0; l < work->link_count; l++)
		mean_bandwidth += embed_amount_to_double(
					  residual->bandwidth_capacity[l]) /
				  work->link_count;
	/* Candidates and x columns. */
	for (uint32_t m = 0; m < vn; m++) {
		struct dvine_candidate *candidate = &candidates[m];
		for (uint32_t i = 0; i < n && candidate->count < limit; i++)
			if (embed_work_node_fits(work, request, m, ranked[i]))
				candidate->nodes[candidate->count++] = ranked[i];
		if (!candidate->count) {
			status = -ENOSPC;
			goto out;
		}
		double cpu = embed_amount_to_double(request->nodes[m].cpu);
		for (uint32_t i = 0; i < candidate->count; i++) {
			uint32_t w = candidate->nodes[i];
			double cost = cpu * mean_cpu /
				      (embed_amount_to_double(work->cpu[w]) + 1e-3);
			candidate->column[i] = lp_column(&lp, 0, 1, cost, false);
		}
		int row = lp_row(&lp, GLP_FX, 1, 1);
		for (uint32_t i = 0; i < candidate->count; i++)
			lp_coefficient(&lp, row, candidate->column[i], 1.0);
	}
	/* Each substrate node: at most one virtual node, within its CPU. */
	for (uint32_t s = 0; s < n; s++) {
		int once = 0, cpu_row = 0;
		for (uint32_t m = 0; m < vn; m++)
			for (uint32_t i = 0; i < candidates[m].count; i++) {
				if (candidates[m].nodes[i] != s)
					continue;
				if (!once) {
					once = lp_row(&lp, GLP_UP, 0, 1);
					cpu_row = lp_row(&lp, GLP_UP, 0,
							 embed_amount_to_double(
								 work->cpu[s]));
				}
				lp_coefficient(&lp, once, candidates[m].column[i], 1);
				lp_coefficient(&lp, cpu_row, candidates[m].column[i],
					       embed_amount_to_double(
						       request->nodes[m].cpu));
			}
	}
	/* Commodities between meta-nodes. */
	for (uint32_t k = 0; k < request->link_count && !status; k++) {
		const struct embed_virtual_link *link = &request->links[k];
		if (link->endpoint_count != 2 || link->max_latency > 0)
			continue;
		struct commodity *commodity = &commodities[count];
		uint32_t a = link->endpoints[0], b = link->endpoints[1];
		commodity->link = k;
		commodity->bandwidth = link->bandwidth;
		commodity->source = SUBSTRATE_NONE;
		commodity->target = SUBSTRATE_NONE;
		bfs(work, candidates[a].nodes, candidates[a].count, 1, from, queue);
		bfs(work, candidates[b].nodes, candidates[b].count, 1, to, queue);
		uint32_t shortest = UINT32_MAX;
		for (uint32_t i = 0; i < candidates[b].count; i++)
			if (from[candidates[b].nodes[i]] < shortest)
				shortest = from[candidates[b].nodes[i]];
		if (shortest == UINT32_MAX) {
			status = -ENOSPC;
			break;
		}
		double bandwidth = embed_amount_to_double(link->bandwidth);
		for (uint32_t l = 0; l < work->link_count; l++)
			arc_cost[l] = bandwidth * mean_bandwidth /
				      (embed_amount_to_double(work->bandwidth[l]) +
				       1e-3);
		status = commodity_arcs(&lp, work, commodity, from, to,
					shortest + embedder->options.lp_slack, 1,
					false, arc_cost);
		if (status == -ENOSPC && shortest == 0)
			status = 0; /* candidate sets overlap: meta arcs only */
		if (status)
			break;
		count++;
		/* Meta arcs: a -> w (w candidate of a) and w -> b. Two
		 * columns per candidate, bounded by x; source and sink rows. */
		meta[k] = calloc(2 * 64, sizeof(int));
		if (!meta[k]) {
			status = -ENOMEM;
			break;
		}
		int source_row = lp_row(&lp, GLP_FX, 1, 1);
		int sink_row = lp_row(&lp, GLP_FX, 1, 1);
		for (int side = 0; side < 2; side++) {
			uint32_t m = side ? b : a;
			for (uint32_t i = 0; i < candidates[m].count; i++) {
				uint32_t w = candidates[m].nodes[i];
				int column = lp_column(&lp, 0, 1, 0, false);
				meta[k][side * 64 + i] = column;
				lp_coefficient(&lp, side ? sink_row : source_row,
					       column, 1);
				if (!commodity->row[w])
					commodity->row[w] = lp_row(&lp, GLP_FX, 0, 0);
				/* into w from meta a: inflow; out of w to
				 * meta b: outflow */
				lp_coefficient(&lp, commodity->row[w], column,
					       side ? 1.0 : -1.0);
				int bound = lp_row(&lp, GLP_UP, -HUGE_VAL, 0);
				lp_coefficient(&lp, bound, column, 1);
				lp_coefficient(&lp, bound, candidates[m].column[i],
					       -1);
			}
		}
	}
	if (status)
		goto out;
	capacity_rows(&lp, work, commodities, count, false, 1e-5);
	status = lp_solve(&lp);
	if (status)
		goto out;
	/* Deterministic rounding. */
	for (uint32_t m = 0; m < vn; m++) {
		double best_score = -1;
		uint32_t best = SUBSTRATE_NONE;
		for (uint32_t i = 0; i < candidates[m].count; i++) {
			uint32_t w = candidates[m].nodes[i];
			if (!embed_work_node_fits(work, request, m, w))
				continue;
			double x = glp_get_col_prim(lp.problem,
						    candidates[m].column[i]);
			double through = 0;
			for (uint32_t c = 0; c < count; c++) {
				const struct embed_virtual_link *link =
					&request->links[commodities[c].link];
				for (int side = 0; side < 2; side++)
					if (link->endpoints[side] == m)
						through += glp_get_col_prim(
							lp.problem,
							meta[commodities[c].link]
							    [side * 64 + i]);
			}
			double score = x * through + x * 1e-6;
			if (score > best_score) {
				best_score = score;
				best = w;
			}
		}
		if (best == SUBSTRATE_NONE) {
			status = -ENOSPC;
			goto out;
		}
		mapping->nodes[m] = best;
		work->node_taken[best] = 1;
		work->cpu[best] -= request->nodes[m].cpu;
	}
	(void)substrate;
out:
	lp_free(&lp);
	commodity_free(commodities, count);
	if (meta)
		for (uint32_t k = 0; k < request->link_count; k++)
			free(meta[k]);
	free(meta);
	free(candidates);
	free(ranked);
	free(from);
	free(to);
	free(queue);
	free(arc_cost);
	if (status)
		return status;
	return mcf_links(embedder, request, mapping);
}

/* ---- Exact MIP ----------------------------------------------------------------
 * x[m][w] binary for every substrate node w that fits m; a flow per virtual
 * link on every open substrate arc (binary; continuous in [0, 1] with
 * mip_split, except for latency-bounded links); node w's conservation row
 * for link (a, b): out - in - x[a][w] + x[b][w] = 0. Capacity, tags
 * (unsplit), latency; minimize the cost (CPU is constant) plus 1e-9 per
 * arc so that zero-bandwidth links take no detours. LANs: -ENOTSUP. */
int embed_mip(struct embedder *embedder, const struct embed_residual *residual,
	      const struct embed_request *request,
	      struct embed_mapping *mapping)
{
	struct embed_work *work = &embedder->work;
	const struct substrate *substrate = embedder->substrate;
	uint32_t n = work->node_count, vn = request->node_count;
	bool split = embedder->options.mip_split;
	for (uint32_t k = 0; k < request->link_count; k++)
		if (request->links[k].endpoint_count > 2)
			return -ENOTSUP;
	embed_work_load(work, residual);
	int *x = calloc((size_t)vn * n + 1, sizeof(int));
	struct commodity *commodities =
		calloc(request->link_count + 1, sizeof(*commodities));
	uint32_t *zero = calloc(n + 1, sizeof(uint32_t));
	double *arc_cost = malloc((work->link_count + 1) * sizeof(double));
	uint32_t count = 0;
	int status = 0;
	struct lp lp;
	lp_init(&lp);
	if (!x || !commodities || !zero || !arc_cost) {
		status = -ENOMEM;
		goto out;
	}
	for (uint32_t m = 0; m < vn; m++) {
		int row = lp_row(&lp, GLP_FX, 1, 1);
		for (uint32_t w = 0; w < n; w++) {
			if (!embed_work_node_fits(work, request, m, w))
				continue;
			x[(size_t)m * n + w] = lp_column(&lp, 0, 1, 0, true);
			lp_coefficient(&lp, row, x[(size_t)m * n + w], 1);
		}
	}
	for (uint32_t w = 0; w < n; w++) {
		int once = 0, cpu_row = 0;
		for (uint32_t m = 0; m < vn; m++) {
			int column = x[(size_t)m * n + w];
			if (!column)
				continue;
			if (!once) {
				once = lp_row(&lp, GLP_UP, 0, 1);
				cpu_row = lp_row(&lp, GLP_UP, 0,
						 embed_amount_to_double(work->cpu[w]));
			}
			lp_coefficient(&lp, once, column, 1);
			lp_coefficient(&lp, cpu_row, column,
				       embed_amount_to_double(request->nodes[m].cpu));
		}
	}
	for (uint32_t k = 0; k < request->link_count; k++) {
		const struct embed_virtual_link *link = &request->links[k];
		struct commodity *commodity = &commodities[count++];
		bool integer = !split || link->max_latency > 0;
		commodity->link = k;
		commodity->bandwidth = link->bandwidth;
		double cost = embed_amount_to_double(link->bandwidth) + 1e-9;
		for (uint32_t l = 0; l < work->link_count; l++)
			arc_cost[l] = cost;
		/* every arc: distances 0 and a limit no arc exceeds */
		status = commodity_arcs(&lp, work, commodity, zero, zero,
					UINT32_MAX,
					integer || link->bandwidth == 0 ?
						link->bandwidth : 1,
					integer,
					arc_cost);
		if (status == -ENOSPC)
			status = 0; /* no open arc: rows below stay empty */
		if (status)
			goto out;
		uint32_t a = link->endpoints[0], b = link->endpoints[1];
		for (uint32_t w = 0; w < n; w++) {
			int xa = x[(size_t)a * n + w], xb = x[(size_t)b * n + w];
			if (!xa && !xb)
				continue;
			if (!commodity->row[w])
				commodity->row[w] = lp_row(&lp, GLP_FX, 0, 0);
			if (xa)
				lp_coefficient(&lp, commodity->row[w], xa, -1);
			if (xb)
				lp_coefficient(&lp, commodity->row[w], xb, 1);
		}
		if (link->max_latency > 0) {
			int row = lp_row(&lp, GLP_UP, 0, link->max_latency + 1e-9);
			for (uint32_t l = 0; l < work->link_count; l++)
				for (int d = 0; d < 2; d++)
					if (commodity->column[2 * l + d])
						lp_coefficient(&lp, row,
							       commodity->column[2 * l + d],
							       substrate->links[l].latency);
		}
	}
	/* Tags: a row per link counting integer hops; split flows are checked
	 * when decomposed. */
	capacity_rows(&lp, work, commodities, count, !split, 0);
	status = mip_solve(&lp, embedder->options.mip_time_limit);
	if (status)
		goto out;
	for (uint32_t m = 0; m < vn; m++) {
		for (uint32_t w = 0; w < n; w++) {
			int column = x[(size_t)m * n + w];
			if (column && glp_mip_col_val(lp.problem, column) > 0.5)
				mapping->nodes[m] = w;
		}
		if (mapping->nodes[m] == SUBSTRATE_NONE) {
			status = -EIO;
			goto out;
		}
		work->node_taken[mapping->nodes[m]] = 1;
		work->cpu[mapping->nodes[m]] -= request->nodes[m].cpu;
	}
	for (uint32_t k = 0; k < count && !status; k++) {
		const struct embed_virtual_link *link =
			&request->links[commodities[k].link];
		commodities[k].source = mapping->nodes[link->endpoints[0]];
		commodities[k].target = mapping->nodes[link->endpoints[1]];
		status = decompose(&lp, work, &commodities[k], true, mapping);
	}
	if (!status)
		sort_flows(mapping);
out:
	lp_free(&lp);
	commodity_free(commodities, count);
	free(x);
	free(zero);
	free(arc_cost);
	return status;
}
