/* The exact MIP against brute force on tiny instances (every injective
 * node map, every combination of simple paths), and every heuristic
 * against the MIP: feasible, never cheaper than the optimum (the
 * splitting ones against the MIP with splitting), and rejecting whatever
 * the MIP proves infeasible. */
#include "embed_test.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PATHS 64
#define MAX_LEN 8

struct brute {
	const struct substrate *substrate;
	const struct embed_request *request;
	embed_amount *capacity;
	embed_amount *used;
	uint32_t host[8];
	/* simple paths per virtual link for the current node map */
	uint32_t path_count[8];
	uint32_t paths[8][MAX_PATHS][MAX_LEN];
	uint32_t length[8][MAX_PATHS];
	double best;
};

static void enumerate(struct brute *b, uint32_t k, uint32_t at, uint32_t to,
		      uint32_t *stack, uint32_t depth, bool *on, double latency)
{
	const struct substrate *s = b->substrate;
	const struct embed_virtual_link *link = &b->request->links[k];
	if (at == to) {
		if (b->path_count[k] < MAX_PATHS) {
			memcpy(b->paths[k][b->path_count[k]], stack,
			       depth * sizeof(uint32_t));
			b->length[k][b->path_count[k]++] = depth;
		}
		return;
	}
	if (depth == MAX_LEN)
		return;
	for (uint32_t a = s->arc_start[at]; a < s->arc_start[at + 1]; a++) {
		uint32_t next = s->arcs[a].neighbour, l = s->arcs[a].link;
		double total = latency + s->links[l].latency;
		if (on[next] || (link->max_latency > 0 &&
				 total > link->max_latency + 1e-9))
			continue;
		on[next] = true;
		stack[depth] = l;
		enumerate(b, k, next, to, stack, depth + 1, on, total);
		on[next] = false;
	}
}

static void choose(struct brute *b, uint32_t k, double cost)
{
	if (cost >= b->best)
		return;
	if (k == b->request->link_count) {
		b->best = cost;
		return;
	}
	embed_amount bandwidth = b->request->links[k].bandwidth;
	for (uint32_t p = 0; p < b->path_count[k]; p++) {
		bool fits = true;
		for (uint32_t h = 0; h < b->length[k][p]; h++)
			fits &= b->used[b->paths[k][p][h]] + bandwidth <=
				b->capacity[b->paths[k][p][h]];
		if (!fits)
			continue;
		for (uint32_t h = 0; h < b->length[k][p]; h++)
			b->used[b->paths[k][p][h]] += bandwidth;
		choose(b, k + 1,
		       cost + embed_amount_to_double(bandwidth) * b->length[k][p]);
		for (uint32_t h = 0; h < b->length[k][p]; h++)
			b->used[b->paths[k][p][h]] -= bandwidth;
	}
}

static void place(struct brute *b, uint32_t v, bool *taken)
{
	const struct embed_request *request = b->request;
	if (v == request->node_count) {
		bool on[16] = { false };
		uint32_t stack[MAX_LEN];
		for (uint32_t k = 0; k < request->link_count; k++) {
			const struct embed_virtual_link *link = &request->links[k];
			b->path_count[k] = 0;
			on[b->host[link->endpoints[0]]] = true;
			enumerate(b, k, b->host[link->endpoints[0]],
				  b->host[link->endpoints[1]], stack, 0, on, 0);
			on[b->host[link->endpoints[0]]] = false;
		}
		choose(b, 0, embed_request_cpu_total(request));
		return;
	}
	for (uint32_t s = 0; s < b->substrate->node_count; s++) {
		if (taken[s] || embed_amount_from_double(b->substrate->nodes[s].cpu) <
					request->nodes[v].cpu)
			continue;
		taken[s] = true;
		b->host[v] = s;
		place(b, v + 1, taken);
		taken[s] = false;
	}
}

static double brute_force(const struct substrate *substrate,
			  const struct embed_request *request)
{
	struct brute *b = calloc(1, sizeof(*b));
	b->substrate = substrate;
	b->request = request;
	b->capacity = calloc(substrate->link_count, sizeof(embed_amount));
	b->used = calloc(substrate->link_count, sizeof(embed_amount));
	for (uint32_t l = 0; l < substrate->link_count; l++)
		b->capacity[l] = embed_amount_from_double(substrate->links[l].bandwidth);
	b->best = HUGE_VAL;
	bool taken[16] = { false };
	place(b, 0, taken);
	double best = b->best;
	free(b->capacity);
	free(b->used);
	free(b);
	return best;
}

static double solve(const struct substrate *substrate,
		    const struct embed_request *request,
		    enum embed_algorithm algorithm, bool split,
		    struct embed_checker *checker)
{
	struct embed_options options = { .mip_split = split };
	struct embedder *embedder = embedder_create(substrate, algorithm, &options);
	struct embed_residual *residual = embed_residual_create(substrate);
	struct embed_mapping mapping;
	embed_mapping_init(&mapping);
	int status = embedder_embed(embedder, residual, request, &mapping);
	double cost = HUGE_VAL;
	if (status == 0) {
		char detail[256];
		enum embed_violation violation = embed_checker_validate(
			checker, request, &mapping, false, detail, sizeof(detail));
		if (violation)
			fail_msg("%s: %s: %s", embed_algorithm_name(algorithm),
				 embed_violation_name(violation), detail);
		cost = embed_mapping_cost(request, &mapping);
	} else {
		assert_int_equal(status, -ENOSPC);
	}
	embed_mapping_free(&mapping);
	embed_residual_free(residual);
	embedder_free(embedder);
	return cost;
}

static void test_mip_against_brute_force(void **state)
{
	(void)state;
	uint64_t seed = 0x5eed1234abcdull;
	unsigned feasible = 0, infeasible = 0, split_cheaper = 0;
	for (int instance = 0; instance < 150; instance++) {
		uint32_t nodes = 4 + test_random(&seed, 3);
		struct substrate *substrate = test_random_substrate(
			&seed, nodes, 1 + test_random(&seed, 3), 3, 14, 3, 14);
		struct embed_request *request = test_random_request(
			&seed, 3 + test_random(&seed, 2), 9, 12);
		if (instance % 3 == 0)
			request->links[0].max_latency = 1 + test_random(&seed, 3);
		struct embed_checker *checker = embed_checker_create(substrate);
		double optimum = brute_force(substrate, request);
		double mip = solve(substrate, request, EMBED_ALGORITHM_MIP, false,
				   checker);
		if (isinf(optimum)) {
			assert_true(isinf(mip));
			infeasible++;
		} else {
			if (fabs(mip - optimum) > 1e-6)
				fail_msg("instance %d: MIP %.9f, brute force %.9f",
					 instance, mip, optimum);
			feasible++;
		}
		double split = solve(substrate, request, EMBED_ALGORITHM_MIP, true,
				     checker);
		if (split > mip + 1e-6)
			fail_msg("instance %d: split MIP %.9f above unsplit %.9f",
				 instance, split, mip);
		split_cheaper += split < mip - 1e-6;
		for (int a = 0; a < EMBED_ALGORITHM_COUNT; a++) {
			if (a == EMBED_ALGORITHM_MIP)
				continue;
			bool splits = a == EMBED_ALGORITHM_MCF ||
				      a == EMBED_ALGORITHM_DVINE;
			double bound = splits ? split : mip;
			double cost = solve(substrate, request, a, false, checker);
			if (cost < bound - 1e-6)
				fail_msg("instance %d: %s cost %.9f below the "
					 "optimum %.9f",
					 instance, embed_algorithm_name(a), cost,
					 bound);
		}
		embed_checker_free(checker);
		embed_request_free(request);
		substrate_free(substrate);
	}
	/* the instances must exercise both outcomes */
	assert_true(feasible >= 10);
	assert_true(infeasible >= 3);
	print_message("# %u feasible, %u infeasible, splitting cheaper in %u\n",
		      feasible, infeasible, split_cheaper);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mip_against_brute_force),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
