/* Every algorithm under the independent checker: short online simulations
 * (every embedding, every departure, full release at the end), the exact
 * residual after one request, placement and latency constraints, LANs,
 * determinism, the event order at equal times, and the metrics on a
 * hand-computed run. */
#include "embed_test.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A small standard-shaped workload: Waxman substrate of `nodes`, requests
 * of 2-6 nodes at a load that rejects some. */
static void small_workload(struct embed_workload *workload, uint32_t nodes,
			   uint32_t requests, uint64_t seed)
{
	memset(workload, 0, sizeof(*workload));
	struct waxman_options waxman = {
		.nodes = nodes,
		.beta = 0.5,
		.target_links = nodes * 3,
		.capacities = { 50, 100, 50, 100, 0, 0, SUBSTRATE_LINK_ETHERNET },
	};
	workload->substrate = topo_generate_waxman(&waxman, seed);
	assert_non_null(workload->substrate);
	assert_int_equal(workload->substrate->component_count, 1);
	struct embed_request_profile profile = {
		.nodes_minimum = 2,
		.nodes_maximum = 6,
		.link_probability = 0.5,
		.cpu_minimum = 0,
		.cpu_maximum = 20,
		.bandwidth_minimum = 0,
		.bandwidth_maximum = 50,
		.arrival_rate = 0.1,
		.lifetime_mean = 400,
		.request_count = requests,
	};
	assert_int_equal(embed_generate_requests(&profile, seed, workload), 0);
	assert_int_equal(workload->request_count, requests);
}

static void test_every_algorithm_under_the_checker(void **state)
{
	(void)state;
	struct embed_workload workload;
	small_workload(&workload, 24, 80, 5);
	for (int a = 0; a < EMBED_ALGORITHM_COUNT; a++) {
		if (a == EMBED_ALGORITHM_MIP)
			continue; /* exact: tested on tiny instances */
		struct embedder *embedder =
			embedder_create(workload.substrate, a, NULL);
		assert_non_null(embedder);
		struct embed_simulation run;
		struct embed_simulation_options options = { .check = true };
		assert_int_equal(embed_simulate(&workload, embedder, &options,
						&run),
				 0);
		if (run.violation)
			fail_msg("%s: %s: %s", embed_algorithm_name(a),
				 embed_violation_name(run.violation),
				 run.violation_detail);
		assert_int_equal(run.metrics.arrived, 80);
		assert_int_equal(run.metrics.accepted + run.metrics.rejected, 80);
		/* loaded enough to reject, light enough to accept */
		assert_true(run.metrics.accepted > 20);
		assert_true(run.metrics.long_term_rc > 0 &&
			    run.metrics.long_term_rc <= 1 + 1e-9);
		assert_true(run.metrics.mean_hops >= 1);
		embed_simulation_free(&run);
		embedder_free(embedder);
	}
	embed_workload_free(&workload);
}

/* The MIP online too, on a substrate small enough to solve quickly. */
static void test_mip_online(void **state)
{
	(void)state;
	struct embed_workload workload;
	small_workload(&workload, 8, 25, 9);
	for (int split = 0; split < 2; split++) {
		struct embed_options options = { .mip_split = split };
		struct embedder *embedder = embedder_create(
			workload.substrate, EMBED_ALGORITHM_MIP, &options);
		struct embed_simulation run;
		assert_int_equal(embed_simulate(&workload, embedder, NULL, &run),
				 0);
		if (run.violation)
			fail_msg("mip: %s: %s", embed_violation_name(run.violation),
				 run.violation_detail);
		assert_true(run.metrics.accepted > 0);
		embed_simulation_free(&run);
		embedder_free(embedder);
	}
	embed_workload_free(&workload);
}

/* After one request the residual is capacity minus bandwidth x the links
 * of the chosen paths, exactly; links no flow crosses are untouched. (A
 * reference simulator charged every link its search explored.) */
static void test_exact_residual_after_one_request(void **state)
{
	(void)state;
	struct embed_workload workload;
	small_workload(&workload, 20, 12, 11);
	const struct substrate *substrate = workload.substrate;
	embed_amount *expected =
		malloc(substrate->link_count * sizeof(embed_amount));
	for (int a = 0; a < EMBED_ALGORITHM_COUNT; a++) {
		struct embedder *embedder = embedder_create(substrate, a, NULL);
		/* the MIP only on the first few (it is exact, hence slow) */
		uint32_t count = a == EMBED_ALGORITHM_MIP ? 2 : workload.request_count;
		for (uint32_t r = 0; r < count; r++) {
			const struct embed_request *request = workload.requests[r];
			struct embed_residual *residual =
				embed_residual_create(substrate);
			struct embed_mapping mapping;
			embed_mapping_init(&mapping);
			int status = embedder_embed(embedder, residual, request,
						    &mapping);
			assert_int_equal(status, 0); /* empty substrate */
			assert_int_equal(embed_residual_commit(residual, request,
							       &mapping),
					 0);
			for (uint32_t l = 0; l < substrate->link_count; l++)
				expected[l] = embed_amount_from_double(
					substrate->links[l].bandwidth);
			for (uint32_t f = 0; f < mapping.flow_count; f++)
				for (uint32_t h = 0; h < mapping.flows[f].hop_count;
				     h++)
					expected[mapping.links[mapping.flows[f].first +
							       h]] -=
						mapping.flows[f].bandwidth;
			for (uint32_t l = 0; l < substrate->link_count; l++)
				if (residual->bandwidth[l] != expected[l])
					fail_msg("%s: link %u: %lld != %lld",
						 embed_algorithm_name(a), l,
						 (long long)residual->bandwidth[l],
						 (long long)expected[l]);
			for (uint32_t n = 0; n < substrate->node_count; n++) {
				embed_amount cpu = embed_amount_from_double(
					substrate->nodes[n].cpu);
				for (uint32_t v = 0; v < request->node_count; v++)
					if (mapping.nodes[v] == n)
						cpu -= request->nodes[v].cpu;
				assert_true(residual->cpu[n] == cpu);
			}
			embed_residual_release(residual, request, &mapping);
			assert_true(embed_residual_is_full(residual));
			embed_mapping_free(&mapping);
			embed_residual_free(residual);
		}
		embedder_free(embedder);
	}
	free(expected);
	embed_workload_free(&workload);
}

/* Same seed, same everything; another seed, another run. */
static void test_determinism(void **state)
{
	(void)state;
	const enum embed_algorithm algorithms[] = {
		EMBED_ALGORITHM_LOOM, EMBED_ALGORITHM_GRC, EMBED_ALGORITHM_MCF,
		EMBED_ALGORITHM_NODERANK,
	};
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(*algorithms); i++) {
		struct embed_simulation runs[3];
		for (int r = 0; r < 3; r++) {
			struct embed_workload workload;
			small_workload(&workload, 20, 60, r < 2 ? 3 : 4);
			struct embedder *embedder = embedder_create(
				workload.substrate, algorithms[i], NULL);
			assert_int_equal(embed_simulate(&workload, embedder, NULL,
							&runs[r]),
					 0);
			assert_int_equal(runs[r].violation, EMBED_VIOLATION_NONE);
			embedder_free(embedder);
			embed_workload_free(&workload);
		}
		assert_int_equal(runs[0].metrics.accepted, runs[1].metrics.accepted);
		assert_memory_equal(runs[0].accepted, runs[1].accepted, 60);
		assert_memory_equal(runs[0].request_cost, runs[1].request_cost,
				    60 * sizeof(double));
		assert_true(runs[0].metrics.long_term_revenue ==
			    runs[1].metrics.long_term_revenue);
		assert_true(runs[0].metrics.revenue != runs[2].metrics.revenue);
		for (int r = 0; r < 3; r++)
			embed_simulation_free(&runs[r]);
	}
	/* the generators themselves */
	struct embed_workload a, b;
	assert_int_equal(embed_workload_build("b", 7, NULL, &a, NULL), 0);
	assert_int_equal(embed_workload_build("b", 7, NULL, &b, NULL), 0);
	assert_int_equal(a.request_count, 1000);
	assert_int_equal(a.substrate->link_count, b.substrate->link_count);
	for (uint32_t i = 0; i < a.request_count; i++) {
		assert_true(a.requests[i]->arrival == b.requests[i]->arrival);
		assert_true(a.requests[i]->lifetime == b.requests[i]->lifetime);
		assert_int_equal(a.requests[i]->link_count,
				 b.requests[i]->link_count);
	}
	embed_workload_free(&a);
	embed_workload_free(&b);
}

/* The standard setups have the shape the field describes. */
static void test_setup_shapes(void **state)
{
	(void)state;
	struct embed_workload workload;
	assert_int_equal(embed_workload_build("a", 1, NULL, &workload, NULL), 0);
	const struct substrate *substrate = workload.substrate;
	assert_int_equal(substrate->node_count, 100);
	assert_true(substrate->link_count > 430 && substrate->link_count < 570);
	assert_int_equal(substrate->component_count, 1);
	for (uint32_t n = 0; n < substrate->node_count; n++)
		assert_true(substrate->nodes[n].cpu >= 50 &&
			    substrate->nodes[n].cpu < 100);
	/* about 0.04 x 50,000 = 2,000 arrivals, all within the horizon */
	assert_true(workload.request_count > 1800 && workload.request_count < 2200);
	assert_true(workload.horizon == 50000);
	double nodes = 0, links = 0, pairs = 0, lifetime = 0;
	for (uint32_t i = 0; i < workload.request_count; i++) {
		const struct embed_request *request = workload.requests[i];
		assert_true(request->arrival <= 50000);
		assert_true(i == 0 ||
			    request->arrival >= workload.requests[i - 1]->arrival);
		assert_true(request->node_count >= 2 && request->node_count <= 10);
		nodes += request->node_count;
		links += request->link_count;
		pairs += request->node_count * (request->node_count - 1) / 2.0;
		lifetime += request->lifetime;
		for (uint32_t v = 0; v < request->node_count; v++)
			assert_true(request->nodes[v].cpu >= 0 &&
				    request->nodes[v].cpu <= 20 * EMBED_AMOUNT_SCALE);
		for (uint32_t k = 0; k < request->link_count; k++)
			assert_true(request->links[k].bandwidth <=
				    50 * EMBED_AMOUNT_SCALE);
	}
	nodes /= workload.request_count;
	lifetime /= workload.request_count;
	assert_true(fabs(nodes - 6) < 0.3);
	/* connected resampling pushes the link share a little above 0.5 */
	assert_true(links / pairs > 0.5 && links / pairs < 0.6);
	assert_true(fabs(lifetime - 1000) < 100);
	embed_workload_free(&workload);
	struct load_error error = { 0 };
	assert_int_equal(embed_workload_build("c", 1, NULL, &workload, &error),
			 -EINVAL);
	assert_non_null(strstr(error.message, "unknown setup"));
}

/* Departures before arrivals at one instant: the second request fits only
 * into what the first gives back at that instant. Metrics by hand. */
static void test_event_order_and_metrics(void **state)
{
	(void)state;
	const double cpu[] = { 10, 10, 10 };
	const struct test_link links[] = { { 0, 1, 10, 1, 0, 0 },
					   { 1, 2, 10, 1, 0, 0 } };
	struct embed_workload workload = { .horizon = 20 };
	workload.substrate = test_substrate(3, cpu, 2, links);
	workload.requests = calloc(3, sizeof(*workload.requests));
	const double request_cpu[] = { 10, 10 };
	/* r0: n0,n2-like shape needing 2 hops is possible; the greedy
	 * algorithms put its nodes anywhere, so make the node demand take a
	 * whole node: two nodes of 10, one link of 10 */
	const double request_link[] = { 0, 1, 10 };
	for (int i = 0; i < 3; i++) {
		workload.requests[i] = test_request(2, request_cpu, 1, request_link);
		workload.requests[i]->id = i;
	}
	workload.requests[0]->arrival = 0;
	workload.requests[0]->lifetime = 10;
	workload.requests[1]->arrival = 10; /* the instant r0 leaves */
	workload.requests[1]->lifetime = 30; /* past the horizon */
	workload.requests[2]->arrival = 15; /* everything taken */
	workload.requests[2]->lifetime = 1;
	workload.request_count = 3;
	struct embedder *embedder =
		embedder_create(workload.substrate, EMBED_ALGORITHM_LOOM, NULL);
	struct embed_simulation run;
	assert_int_equal(embed_simulate(&workload, embedder, NULL, &run), 0);
	assert_int_equal(run.violation, EMBED_VIOLATION_NONE);
	assert_true(run.accepted[0]);
	assert_true(run.accepted[1]);
	assert_false(run.accepted[2]);
	const struct embed_metrics *m = &run.metrics;
	assert_int_equal(m->accepted, 2);
	assert_true(fabs(m->acceptance - 2.0 / 3) < 1e-12);
	/* R = 20 + 10 = 30 each; C = 20 + 10 x 1 hop = 30 each; r0 lives
	 * [0, 10], r1 [10, 20] within the horizon 20 */
	assert_true(fabs(m->revenue - 60) < 1e-9);
	assert_true(fabs(m->cost - 60) < 1e-9);
	assert_true(fabs(m->long_term_revenue - 30) < 1e-9);
	assert_true(fabs(m->long_term_rc - 1) < 1e-12);
	/* used CPU 20 of 30 all the time; bandwidth 10 of 20 */
	assert_true(fabs(m->node_utilization - 2.0 / 3) < 1e-9);
	assert_true(fabs(m->link_utilization - 0.5) < 1e-9);
	assert_true(fabs(m->mean_hops - 1) < 1e-12);
	assert_int_equal(run.sample_count, 3);
	assert_true(fabs(run.samples[2].acceptance - 2.0 / 3) < 1e-12);
	assert_true(m->ms_p99 >= m->ms_mean * 0.0 && m->ms_p99 > 0);
	embed_simulation_free(&run);
	embedder_free(embedder);
	embed_workload_free(&workload);
}

/* Placement constraints, latency bounds and LANs, for every algorithm:
 * a feasible-by-construction request is mapped (except by algorithms that
 * refuse LANs) and the mapping is feasible. */
static void test_constraints_and_lans(void **state)
{
	(void)state;
	/* a ring of 6 with a chord; n<i> at (i, 0), sites s0/s1 */
	const double cpu[] = { 10, 10, 10, 10, 10, 10 };
	const struct test_link links[] = {
		{ 0, 1, 50, 1, 0, 0 }, { 1, 2, 50, 1, 0, 0 }, { 2, 3, 50, 1, 0, 0 },
		{ 3, 4, 50, 1, 0, 0 }, { 4, 5, 50, 1, 0, 0 }, { 5, 0, 50, 1, 0, 0 },
		{ 0, 3, 50, 5, 0, 0 },
	};
	struct substrate *substrate = test_substrate(6, cpu, 7, links);
	struct embed_request *request = embed_request_create("constrained");
	uint32_t allowed[] = { 4 };
	struct embed_virtual_node a = { .cpu = embed_amount_from_double(3),
					.allowed = allowed, .allowed_count = 1 };
	struct embed_virtual_node b = { .cpu = embed_amount_from_double(3),
					.site = "s1" };
	struct embed_virtual_node c = { .cpu = embed_amount_from_double(3),
					.has_position = true, .x = 0, .y = 0,
					.max_distance = 0.5 };
	struct embed_virtual_node d = { .cpu = embed_amount_from_double(3) };
	assert_int_equal(embed_request_add_node(request, &a), 0);
	assert_int_equal(embed_request_add_node(request, &b), 1);
	assert_int_equal(embed_request_add_node(request, &c), 2);
	assert_int_equal(embed_request_add_node(request, &d), 3);
	/* c must be on n0, a on n4; the bound 2 forbids the chord (5) and
	 * any path over 2 hops */
	uint32_t ac[] = { 0, 2 }, lan[] = { 1, 2, 3 };
	struct embed_virtual_link bounded = { .endpoint_count = 2,
					      .endpoints = ac,
					      .bandwidth = embed_amount_from_double(5),
					      .max_latency = 2 };
	struct embed_virtual_link shared = { .endpoint_count = 3,
					     .endpoints = lan,
					     .bandwidth = embed_amount_from_double(7) };
	assert_int_equal(embed_request_add_link(request, &bounded), 0);
	assert_int_equal(embed_request_add_link(request, &shared), 1);
	struct embed_checker *checker = embed_checker_create(substrate);
	struct embed_residual *residual = embed_residual_create(substrate);
	char detail[256];
	for (int alg = 0; alg < EMBED_ALGORITHM_COUNT; alg++) {
		struct embedder *embedder = embedder_create(substrate, alg, NULL);
		struct embed_mapping mapping;
		embed_mapping_init(&mapping);
		int status = embedder_embed(embedder, residual, request, &mapping);
		if (alg == EMBED_ALGORITHM_MIP) {
			assert_int_equal(status, -ENOTSUP);
		} else if (alg == EMBED_ALGORITHM_LOOM ||
			   alg == EMBED_ALGORITHM_DVINE ||
			   alg == EMBED_ALGORITHM_GRC) {
			if (status)
				fail_msg("%s rejected a feasible request",
					 embed_algorithm_name(alg));
		}
		if (status == 0) {
			enum embed_violation violation = embed_checker_validate(
				checker, request, &mapping, false, detail,
				sizeof(detail));
			if (violation)
				fail_msg("%s: %s: %s", embed_algorithm_name(alg),
					 embed_violation_name(violation), detail);
			assert_int_equal(mapping.nodes[0], 4);
			assert_int_equal(mapping.nodes[2], 0);
			assert_int_equal(mapping.nodes[1] % 2, 1);
		} else {
			assert_int_equal(status == -ENOSPC || status == -ENOTSUP, 1);
		}
		embed_mapping_free(&mapping);
		embedder_free(embedder);
	}
	/* a bound no path meets: everyone rejects */
	request->links[0].max_latency = 1.5;
	for (int alg = 0; alg < EMBED_ALGORITHM_COUNT; alg++) {
		struct embedder *embedder = embedder_create(substrate, alg, NULL);
		struct embed_mapping mapping;
		embed_mapping_init(&mapping);
		int status = embedder_embed(embedder, residual, request, &mapping);
		assert_true(status == -ENOSPC || status == -ENOTSUP);
		embed_mapping_free(&mapping);
		embedder_free(embedder);
	}
	/* more virtual nodes than substrate nodes: no co-location */
	struct embed_request *big = embed_request_create("big");
	for (int i = 0; i < 7; i++) {
		struct embed_virtual_node node = { .cpu = 0 };
		embed_request_add_node(big, &node);
	}
	struct embedder *embedder =
		embedder_create(substrate, EMBED_ALGORITHM_LOOM, NULL);
	struct embed_mapping mapping;
	embed_mapping_init(&mapping);
	assert_int_equal(embedder_embed(embedder, residual, big, &mapping),
			 -ENOSPC);
	embed_mapping_free(&mapping);
	embedder_free(embedder);
	embed_request_free(big);
	embed_residual_free(residual);
	embed_checker_free(checker);
	embed_request_free(request);
	substrate_free(substrate);
}

/* Tags are a resource: a link with two VLANs carries two virtual hops. */
static void test_tags_limit_acceptance(void **state)
{
	(void)state;
	const double cpu[] = { 100, 100 };
	const struct test_link links[] = { { 0, 1, 1000, 1, 300, 301 } };
	struct substrate *substrate = test_substrate(2, cpu, 1, links);
	struct embed_workload workload = { .substrate = substrate,
					   .horizon = 100 };
	workload.requests = calloc(3, sizeof(*workload.requests));
	const double request_cpu[] = { 1, 1 };
	const double request_link[] = { 0, 1, 1 };
	for (int i = 0; i < 3; i++) {
		workload.requests[i] = test_request(2, request_cpu, 1, request_link);
		workload.requests[i]->id = i;
		workload.requests[i]->arrival = i;
		workload.requests[i]->lifetime = 50;
	}
	workload.request_count = 3;
	for (int alg = 0; alg < EMBED_ALGORITHM_COUNT; alg++) {
		struct embedder *embedder = embedder_create(substrate, alg, NULL);
		struct embed_simulation run;
		assert_int_equal(embed_simulate(&workload, embedder, NULL, &run), 0);
		assert_int_equal(run.violation, EMBED_VIOLATION_NONE);
		if (run.metrics.accepted != 2)
			fail_msg("%s accepted %u", embed_algorithm_name(alg),
				 run.metrics.accepted);
		embed_simulation_free(&run);
		embedder_free(embedder);
	}
	embed_workload_free(&workload);
}

/* Reports: the JSON keys the benchmark contract names, one CSV line per
 * run, two polylines (one per panel) per run in the SVG. */
static void test_reports(void **state)
{
	(void)state;
	struct embed_workload workload;
	small_workload(&workload, 12, 30, 2);
	struct embed_simulation runs[2];
	struct embed_report_row rows[2];
	for (int i = 0; i < 2; i++) {
		enum embed_algorithm algorithm =
			i ? EMBED_ALGORITHM_GRC : EMBED_ALGORITHM_LOOM;
		struct embedder *embedder =
			embedder_create(workload.substrate, algorithm, NULL);
		assert_int_equal(embed_simulate(&workload, embedder, NULL, &runs[i]),
				 0);
		embedder_free(embedder);
		rows[i] = (struct embed_report_row){ "small",
						     embed_algorithm_name(algorithm),
						     2, &runs[i] };
	}
	char *text = NULL;
	size_t size = 0;
	FILE *stream = open_memstream(&text, &size);
	assert_int_equal(embed_report_json(rows, 2, stream), 0);
	fclose(stream);
	static const char *const keys[] = { "\"setup\": \"small\"",
					    "\"algorithm\": \"grc\"",
					    "\"acceptance\": ", "\"rc\": ",
					    "\"lar\": ", "\"ms_mean\": ",
					    "\"ms_p99\": " };
	for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++)
		assert_non_null(strstr(text, keys[k]));
	assert_int_equal(text[0], '[');
	free(text);
	stream = open_memstream(&text, &size);
	assert_int_equal(embed_report_csv(rows, 2, stream), 0);
	fclose(stream);
	int lines = 0;
	for (char *c = text; *c; c++)
		lines += *c == '\n';
	assert_int_equal(lines, 3);
	assert_non_null(strstr(text, "small,loom,2,30,"));
	free(text);
	stream = open_memstream(&text, &size);
	assert_int_equal(embed_report_svg(rows, 2, "t <&>", stream), 0);
	fclose(stream);
	int polylines = 0;
	for (char *c = text; (c = strstr(c, "<polyline")); c++)
		polylines++;
	assert_int_equal(polylines, 4);
	assert_non_null(strstr(text, "t &lt;&amp;&gt;"));
	assert_non_null(strstr(text, "</svg>"));
	free(text);
	for (int i = 0; i < 2; i++)
		embed_simulation_free(&runs[i]);
	embed_workload_free(&workload);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_algorithm_under_the_checker),
		cmocka_unit_test(test_mip_online),
		cmocka_unit_test(test_exact_residual_after_one_request),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_setup_shapes),
		cmocka_unit_test(test_event_order_and_metrics),
		cmocka_unit_test(test_constraints_and_lans),
		cmocka_unit_test(test_tags_limit_acceptance),
		cmocka_unit_test(test_reports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
