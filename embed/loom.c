/* Loom's own algorithm: joint node placement by beam search, scored by the
 * bandwidth-hops the links will cost, then link-mapped and compared.
 *
 * Why: in the standard workloads bandwidth is the scarce resource and the
 * cost of a request is sum of bandwidth x hops, so the hop length of the
 * virtual links drives both revenue/cost and (through what is left for
 * later requests) acceptance. The two-stage baselines rank substrate nodes
 * one at a time and only then look for paths; here every candidate
 * placement is scored by what its links would cost given the placement of
 * its neighbours so far.
 *
 *   1. Order the virtual nodes: the one of largest demand (CPU + adjacent
 *      bandwidth) first, then always the one with most bandwidth to those
 *      already ordered (so each placed node has placed neighbours to be
 *      near).
 *   2. Beam search: extend each of the `beam_width` best partial
 *      placements with the `beam_branch` best substrate nodes for the next
 *      virtual node; score = sum over placed neighbours of bandwidth x hop
 *      distance (on links with room for the request's smallest link and a
 *      free tag; a lower bound on the path's hops) + a pressure term that
 *      steers away from nodes and links the placement would drain.
 *   3. Link-map the best complete placements in score order (largest
 *      bandwidth first, min-hop paths preferring links with room, A* guided
 *      by the hop rows) and keep the cheapest feasible one; stop early at
 *      the lower bound (every link one hop).
 *   4. Admission control (below): at high load refuse an embedding whose
 *      own R/C is poor.
 * Ties everywhere are broken by index, so runs are deterministic.
 */
#include "embed_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct embed_loom_state {
	uint32_t node_count;
	uint8_t *rows;       /* node_count x node_count hop distances */
	uint32_t *row_stamp; /* row valid when == generation */
	uint32_t generation;
	uint32_t *queue;
	double *adjacent;    /* residual bandwidth adjacent to each node */
};

void embed_loom_free(struct embed_loom_state *state)
{
	if (!state)
		return;
	free(state->rows);
	free(state->row_stamp);
	free(state->queue);
	free(state->adjacent);
	free(state);
}

static struct embed_loom_state *loom_state(struct embedder *embedder)
{
	if (embedder->loom)
		return embedder->loom;
	uint32_t n = embedder->substrate->node_count;
	struct embed_loom_state *state = calloc(1, sizeof(*state));
	if (!state)
		return NULL;
	state->node_count = n;
	state->rows = malloc((size_t)n * n + 1);
	state->row_stamp = calloc(n + 1, sizeof(uint32_t));
	state->queue = malloc((n + 1) * sizeof(uint32_t));
	state->adjacent = calloc(n + 1, sizeof(double));
	if (!state->rows || !state->row_stamp || !state->queue ||
	    !state->adjacent) {
		embed_loom_free(state);
		return NULL;
	}
	embedder->loom = state;
	return state;
}

/* Hop distances from source over links with at least `bandwidth` residual
 * and a free tag, cached for the current request. */
static const uint8_t *distances_from(struct embed_loom_state *state,
				     const struct embed_work *work,
				     uint32_t source, embed_amount bandwidth)
{
	uint8_t *row = state->rows + (size_t)source * state->node_count;
	if (state->row_stamp[source] == state->generation)
		return row;
	const struct substrate *substrate = work->substrate;
	memset(row, 255, state->node_count);
	uint32_t head = 0, tail = 0;
	row[source] = 0;
	state->queue[tail++] = source;
	while (head < tail) {
		uint32_t node = state->queue[head++];
		if (row[node] >= 254)
			continue;
		for (uint32_t a = substrate->arc_start[node];
		     a < substrate->arc_start[node + 1]; a++) {
			uint32_t next = substrate->arcs[a].neighbour;
			if (row[next] != 255 ||
			    !embed_work_link_usable(work, substrate->arcs[a].link,
						    bandwidth))
				continue;
			row[next] = row[node] + 1;
			state->queue[tail++] = next;
		}
	}
	state->row_stamp[source] = state->generation;
	return row;
}

/* The rows as an A* guide for the link mapper. The residual in `work` is
 * the one the rows were computed from, or less: a row stays a lower bound.
 * Rows are symmetric (undirected links), so the row of the target gives
 * every node's distance to it. */
struct row_context {
	struct embed_loom_state *state;
	const struct embed_work *work;
	embed_amount bandwidth;
};

static const uint8_t *hop_row(void *context, uint32_t target)
{
	struct row_context *rows = context;
	return distances_from(rows->state, rows->work, target, rows->bandwidth);
}

/* Virtual adjacency as a dense bandwidth matrix (a LAN joins every two of
 * its endpoints with its bandwidth, which overstates a tree's cost but
 * keeps its members close). */
struct request_view {
	uint32_t n;
	double *bandwidth; /* n x n, units */
	double *demand;    /* CPU + adjacent bandwidth */
	uint32_t *order;
	embed_amount smallest;
};

static int request_view(const struct embed_request *request,
			struct request_view *view)
{
	uint32_t n = request->node_count;
	view->n = n;
	view->bandwidth = calloc((size_t)n * n + 1, sizeof(double));
	view->demand = calloc(n + 1, sizeof(double));
	view->order = malloc((n + 1) * sizeof(uint32_t));
	if (!view->bandwidth || !view->demand || !view->order)
		return -ENOMEM;
	view->smallest = INT64_MAX;
	for (uint32_t k = 0; k < request->link_count; k++) {
		const struct embed_virtual_link *link = &request->links[k];
		double bandwidth = embed_amount_to_double(link->bandwidth);
		if (link->bandwidth < view->smallest)
			view->smallest = link->bandwidth;
		for (uint32_t a = 0; a < link->endpoint_count; a++)
			for (uint32_t b = 0; b < link->endpoint_count; b++)
				if (a != b)
					view->bandwidth[(size_t)link->endpoints[a] * n +
							link->endpoints[b]] +=
						bandwidth;
	}
	if (view->smallest == INT64_MAX)
		view->smallest = 0;
	for (uint32_t v = 0; v < n; v++) {
		view->demand[v] = embed_amount_to_double(request->nodes[v].cpu);
		for (uint32_t u = 0; u < n; u++)
			view->demand[v] += view->bandwidth[(size_t)v * n + u];
	}
	/* Order: largest demand first, then most bandwidth to the ordered. */
	bool *placed = calloc(n + 1, sizeof(bool));
	double *attached = calloc(n + 1, sizeof(double));
	if (!placed || !attached) {
		free(placed);
		free(attached);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t best = UINT32_MAX;
		for (uint32_t v = 0; v < n; v++) {
			if (placed[v])
				continue;
			if (best == UINT32_MAX || attached[v] > attached[best] ||
			    (attached[v] == attached[best] &&
			     view->demand[v] > view->demand[best]))
				best = v;
		}
		placed[best] = true;
		view->order[i] = best;
		for (uint32_t v = 0; v < n; v++)
			attached[v] += view->bandwidth[(size_t)best * n + v];
	}
	free(placed);
	free(attached);
	return 0;
}

static void request_view_free(struct request_view *view)
{
	free(view->bandwidth);
	free(view->demand);
	free(view->order);
}

/* A partial placement: hosts of order[0 .. depth-1]. */
struct beam_state {
	double score;
	uint32_t *hosts; /* indexed by virtual node */
};

static int compare_states(const struct beam_state *a,
			  const struct beam_state *b, uint32_t n)
{
	if (a->score != b->score)
		return a->score < b->score ? -1 : 1;
	for (uint32_t v = 0; v < n; v++)
		if (a->hosts[v] != b->hosts[v])
			return a->hosts[v] < b->hosts[v] ? -1 : 1;
	return 0;
}

/* Insertion into a bounded sorted list of states (copies hosts). */
static void keep_best(struct beam_state *list, uint32_t *count,
		      uint32_t capacity, const struct beam_state *state,
		      uint32_t n)
{
	if (*count == capacity &&
	    compare_states(state, &list[capacity - 1], n) >= 0)
		return;
	uint32_t i = *count < capacity ? (*count)++ : capacity - 1;
	uint32_t *spare = list[i].hosts;
	while (i > 0 && compare_states(state, &list[i - 1], n) < 0) {
		list[i] = list[i - 1];
		i--;
	}
	list[i].score = state->score;
	list[i].hosts = spare;
	memcpy(spare, state->hosts, n * sizeof(uint32_t));
}

/* Pressure of putting v on s: the share of s's CPU and of its adjacent
 * bandwidth the request would take there, in the score's units
 * (bandwidth x hops). */
static double pressure(const struct embed_work *work,
		       const struct embed_loom_state *state, double weight,
		       const struct request_view *view,
		       const struct embed_request *request, uint32_t v,
		       uint32_t s)
{
	double cpu = embed_amount_to_double(request->nodes[v].cpu);
	double residual = embed_amount_to_double(work->cpu[s]);
	double bandwidth = view->demand[v] - cpu;
	return weight * (10.0 * cpu / (residual + 1) +
			 20.0 * bandwidth / (state->adjacent[s] + 1));
}

static bool host_used(const uint32_t *hosts, uint32_t n, uint32_t s)
{
	for (uint32_t v = 0; v < n; v++)
		if (hosts[v] == s)
			return true;
	return false;
}

/* Admission control. A detour costs more bandwidth than it earns, and
 * that bandwidth is lost to later requests only when bandwidth is scarce.
 * So the R/C an embedding must reach is loom_min_rc scaled by how loaded
 * the substrate's links are now: nothing is refused below a quarter of the
 * total bandwidth in use, the full threshold applies from half. */
static double admission_threshold(const struct embedder *embedder,
				  const struct embed_residual *residual)
{
	double used = 0, capacity = 0;
	for (uint32_t l = 0; l < embedder->substrate->link_count; l++) {
		capacity += (double)residual->bandwidth_capacity[l];
		used += (double)(residual->bandwidth_capacity[l] -
				 residual->bandwidth[l]);
	}
	double load = capacity > 0 ? used / capacity : 1;
	double scale = (load - 0.25) / 0.25;
	return embedder->options.loom_min_rc * fmax(0.0, fmin(1.0, scale));
}

int embed_loom(struct embedder *embedder, const struct embed_residual *residual,
	       const struct embed_request *request,
	       struct embed_mapping *mapping)
{
	struct embed_work *work = &embedder->work;
	const struct substrate *substrate = embedder->substrate;
	struct embed_loom_state *state = loom_state(embedder);
	uint32_t n = request->node_count, sn = work->node_count;
	uint32_t width = embedder->options.beam_width;
	uint32_t branch = embedder->options.beam_branch;
	uint32_t evaluate = embedder->options.beam_evaluate;
	if (!state)
		return -ENOMEM;
	if (++state->generation == 0) {
		memset(state->row_stamp, 0, sn * sizeof(uint32_t));
		state->generation = 1;
	}
	embed_work_load(work, residual);
	for (uint32_t s = 0; s < sn; s++) {
		embed_amount total = 0;
		for (uint32_t a = substrate->arc_start[s];
		     a < substrate->arc_start[s + 1]; a++)
			total += work->bandwidth[substrate->arcs[a].link];
		state->adjacent[s] = embed_amount_to_double(total);
	}
	struct request_view view = { 0 };
	uint32_t total_states = width + width * branch;
	struct beam_state *beam = calloc(width, sizeof(*beam));
	struct beam_state *next = calloc(width, sizeof(*next));
	uint32_t *host_pool = malloc((size_t)2 * width * n * sizeof(uint32_t) + 1);
	uint32_t *candidate = malloc(((size_t)sn + 1) * sizeof(uint32_t));
	double *candidate_score = malloc(((size_t)sn + 1) * sizeof(double));
	uint32_t *trial_hosts = malloc((n + 1) * sizeof(uint32_t));
	struct embed_mapping trial;
	embed_mapping_init(&trial);
	int status = request_view(request, &view);
	(void)total_states;
	if (status || !beam || !next || !host_pool || !candidate ||
	    !candidate_score || !trial_hosts) {
		status = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < width; i++) {
		beam[i].hosts = host_pool + (size_t)i * n;
		next[i].hosts = host_pool + (size_t)(width + i) * n;
	}
	uint32_t beam_count = 1;
	beam[0].score = 0;
	for (uint32_t v = 0; v < n; v++)
		beam[0].hosts[v] = SUBSTRATE_NONE;

	/* Beam search over the order. */
	for (uint32_t depth = 0; depth < n; depth++) {
		uint32_t v = view.order[depth], next_count = 0;
		for (uint32_t b = 0; b < beam_count; b++) {
			struct beam_state *parent = &beam[b];
			/* The `branch` cheapest candidates, kept sorted
			 * (score, then index) as the scan goes. */
			uint32_t count = 0;
			for (uint32_t s = 0; s < sn; s++) {
				if (!embed_work_node_fits(work, request, v, s) ||
				    host_used(parent->hosts, n, s))
					continue;
				double score = pressure(work, state,
							embedder->options.loom_pressure,
							&view, request, v, s);
				for (uint32_t u = 0; u < n; u++) {
					double bandwidth =
						view.bandwidth[(size_t)v * n + u];
					if (bandwidth <= 0 ||
					    parent->hosts[u] == SUBSTRATE_NONE)
						continue;
					const uint8_t *row = distances_from(
						state, work, parent->hosts[u],
						view.smallest);
					double hops = row[s] == 255 ? 1e3 : row[s];
					score += bandwidth * hops;
				}
				if (count == branch &&
				    score >= candidate_score[candidate[count - 1]])
					continue;
				uint32_t i = count < branch ? count++ : branch - 1;
				while (i > 0 &&
				       candidate_score[candidate[i - 1]] > score) {
					candidate[i] = candidate[i - 1];
					i--;
				}
				candidate[i] = s;
				candidate_score[s] = score;
			}
			for (uint32_t i = 0; i < count; i++) {
				uint32_t s = candidate[i];
				memcpy(trial_hosts, parent->hosts,
				       n * sizeof(uint32_t));
				trial_hosts[v] = s;
				struct beam_state child = {
					.score = parent->score +
						 candidate_score[s],
					.hosts = trial_hosts,
				};
				keep_best(next, &next_count, width, &child, n);
			}
		}
		if (!next_count) {
			status = -ENOSPC;
			goto out;
		}
		struct beam_state *swap = beam;
		beam = next;
		next = swap;
		beam_count = next_count;
	}

	/* Link-map the best placements; keep the cheapest feasible. The
	 * searches are guided by the hop rows of the beam (A*). */
	struct row_context rows = { state, work, view.smallest };
	/* every host's row now, from the untouched residual copy, so that
	 * no row is computed mid-evaluation from a depleted one */
	for (uint32_t b = 0; b < beam_count; b++)
		for (uint32_t v = 0; v < n; v++)
			distances_from(state, work, beam[b].hosts[v],
				       view.smallest);
	work->hop_row = hop_row;
	work->hop_context = &rows;
	double lower_bound = embed_request_revenue(request);
	double best_cost = HUGE_VAL;
	bool found = false;
	for (uint32_t b = 0; b < beam_count; b++) {
		if (found && b >= evaluate)
			break;
		embed_work_load(work, residual);
		if (embed_mapping_reset(&trial, n)) {
			status = -ENOMEM;
			goto out;
		}
		for (uint32_t v = 0; v < n; v++) {
			uint32_t s = beam[b].hosts[v];
			trial.nodes[v] = s;
			work->node_taken[s] = 1;
			work->cpu[s] -= request->nodes[v].cpu;
		}
		int mapped = embed_map_links(work, request, &trial,
					     EMBED_WEIGHT_BALANCED);
		if (mapped == -ENOMEM) {
			status = mapped;
			goto out;
		}
		if (mapped)
			continue;
		double cost = embed_mapping_cost(request, &trial);
		if (cost < best_cost) {
			best_cost = cost;
			found = true;
			if (embed_mapping_copy(mapping, &trial)) {
				status = -ENOMEM;
				goto out;
			}
			if (cost <= lower_bound + 1e-9)
				break;
		}
	}
	work->hop_row = NULL;
	status = found ? 0 : -ENOSPC;
	if (found && embedder->options.loom_min_rc > 0 &&
	    lower_bound < admission_threshold(embedder, residual) *
				  best_cost)
		status = -ENOSPC; /* admission control: too costly */
out:
	work->hop_row = NULL;
	request_view_free(&view);
	embed_mapping_free(&trial);
	free(beam);
	free(next);
	free(host_pool);
	free(candidate);
	free(candidate_score);
	free(trial_hosts);
	return status;
}
