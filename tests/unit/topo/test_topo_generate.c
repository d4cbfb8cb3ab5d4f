/* Generators: the shape each promises (counts, degrees, connectivity),
 * capacities inside their ranges, the same substrate for the same seed and
 * a different one for another seed; the PRNG's known sequence; DOT and SVG
 * pictures. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "topo.h"

static void assert_capacities(const struct substrate *substrate,
			      double cpu_minimum, double cpu_maximum,
			      double bandwidth_minimum, double bandwidth_maximum)
{
	for (uint32_t n = 0; n < substrate->node_count; n++)
		assert_true(substrate->nodes[n].cpu >= cpu_minimum &&
			    substrate->nodes[n].cpu <= cpu_maximum);
	for (uint32_t l = 0; l < substrate->link_count; l++)
		assert_true(substrate->links[l].bandwidth >= bandwidth_minimum &&
			    substrate->links[l].bandwidth <= bandwidth_maximum);
}

static bool same_substrate(const struct substrate *a,
			   const struct substrate *b)
{
	if (a->node_count != b->node_count || a->link_count != b->link_count)
		return false;
	for (uint32_t n = 0; n < a->node_count; n++)
		if (a->nodes[n].cpu != b->nodes[n].cpu ||
		    a->nodes[n].x != b->nodes[n].x)
			return false;
	for (uint32_t l = 0; l < a->link_count; l++)
		if (a->links[l].bandwidth != b->links[l].bandwidth ||
		    a->links[l].latency != b->links[l].latency ||
		    a->links[l].ends[0].node != b->links[l].ends[0].node ||
		    a->links[l].ends[1].node != b->links[l].ends[1].node)
			return false;
	return true;
}

/* No two links join the same pair: generators make simple graphs. */
static void assert_simple(const struct substrate *substrate)
{
	for (uint32_t n = 0; n < substrate->node_count; n++)
		for (uint32_t a = substrate->arc_start[n];
		     a < substrate->arc_start[n + 1]; a++)
			for (uint32_t b = a + 1; b < substrate->arc_start[n + 1]; b++)
				assert_int_not_equal(substrate->arcs[a].neighbour,
						     substrate->arcs[b].neighbour);
}

/* Reference values of xoshiro256** seeded by splitmix64 from 0, computed
 * independently from the published algorithms: the sequence must never
 * change, or every generated substrate changes with it. */
static void test_random_sequence(void **state)
{
	(void)state;
	struct topo_random random;
	topo_random_seed(&random, 0);
	/* splitmix64(0) state words, from the reference implementation. */
	assert_true(random.state[0] == 0xe220a8397b1dcdafull);
	assert_true(random.state[1] == 0x6e789e6aa1b965f4ull);
	assert_true(random.state[2] == 0x06c45d188009454full);
	assert_true(random.state[3] == 0xf88bb8a8724c81ecull);
	uint64_t first = topo_random_next(&random);
	/* result = rotl(s1 * 5, 7) * 9, on the state above. */
	uint64_t s1 = 0x6e789e6aa1b965f4ull * 5;
	assert_true(first == ((s1 << 7) | (s1 >> 57)) * 9);
	/* Uniform helpers stay in range and cover it. */
	double low = 1, high = 0;
	unsigned counts[7] = { 0 };
	for (int i = 0; i < 70000; i++) {
		double u = topo_random_unit(&random);
		assert_true(u >= 0 && u < 1);
		low = fmin(low, u);
		high = fmax(high, u);
		counts[topo_random_below(&random, 7)]++;
		double v = topo_random_uniform(&random, 50, 100);
		assert_true(v >= 50 && v <= 100);
	}
	assert_true(low < 0.001 && high > 0.999);
	for (int i = 0; i < 7; i++)
		assert_true(counts[i] > 9500 && counts[i] < 10500);
}

static void test_waxman(void **state)
{
	(void)state;
	struct waxman_options options = { .nodes = 100, .target_links = 500 };
	struct substrate *a = topo_generate_waxman(&options, 1);
	struct substrate *b = topo_generate_waxman(&options, 1);
	struct substrate *c = topo_generate_waxman(&options, 2);
	assert_non_null(a);
	assert_int_equal(a->node_count, 100);
	print_message("# waxman 100 nodes: %u links (seed 1), %u (seed 2)\n",
		      a->link_count, c->link_count);
	/* The expected count is 500; a binomial spread of a few %. */
	assert_true(a->link_count > 440 && a->link_count < 560);
	assert_int_equal(a->component_count, 1);
	assert_simple(a);
	assert_capacities(a, 50, 100, 50, 100);
	assert_true(same_substrate(a, b));
	assert_false(same_substrate(a, c));
	/* Latency is distance times 0.05 ms. */
	for (uint32_t l = 0; l < a->link_count; l++) {
		const struct substrate_node *x = &a->nodes[a->links[l].ends[0].node];
		const struct substrate_node *y = &a->nodes[a->links[l].ends[1].node];
		assert_true(fabs(a->links[l].latency -
				 0.05 * hypot(x->x - y->x, x->y - y->y)) < 1e-9);
	}
	substrate_free(a);
	substrate_free(b);
	substrate_free(c);

	/* A sparse one is still connected (components are joined). */
	struct waxman_options sparse = { .nodes = 200, .alpha = 0.02,
					 .beta = 0.1,
					 .capacities = { .cpu_minimum = 5,
							 .cpu_maximum = 6 } };
	struct substrate *s = topo_generate_waxman(&sparse, 3);
	assert_non_null(s);
	assert_int_equal(s->component_count, 1);
	assert_capacities(s, 5, 6, 50, 100);
	substrate_free(s);

	struct waxman_options bad = { .nodes = 10, .alpha = 2 };
	assert_null(topo_generate_waxman(&bad, 1));
	bad = (struct waxman_options){ .nodes = 0 };
	assert_null(topo_generate_waxman(&bad, 1));
}

static void test_barabasi_albert(void **state)
{
	(void)state;
	struct generator_capacities capacities = {
		.cpu_minimum = 1, .cpu_maximum = 2,
		.bandwidth_minimum = 1000, .bandwidth_maximum = 10000,
		.latency_minimum = 0.1, .latency_maximum = 0.2,
		.kind = SUBSTRATE_LINK_IP,
	};
	struct substrate *g = topo_generate_barabasi_albert(500, 3, &capacities, 5);
	assert_non_null(g);
	assert_int_equal(g->node_count, 500);
	/* A clique of 4 (6 links), then 3 links per further node. */
	assert_int_equal(g->link_count, 6 + 3 * 496);
	assert_int_equal(g->component_count, 1);
	assert_simple(g);
	assert_capacities(g, 1, 2, 1000, 10000);
	uint32_t max_degree = 0;
	for (uint32_t n = 0; n < g->node_count; n++) {
		uint32_t degree = g->arc_start[n + 1] - g->arc_start[n];
		assert_true(degree >= 3);
		if (degree > max_degree)
			max_degree = degree;
	}
	/* Preferential attachment grows hubs far above the mean (6). */
	assert_true(max_degree > 30);
	assert_int_equal(g->links[0].kind, SUBSTRATE_LINK_IP);
	assert_true(g->links[0].latency >= 0.1 && g->links[0].latency <= 0.2);
	struct substrate *again = topo_generate_barabasi_albert(500, 3,
								 &capacities, 5);
	assert_true(same_substrate(g, again));
	substrate_free(again);
	substrate_free(g);
	assert_null(topo_generate_barabasi_albert(3, 3, NULL, 1));
	assert_null(topo_generate_barabasi_albert(10, 0, NULL, 1));
}

static void test_grid_and_leaf_spine(void **state)
{
	(void)state;
	struct substrate *grid = topo_generate_grid(4, 6, NULL, 1);
	assert_non_null(grid);
	assert_int_equal(grid->node_count, 24);
	assert_int_equal(grid->link_count, 4 * 5 + 3 * 6);
	assert_int_equal(grid->component_count, 1);
	struct substrate_search *search = substrate_search_create(grid);
	uint32_t distance[24];
	substrate_hop_distances(search, 0, NULL, distance);
	/* Manhattan distance on the lattice. */
	for (uint32_t r = 0; r < 4; r++)
		for (uint32_t c = 0; c < 6; c++)
			assert_int_equal(distance[r * 6 + c], r + c);
	substrate_search_free(search);
	substrate_free(grid);

	struct substrate *fabric = topo_generate_leaf_spine(4, 16, NULL, 2);
	assert_non_null(fabric);
	assert_int_equal(fabric->node_count, 20);
	assert_int_equal(fabric->link_count, 64);
	int spine = substrate_node_lookup(fabric, "spine3");
	int leaf = substrate_node_lookup(fabric, "leaf15");
	assert_int_equal(spine, 3);
	assert_int_equal(leaf, 19);
	assert_true(fabric->nodes[spine].cpu == 0);
	assert_true(fabric->nodes[leaf].cpu >= 50);
	assert_int_equal(fabric->arc_start[spine + 1] - fabric->arc_start[spine], 16);
	assert_int_equal(fabric->arc_start[leaf + 1] - fabric->arc_start[leaf], 4);
	int link = substrate_link_lookup(fabric, "leaf15-spine3");
	assert_true(link >= 0);
	assert_string_equal(
		fabric->nodes[leaf].ports[fabric->links[link].ends[0].port].name,
		"up3");
	/* Leaf to leaf: two hops, k = 4 distinct paths (one per spine). */
	search = substrate_search_create(fabric);
	struct substrate_path paths[6];
	assert_int_equal(substrate_k_shortest_paths(search, 4, 5, 6, NULL, paths),
			 6);
	for (int i = 0; i < 4; i++)
		assert_int_equal(paths[i].hop_count, 2);
	assert_int_equal(paths[4].hop_count, 4);
	substrate_search_free(search);
	substrate_free(fabric);
	assert_null(topo_generate_grid(0, 3, NULL, 1));
	assert_null(topo_generate_leaf_spine(0, 3, NULL, 1));
	struct generator_capacities inverted = { .cpu_minimum = 5,
						 .cpu_maximum = 1 };
	assert_null(topo_generate_grid(2, 2, &inverted, 1));
}

static void test_dot_and_svg(void **state)
{
	(void)state;
	struct substrate *fabric = topo_generate_leaf_spine(2, 3, NULL, 1);
	double link_utilization[6] = { 0, 0.5, 1, 0.25, NAN, 2 };
	double node_utilization[5] = { 0.1, 0.2, 0.3, 0.4, 0.9 };
	struct dot_options options = { .link_utilization = link_utilization,
				       .node_utilization = node_utilization,
				       .title = "fabric \"now\"" };
	char *text = NULL;
	size_t size = 0;
	FILE *stream = open_memstream(&text, &size);
	assert_int_equal(substrate_write_dot(fabric, &options, stream), 0);
	fclose(stream);
	assert_non_null(strstr(text, "graph \"fabric \\\"now\\\"\" {"));
	/* Idle green, half yellow, full (and over-full) red, unknown grey. */
	assert_non_null(strstr(text, "\"leaf0\" -- \"spine0\" [color=\"#00ff00\""));
	assert_non_null(strstr(text, "\"leaf0\" -- \"spine1\" [color=\"#ffff00\""));
	assert_non_null(strstr(text, "\"leaf1\" -- \"spine0\" [color=\"#ff0000\""));
	assert_non_null(strstr(text, "\"leaf2\" -- \"spine0\" [color=\"#b0b0b0\""));
	assert_non_null(strstr(text, "\"leaf2\" -- \"spine1\" [color=\"#ff0000\""));
	assert_non_null(strstr(text, "\"leaf2\" [fillcolor=\"#ff3300\""));
	assert_non_null(strstr(text, "pos=\""));
	unsigned edges = 0;
	for (const char *p = text; (p = strstr(p, " -- ")); p++)
		edges++;
	assert_int_equal(edges, 6);
	free(text);

	char path[] = "/tmp/topo-svg-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	int rc = substrate_save_svg(fabric, &options, path);
	if (rc == -ENOENT) {
		print_message("# Graphviz not installed: SVG not checked\n");
	} else {
		assert_int_equal(rc, 0);
		FILE *svg = fopen(path, "r");
		char head[4096] = "";
		size_t got = fread(head, 1, sizeof(head) - 1, svg);
		head[got] = '\0';
		fclose(svg);
		assert_non_null(strstr(head, "<svg"));
	}
	unlink(path);
	/* No positions: dot lays it out. */
	struct substrate *ba = topo_generate_barabasi_albert(10, 2, NULL, 1);
	rc = substrate_save_svg(ba, NULL, path);
	assert_true(rc == 0 || rc == -ENOENT);
	unlink(path);
	assert_int_equal(substrate_save_dot(ba, NULL, "/nonexistent/x.dot"),
			 -ENOENT);
	substrate_free(ba);
	substrate_free(fabric);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sequence),
		cmocka_unit_test(test_waxman),
		cmocka_unit_test(test_barabasi_albert),
		cmocka_unit_test(test_grid_and_leaf_spine),
		cmocka_unit_test(test_dot_and_svg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
