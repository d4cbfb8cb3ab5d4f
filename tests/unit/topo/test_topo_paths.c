/* Graph algorithms against brute force: on small random multigraphs every
 * simple path is enumerated, filtered by the same constraints, and sorted;
 * Dijkstra must return the cheapest cost, Yen's the k cheapest costs, BFS
 * the fewest hops. Also the model's construction rules. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "topo.h"

/* Test-local PRNG, independent of the library's. */
static uint64_t test_state = 0x9e3779b97f4a7c15ull;

static uint32_t test_random(uint32_t bound)
{
	test_state ^= test_state << 13;
	test_state ^= test_state >> 7;
	test_state ^= test_state << 17;
	return (uint32_t)(test_state % bound);
}

static struct substrate *random_graph(uint32_t nodes, uint32_t links)
{
	struct substrate *substrate = substrate_create("random");
	assert_non_null(substrate);
	for (uint32_t i = 0; i < nodes; i++) {
		struct substrate_node node = { .cpu = 10 };
		snprintf(node.id, sizeof(node.id), "n%u", i);
		assert_int_equal(substrate_add_node(substrate, &node), (int)i);
	}
	for (uint32_t i = 0; i < links; i++) {
		uint32_t a = test_random(nodes);
		uint32_t b = test_random(nodes - 1);
		if (b >= a)
			b++;
		struct substrate_link link = {
			.bandwidth = 1 + test_random(10),
			.latency = 1 + test_random(5),
		};
		int rc = substrate_add_link(substrate, &link,
					    (struct substrate_link_end){ a, NULL },
					    (struct substrate_link_end){ b, NULL });
		assert_int_equal(rc, (int)i);
	}
	assert_int_equal(substrate_finalize(substrate), 0);
	return substrate;
}

/* ---- Brute force -------------------------------------------------------- */

#define MAX_PATHS 20000
#define MAX_HOPS 16

struct brute {
	const struct substrate *substrate;
	const struct path_constraints *constraints;
	uint32_t target;
	bool on_path[64];
	double costs[MAX_PATHS];
	uint32_t hops[MAX_PATHS];
	uint32_t count;
};

static double cost_of(const struct substrate *substrate,
		      const struct path_constraints *constraints, uint32_t link)
{
	switch (constraints->metric) {
	case PATH_METRIC_LATENCY:
		return substrate->links[link].latency;
	case PATH_METRIC_WEIGHTS:
		return constraints->link_cost[link];
	default:
		return 1;
	}
}

static bool usable(const struct substrate *substrate,
		   const struct path_constraints *constraints, uint32_t link)
{
	double available = constraints->residual ? constraints->residual[link]
						 : substrate->links[link].bandwidth;
	if (available < constraints->min_bandwidth)
		return false;
	return !constraints->link_allowed ||
	       constraints->link_allowed(link, constraints->context);
}

static void brute_walk(struct brute *brute, uint32_t node, double cost,
		       double latency, uint32_t hops)
{
	if (node == brute->target) {
		assert_true(brute->count < MAX_PATHS);
		brute->costs[brute->count] = cost;
		brute->hops[brute->count] = hops;
		brute->count++;
		return;
	}
	const struct substrate *substrate = brute->substrate;
	const struct path_constraints *constraints = brute->constraints;
	brute->on_path[node] = true;
	for (uint32_t l = 0; l < substrate->link_count; l++) {
		const struct substrate_link *link = &substrate->links[l];
		if (link->ends[0].node != node && link->ends[1].node != node)
			continue;
		uint32_t next = substrate_link_other(link, node);
		if (brute->on_path[next] || !usable(substrate, constraints, l))
			continue;
		double next_latency = latency + link->latency;
		if (constraints->max_latency > 0 &&
		    next_latency > constraints->max_latency)
			continue;
		if (constraints->max_hops && hops + 1 > constraints->max_hops)
			continue;
		brute_walk(brute, next, cost + cost_of(substrate, constraints, l),
			   next_latency, hops + 1);
	}
	brute->on_path[node] = false;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void brute_force(struct brute *brute, const struct substrate *substrate,
			const struct path_constraints *constraints,
			uint32_t source, uint32_t target)
{
	memset(brute, 0, sizeof(*brute));
	brute->substrate = substrate;
	brute->constraints = constraints;
	brute->target = target;
	brute_walk(brute, source, 0, 0, 0);
	qsort(brute->costs, brute->count, sizeof(double), compare_double);
}

/* A returned path must be simple, joined, usable, within the bounds, and
 * carry its true cost and latency. */
static void check_path(const struct substrate *substrate,
		       const struct path_constraints *constraints,
		       const struct substrate_path *path, uint32_t source,
		       uint32_t target)
{
	assert_int_equal(path->nodes[0], source);
	assert_int_equal(path->nodes[path->hop_count], target);
	double cost = 0, latency = 0;
	for (uint32_t i = 0; i < path->hop_count; i++) {
		const struct substrate_link *link =
			&substrate->links[path->links[i]];
		assert_true((link->ends[0].node == path->nodes[i] &&
			     link->ends[1].node == path->nodes[i + 1]) ||
			    (link->ends[1].node == path->nodes[i] &&
			     link->ends[0].node == path->nodes[i + 1]));
		assert_true(usable(substrate, constraints, path->links[i]));
		cost += cost_of(substrate, constraints, path->links[i]);
		latency += link->latency;
		for (uint32_t j = 0; j < i + 1; j++)
			assert_int_not_equal(path->nodes[j], path->nodes[i + 1]);
	}
	assert_true(fabs(cost - path->cost) < 1e-9);
	assert_true(fabs(latency - path->latency) < 1e-9);
	if (constraints->max_latency > 0)
		assert_true(latency <= constraints->max_latency);
	if (constraints->max_hops)
		assert_true(path->hop_count <= constraints->max_hops);
}

static bool same_links(const struct substrate_path *a,
		       const struct substrate_path *b)
{
	return a->hop_count == b->hop_count &&
	       memcmp(a->links, b->links, a->hop_count * sizeof(uint32_t)) == 0;
}

static bool odd_links_only(uint32_t link, void *context)
{
	(void)context;
	return link % 3 != 0;
}

/* Builds one of several constraint settings for round `round`. Bounds are
 * set only with their own metric, where the pruned search is exact. */
static void make_constraints(struct path_constraints *constraints,
			     unsigned round, const struct substrate *substrate,
			     double *residual, double *weights)
{
	memset(constraints, 0, sizeof(*constraints));
	for (uint32_t l = 0; l < substrate->link_count; l++) {
		residual[l] = test_random(10);
		weights[l] = 0.5 + test_random(100) / 10.0;
	}
	switch (round % 6) {
	case 0:
		constraints->metric = PATH_METRIC_HOPS;
		break;
	case 1:
		constraints->metric = PATH_METRIC_LATENCY;
		break;
	case 2:
		constraints->metric = PATH_METRIC_WEIGHTS;
		constraints->link_cost = weights;
		constraints->residual = residual;
		constraints->min_bandwidth = 4;
		break;
	case 3:
		constraints->metric = PATH_METRIC_LATENCY;
		constraints->max_latency = 8;
		break;
	case 4:
		constraints->metric = PATH_METRIC_HOPS;
		constraints->max_hops = 3;
		constraints->min_bandwidth = 3;
		break;
	case 5:
		constraints->metric = PATH_METRIC_WEIGHTS;
		constraints->link_cost = weights;
		constraints->link_allowed = odd_links_only;
		break;
	}
}

static void test_paths_against_brute_force(void **state)
{
	(void)state;
	static struct brute brute;
	struct substrate_path paths[12];
	for (unsigned round = 0; round < 300; round++) {
		uint32_t nodes = 3 + test_random(6);
		uint32_t links = nodes - 1 + test_random(2 * nodes);
		struct substrate *substrate = random_graph(nodes, links);
		struct substrate_search *search = substrate_search_create(substrate);
		assert_non_null(search);
		double residual[64], weights[64];
		struct path_constraints constraints;
		make_constraints(&constraints, round, substrate, residual, weights);
		uint32_t source = test_random(nodes);
		uint32_t target = test_random(nodes - 1);
		if (target >= source)
			target++;
		brute_force(&brute, substrate, &constraints, source, target);

		struct substrate_path path;
		int rc = substrate_shortest_path(search, source, target,
						 &constraints, &path);
		if (brute.count == 0) {
			assert_int_equal(rc, -ENOENT);
		} else {
			assert_int_equal(rc, 0);
			check_path(substrate, &constraints, &path, source, target);
			assert_true(fabs(path.cost - brute.costs[0]) < 1e-9);
		}

		unsigned k = 1 + test_random(10);
		int found = substrate_k_shortest_paths(search, source, target, k,
						       &constraints, paths);
		uint32_t expected = brute.count < k ? brute.count : k;
		assert_int_equal(found, (int)expected);
		for (int i = 0; i < found; i++) {
			check_path(substrate, &constraints, &paths[i], source,
				   target);
			assert_true(fabs(paths[i].cost - brute.costs[i]) < 1e-9);
			for (int j = 0; j < i; j++)
				assert_false(same_links(&paths[i], &paths[j]));
		}

		/* BFS = fewest hops among usable, unbounded paths. */
		if (constraints.max_latency == 0) {
			uint32_t distance[64];
			substrate_hop_distances(search, source, &constraints,
						distance);
			uint32_t fewest = UINT32_MAX;
			for (uint32_t i = 0; i < brute.count; i++)
				if (brute.hops[i] < fewest)
					fewest = brute.hops[i];
			assert_int_equal(distance[target], fewest);
			assert_int_equal(distance[source], 0);
		}
		substrate_search_free(search);
		substrate_free(substrate);
	}
}

/* The tree's distances equal single-pair Dijkstra's, and its predecessor
 * links lead back to the source. */
static void test_shortest_path_tree(void **state)
{
	(void)state;
	struct substrate *substrate = random_graph(40, 90);
	struct substrate_search *search = substrate_search_create(substrate);
	struct path_constraints constraints = { .metric = PATH_METRIC_LATENCY };
	double distance[40];
	uint32_t predecessor[40];
	int reached = substrate_shortest_path_tree(search, 0, &constraints,
						   distance, predecessor);
	assert_true(reached >= 1);
	int counted = 0;
	for (uint32_t n = 0; n < 40; n++) {
		struct substrate_path path;
		int rc = substrate_shortest_path(search, 0, n, &constraints,
						 &path);
		if (isinf(distance[n])) {
			assert_int_equal(rc, -ENOENT);
			continue;
		}
		counted++;
		assert_int_equal(rc, 0);
		assert_true(fabs(path.cost - distance[n]) < 1e-9);
		double walked = 0;
		for (uint32_t at = n; at != 0;) {
			const struct substrate_link *link =
				&substrate->links[predecessor[at]];
			walked += link->latency;
			at = substrate_link_other(link, at);
		}
		assert_true(fabs(walked - distance[n]) < 1e-9);
	}
	assert_int_equal(counted, reached);
	assert_int_equal(predecessor[0], SUBSTRATE_NONE);
	substrate_search_free(search);
	substrate_free(substrate);
}

/* Many queries on one workspace give the same answers as fresh ones: the
 * generation stamps really forget. */
static void test_workspace_reuse(void **state)
{
	(void)state;
	struct substrate *substrate = random_graph(30, 70);
	struct substrate_search *shared = substrate_search_create(substrate);
	struct substrate_path paths[5], fresh_paths[5];
	for (int q = 0; q < 200; q++) {
		uint32_t s = test_random(30), t = test_random(30);
		int n = substrate_k_shortest_paths(shared, s, t, 5, NULL, paths);
		struct substrate_search *fresh = substrate_search_create(substrate);
		int m = substrate_k_shortest_paths(fresh, s, t, 5, NULL,
						   fresh_paths);
		assert_int_equal(n, m);
		for (int i = 0; i < n; i++)
			assert_true(same_links(&paths[i], &fresh_paths[i]));
		substrate_search_free(fresh);
	}
	substrate_search_free(shared);
	substrate_free(substrate);
}

static void test_path_copy_and_arguments(void **state)
{
	(void)state;
	struct substrate *substrate = random_graph(10, 25);
	struct substrate_search *search = substrate_search_create(substrate);
	struct substrate_path path;
	assert_int_equal(substrate_shortest_path(search, 0, 0, NULL, &path), 0);
	assert_int_equal(path.hop_count, 0);
	assert_int_equal(path.nodes[0], 0);
	assert_int_equal(substrate_shortest_path(search, 0, 10, NULL, &path),
			 -EINVAL);
	struct path_constraints weights = { .metric = PATH_METRIC_WEIGHTS };
	assert_int_equal(substrate_shortest_path(search, 0, 1, &weights, &path),
			 -EINVAL);
	struct path_constraints none = { .min_bandwidth = 1000 };
	assert_int_equal(substrate_shortest_path(search, 0, 1, &none, &path),
			 -ENOENT);
	assert_int_equal(substrate_k_shortest_paths(search, 0, 1, 3, &none,
						    (struct substrate_path[3]){}),
			 0);

	uint32_t t = 1;
	while (substrate_shortest_path(search, 0, t, NULL, &path) != 0 ||
	       path.hop_count < 2)
		t++;
	struct substrate_path *copy = substrate_path_copy(&path);
	assert_non_null(copy);
	/* The next query reuses the workspace; the copy must stay. */
	substrate_shortest_path(search, 3, 4, NULL, &path);
	assert_int_equal(copy->nodes[0], 0);
	assert_int_equal(copy->nodes[copy->hop_count], t);
	substrate_path_free(copy);
	/* A substrate still being built has no workspace. */
	struct substrate *open = substrate_create("open");
	assert_null(substrate_search_create(open));
	substrate_free(open);
	substrate_search_free(search);
	substrate_free(substrate);
}

/* ---- Model construction ------------------------------------------------- */

static void test_model_rules(void **state)
{
	(void)state;
	struct substrate *substrate = substrate_create("rules");
	struct substrate_node node = { .id = "a", .cpu = 4 };
	assert_int_equal(substrate_add_node(substrate, &node), 0);
	assert_int_equal(substrate_add_node(substrate, &node), -EEXIST);
	strcpy(node.id, "b");
	node.cpu = -1;
	assert_int_equal(substrate_add_node(substrate, &node), -EINVAL);
	node.cpu = NAN;
	assert_int_equal(substrate_add_node(substrate, &node), -EINVAL);
	node.cpu = 2;
	assert_int_equal(substrate_add_node(substrate, &node), 1);
	node.id[0] = '\0';
	assert_int_equal(substrate_add_node(substrate, &node), -EINVAL);

	assert_int_equal(substrate_add_port(substrate, 0, "eth0"), 0);
	assert_int_equal(substrate_add_port(substrate, 0, "eth0"), -EEXIST);
	assert_int_equal(substrate_add_port(substrate, 1, "eth0"), 0);
	assert_int_equal(substrate_add_port(substrate, 7, "eth0"), -EINVAL);

	struct substrate_link link = { .id = "ab", .bandwidth = 100,
				       .tags = { 100, 199 } };
	struct substrate_link_end a = { 0, "eth0" }, b = { 1, "eth0" };
	assert_int_equal(substrate_add_link(substrate, &link, a, b), 0);
	assert_int_equal(substrate_add_link(substrate, &link, a, b), -EEXIST);
	strcpy(link.id, "ab2");
	/* Same ports, overlapping VLANs: refused; disjoint: accepted. */
	link.tags = (struct tag_range){ 150, 250 };
	assert_int_equal(substrate_add_link(substrate, &link, a, b),
			 -EADDRINUSE);
	link.tags = (struct tag_range){ 200, 250 };
	assert_int_equal(substrate_add_link(substrate, &link, a, b), 1);
	/* Another kind uses another tag space. */
	strcpy(link.id, "ab3");
	link.kind = SUBSTRATE_LINK_IP;
	link.tags = (struct tag_range){ 100, 199 };
	assert_int_equal(substrate_add_link(substrate, &link, a, b), 2);
	strcpy(link.id, "ab4");
	link.tags = (struct tag_range){ 0, 0 }; /* whole VNI range */
	assert_int_equal(substrate_add_link(substrate, &link, a, b),
			 -EADDRINUSE);
	link.kind = SUBSTRATE_LINK_ETHERNET;
	link.tags = (struct tag_range){ 4000, 4095 };
	assert_int_equal(substrate_add_link(substrate, &link, a, b), -EINVAL);
	link.tags = (struct tag_range){ 0, 0 };
	struct substrate_link_end missing = { 1, "eth9" };
	assert_int_equal(substrate_add_link(substrate, &link, a, missing),
			 -ENOENT);
	struct substrate_link_end loop = { 0, NULL };
	assert_int_equal(substrate_add_link(substrate, &link, a, loop), -EINVAL);
	link.bandwidth = -5;
	assert_int_equal(substrate_add_link(substrate, &link,
					    (struct substrate_link_end){ 0, NULL },
					    (struct substrate_link_end){ 1, NULL }),
			 -EINVAL);
	/* Failed calls made no ports. */
	assert_int_equal(substrate->nodes[0].port_count, 1);
	link.bandwidth = 5;
	link.id[0] = '\0';
	assert_int_equal(substrate_add_link(substrate, &link,
					    (struct substrate_link_end){ 0, NULL },
					    (struct substrate_link_end){ 1, "" }),
			 3);
	assert_string_equal(substrate->links[3].id, "l3");
	assert_string_equal(substrate->nodes[0].ports[1].name, "p1");
	assert_int_equal(substrate->links[3].tags.first, SUBSTRATE_VLAN_MIN);
	assert_int_equal(substrate->links[3].tags.last, SUBSTRATE_VLAN_MAX);

	assert_int_equal(substrate_finalize(substrate), 0);
	assert_int_equal(substrate->component_count, 1);
	assert_int_equal(substrate->arc_start[2] - substrate->arc_start[1], 4);
	assert_int_equal(substrate_add_node(substrate, &node), -EBUSY);
	assert_int_equal(substrate_node_lookup(substrate, "b"), 1);
	assert_int_equal(substrate_node_lookup(substrate, "zz"), -1);
	assert_int_equal(substrate_link_lookup(substrate, "ab3"), 2);
	assert_int_equal(substrate_port_lookup(substrate, 1, "eth0"), 0);
	assert_true(fabs(substrate_total_cpu(substrate) - 6) < 1e-12);
	assert_true(fabs(substrate_total_bandwidth(substrate) - 305) < 1e-12);
	substrate_free(substrate);
}

/* Lookups stay right across many hash table growths; components count. */
static void test_many_ids(void **state)
{
	(void)state;
	struct substrate *substrate = substrate_create(NULL);
	for (uint32_t i = 0; i < 5000; i++) {
		struct substrate_node node = { .cpu = 1 };
		snprintf(node.id, sizeof(node.id), "node-%u", i);
		assert_int_equal(substrate_add_node(substrate, &node), (int)i);
	}
	/* Pairs (2i, 2i+1): 2500 components. */
	for (uint32_t i = 0; i < 2500; i++) {
		struct substrate_link link = { .bandwidth = 1 };
		assert_int_equal(substrate_add_link(substrate, &link,
						    (struct substrate_link_end){ 2 * i, NULL },
						    (struct substrate_link_end){ 2 * i + 1, NULL }),
				 (int)i);
	}
	assert_int_equal(substrate_finalize(substrate), 0);
	assert_int_equal(substrate->component_count, 2500);
	for (uint32_t i = 0; i < 5000; i += 7) {
		char id[32];
		snprintf(id, sizeof(id), "node-%u", i);
		assert_int_equal(substrate_node_lookup(substrate, id), (int)i);
		snprintf(id, sizeof(id), "l%u", i / 2);
		assert_int_equal(substrate_link_lookup(substrate, id), (int)(i / 2));
	}
	substrate_free(substrate);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_rules),
		cmocka_unit_test(test_many_ids),
		cmocka_unit_test(test_paths_against_brute_force),
		cmocka_unit_test(test_shortest_path_tree),
		cmocka_unit_test(test_workspace_reuse),
		cmocka_unit_test(test_path_copy_and_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
