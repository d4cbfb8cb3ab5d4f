/* The independent checker catches every kind of violation, each on a
 * hand-made bad embedding; the residual state commits and releases
 * exactly, refuses overdraws without side effects, and allocates tags
 * lowest-first within each link's range. */
#include "embed_test.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/*   n0 --l0-- n1 --l1-- n2 --l3-- n3 --l4-- n4
 *    \________l2_______/   (l3: VLANs 100-101 only; l2: 5 Mbit/s)   */
static const double cpus[] = { 10, 10, 10, 10, 5 };
static const struct test_link links[] = {
	{ 0, 1, 10, 1, 0, 0 }, { 1, 2, 10, 1, 0, 0 }, { 0, 2, 5, 1, 0, 0 },
	{ 2, 3, 10, 1, 100, 101 }, { 3, 4, 10, 1, 0, 0 },
};

struct fixture {
	struct substrate *substrate;
	struct embed_checker *checker;
	struct embed_request *request; /* v0 (4), v1 (4), e0 v0-v1 (3) */
	struct embed_mapping mapping;
	char detail[256];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->substrate = test_substrate(5, cpus, 5, links);
	f->checker = embed_checker_create(f->substrate);
	const double request_cpu[] = { 4, 4 };
	const double request_links[] = { 0, 1, 3 };
	f->request = test_request(2, request_cpu, 1, request_links);
	embed_mapping_init(&f->mapping);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	embed_mapping_free(&f->mapping);
	embed_request_free(f->request);
	embed_checker_free(f->checker);
	substrate_free(f->substrate);
	free(f);
	return 0;
}

/* v0 on a, v1 on b, e0 over the given links (bandwidth 3). */
static struct embed_mapping *map(struct fixture *f, uint32_t a, uint32_t b,
				 const uint32_t *path, uint32_t hops)
{
	assert_int_equal(embed_mapping_reset(&f->mapping, 2), 0);
	f->mapping.nodes[0] = a;
	f->mapping.nodes[1] = b;
	assert_int_equal(embed_mapping_add_flow(&f->mapping, 0, false,
						f->request->links[0].bandwidth,
						path, hops),
			 0);
	return &f->mapping;
}

static enum embed_violation validate(struct fixture *f)
{
	return embed_checker_validate(f->checker, f->request, &f->mapping,
				      false, f->detail, sizeof(f->detail));
}

static void test_good_mapping(void **state)
{
	struct fixture *f = *state;
	const uint32_t path[] = { 0, 1 };
	map(f, 0, 2, path, 2);
	assert_int_equal(validate(f), EMBED_VIOLATION_NONE);
	assert_true(fabs(embed_mapping_cost(f->request, &f->mapping) -
			 (8 + 3 * 2)) < 1e-12);
	assert_true(fabs(embed_request_revenue(f->request) - 11) < 1e-12);
}

static void test_structure_violations(void **state)
{
	struct fixture *f = *state;
	const uint32_t one[] = { 0 }, wrong_start[] = { 1 },
		       back_and_forth[] = { 0, 0 }, bad_index[] = { 99 };
	map(f, 0, 1, one, 1);
	f->mapping.node_count = 1;
	assert_int_equal(validate(f), EMBED_VIOLATION_MALFORMED);

	map(f, 0, 1, one, 1);
	f->mapping.nodes[1] = SUBSTRATE_NONE;
	assert_int_equal(validate(f), EMBED_VIOLATION_UNMAPPED_NODE);

	map(f, 0, 0, NULL, 0);
	assert_int_equal(validate(f), EMBED_VIOLATION_COLOCATION);

	map(f, 0, 2, one, 1); /* ends at n1, not n2 */
	assert_int_equal(validate(f), EMBED_VIOLATION_BROKEN_PATH);
	map(f, 0, 2, wrong_start, 1); /* l1 does not leave n0 */
	assert_int_equal(validate(f), EMBED_VIOLATION_BROKEN_PATH);
	map(f, 0, 1, NULL, 0); /* no hop at all */
	assert_int_equal(validate(f), EMBED_VIOLATION_BROKEN_PATH);

	map(f, 0, 2, back_and_forth, 2); /* n0 n1 n0 */
	assert_int_equal(validate(f), EMBED_VIOLATION_LOOP);

	map(f, 0, 1, bad_index, 1);
	assert_int_equal(validate(f), EMBED_VIOLATION_MALFORMED);

	/* a path where a tree is due is malformed */
	map(f, 0, 1, one, 1);
	f->mapping.flows[0].tree = true;
	assert_int_equal(validate(f), EMBED_VIOLATION_MALFORMED);

	/* flows out of link order: a second flow naming no link */
	map(f, 0, 1, one, 1);
	assert_int_equal(embed_mapping_add_flow(&f->mapping, 5, false, 0, one, 1),
			 0);
	assert_int_equal(validate(f), EMBED_VIOLATION_MALFORMED);
}

static void test_split_sum(void **state)
{
	struct fixture *f = *state;
	const uint32_t direct[] = { 2 }, around[] = { 0, 1 };
	embed_amount third = f->request->links[0].bandwidth / 3;
	assert_int_equal(embed_mapping_reset(&f->mapping, 2), 0);
	f->mapping.nodes[0] = 0;
	f->mapping.nodes[1] = 2;
	embed_mapping_add_flow(&f->mapping, 0, false, third, direct, 1);
	embed_mapping_add_flow(&f->mapping, 0, false, 2 * third - 1, around, 2);
	assert_int_equal(validate(f), EMBED_VIOLATION_SPLIT_SUM);
	f->mapping.flows[1].bandwidth = f->request->links[0].bandwidth - third;
	assert_int_equal(validate(f), EMBED_VIOLATION_NONE);
	/* no flow at all for the link */
	f->mapping.flow_count = 0;
	assert_int_equal(validate(f), EMBED_VIOLATION_SPLIT_SUM);
}

static void test_capacity_violations(void **state)
{
	struct fixture *f = *state;
	const uint32_t direct[] = { 2 };
	f->request->nodes[0].cpu = embed_amount_from_double(10.000001);
	map(f, 0, 2, direct, 1);
	assert_int_equal(validate(f), EMBED_VIOLATION_CPU);
	f->request->nodes[0].cpu = embed_amount_from_double(10);
	assert_int_equal(validate(f), EMBED_VIOLATION_NONE);

	f->request->links[0].bandwidth = embed_amount_from_double(5.000001);
	map(f, 0, 2, direct, 1);
	assert_int_equal(validate(f), EMBED_VIOLATION_BANDWIDTH);
	f->request->links[0].bandwidth = embed_amount_from_double(5);
	map(f, 0, 2, direct, 1);
	assert_int_equal(validate(f), EMBED_VIOLATION_NONE);

	/* capacity counts what live requests hold: two of 3 on l2 (5) */
	f->request->links[0].bandwidth = embed_amount_from_double(3);
	f->request->nodes[0].cpu = embed_amount_from_double(4);
	map(f, 0, 2, direct, 1);
	f->request->id = 1;
	assert_int_equal(embed_checker_arrive(f->checker, f->request,
					      &f->mapping, false, f->detail,
					      sizeof(f->detail)),
			 EMBED_VIOLATION_NONE);
	f->request->id = 2;
	map(f, 1, 2, (const uint32_t[]){ 1 }, 1); /* l1 is fine */
	assert_int_equal(validate(f), EMBED_VIOLATION_NONE);
	map(f, 0, 2, direct, 1);
	assert_int_equal(validate(f), EMBED_VIOLATION_BANDWIDTH);
	/* n0 has 6 CPU left: a request needing 7 there fails */
	f->request->nodes[0].cpu = embed_amount_from_double(7);
	map(f, 0, 1, (const uint32_t[]){ 0 }, 1);
	assert_int_equal(validate(f), EMBED_VIOLATION_CPU);
	/* departure gives it back */
	f->request->nodes[0].cpu = embed_amount_from_double(4);
	f->request->id = 1;
	map(f, 0, 2, direct, 1);
	assert_int_equal(embed_checker_depart(f->checker, f->request,
					      &f->mapping, f->detail,
					      sizeof(f->detail)),
			 EMBED_VIOLATION_NONE);
	assert_int_equal(embed_checker_empty(f->checker, f->detail,
					     sizeof(f->detail)),
			 EMBED_VIOLATION_NONE);
	f->request->id = 2;
	map(f, 0, 2, direct, 1);
	assert_int_equal(validate(f), EMBED_VIOLATION_NONE);
}

static void test_placement(void **state)
{
	struct fixture *f = *state;
	const uint32_t one[] = { 0 };
	uint32_t allowed[] = { 1, 3 };
	struct embed_virtual_node *v0 = &f->request->nodes[0];
	map(f, 0, 1, one, 1);
	v0->allowed = allowed;
	v0->allowed_count = 2;
	assert_int_equal(validate(f), EMBED_VIOLATION_PLACEMENT);
	map(f, 1, 0, one, 1);
	assert_int_equal(validate(f), EMBED_VIOLATION_NONE);
	v0->allowed = NULL;
	v0->allowed_count = 0;
	/* sites: n<i> is at site s<i % 2> */
	snprintf(v0->site, sizeof(v0->site), "s0");
	assert_int_equal(validate(f), EMBED_VIOLATION_PLACEMENT);
	map(f, 0, 1, one, 1);
	assert_int_equal(validate(f), EMBED_VIOLATION_NONE);
	v0->site[0] = '\0';
	/* positions: n<i> at (i, 0) */
	v0->has_position = true;
	v0->x = 3;
	v0->y = 0;
	v0->max_distance = 2.5;
	assert_int_equal(validate(f), EMBED_VIOLATION_PLACEMENT); /* n0: 3 */
	map(f, 1, 0, one, 1);
	assert_int_equal(validate(f), EMBED_VIOLATION_NONE); /* n1: 2 */
	v0->has_position = false;
}

static void test_latency(void **state)
{
	struct fixture *f = *state;
	const uint32_t around[] = { 0, 1 }, direct[] = { 2 };
	f->request->links[0].max_latency = 1.5;
	map(f, 0, 2, around, 2);
	assert_int_equal(validate(f), EMBED_VIOLATION_LATENCY);
	map(f, 0, 2, direct, 1);
	assert_int_equal(validate(f), EMBED_VIOLATION_NONE);
	f->request->links[0].max_latency = 0;
}

static void test_tags(void **state)
{
	struct fixture *f = *state;
	const uint32_t over_l3[] = { 3 };
	map(f, 2, 3, over_l3, 1);
	f->mapping.tags[0] = 0; /* never assigned */
	assert_int_equal(embed_checker_validate(f->checker, f->request,
						&f->mapping, true, f->detail,
						sizeof(f->detail)),
			 EMBED_VIOLATION_TAG);
	f->mapping.tags[0] = 102; /* outside 100-101 */
	assert_int_equal(embed_checker_validate(f->checker, f->request,
						&f->mapping, true, f->detail,
						sizeof(f->detail)),
			 EMBED_VIOLATION_TAG);
	f->mapping.tags[0] = 101;
	f->request->id = 7;
	assert_int_equal(embed_checker_arrive(f->checker, f->request,
					      &f->mapping, true, f->detail,
					      sizeof(f->detail)),
			 EMBED_VIOLATION_NONE);
	/* 101 is now in use on l3 */
	struct embed_mapping other;
	embed_mapping_init(&other);
	embed_mapping_copy(&other, &f->mapping);
	f->request->id = 8;
	assert_int_equal(embed_checker_validate(f->checker, f->request, &other,
						true, f->detail,
						sizeof(f->detail)),
			 EMBED_VIOLATION_TAG);
	other.tags[0] = 100;
	assert_int_equal(embed_checker_validate(f->checker, f->request, &other,
						true, f->detail,
						sizeof(f->detail)),
			 EMBED_VIOLATION_NONE);
	/* one tag given to two hops of one mapping */
	struct embed_mapping twice;
	embed_mapping_init(&twice);
	embed_mapping_reset(&twice, 2);
	twice.nodes[0] = 2;
	twice.nodes[1] = 3;
	embed_amount half = f->request->links[0].bandwidth / 2;
	embed_mapping_add_flow(&twice, 0, false, half, over_l3, 1);
	embed_mapping_add_flow(&twice, 0, false,
			       f->request->links[0].bandwidth - half, over_l3, 1);
	twice.tags[0] = twice.tags[1] = 100;
	assert_int_equal(embed_checker_validate(f->checker, f->request, &twice,
						true, f->detail,
						sizeof(f->detail)),
			 EMBED_VIOLATION_TAG);
	embed_mapping_free(&twice);
	f->request->id = 7;
	assert_int_equal(embed_checker_depart(f->checker, f->request,
					      &f->mapping, f->detail,
					      sizeof(f->detail)),
			 EMBED_VIOLATION_NONE);
	embed_mapping_free(&other);
	assert_int_equal(embed_checker_empty(f->checker, f->detail,
					     sizeof(f->detail)),
			 EMBED_VIOLATION_NONE);
}

static void test_departures_and_leaks(void **state)
{
	struct fixture *f = *state;
	const uint32_t one[] = { 0 };
	map(f, 0, 1, one, 1);
	f->request->id = 3;
	assert_int_equal(embed_checker_depart(f->checker, f->request,
					      &f->mapping, f->detail,
					      sizeof(f->detail)),
			 EMBED_VIOLATION_NOT_LIVE);
	assert_int_equal(embed_checker_arrive(f->checker, f->request,
					      &f->mapping, false, f->detail,
					      sizeof(f->detail)),
			 EMBED_VIOLATION_NONE);
	/* the same request cannot arrive twice */
	assert_int_equal(embed_checker_arrive(f->checker, f->request,
					      &f->mapping, false, f->detail,
					      sizeof(f->detail)),
			 EMBED_VIOLATION_MALFORMED);
	assert_int_equal(embed_checker_empty(f->checker, f->detail,
					     sizeof(f->detail)),
			 EMBED_VIOLATION_LEAK);
	assert_int_equal(embed_checker_depart(f->checker, f->request,
					      &f->mapping, f->detail,
					      sizeof(f->detail)),
			 EMBED_VIOLATION_NONE);
	assert_int_equal(embed_checker_empty(f->checker, f->detail,
					     sizeof(f->detail)),
			 EMBED_VIOLATION_NONE);
}

/* The residual state against the checker's ledger. */
static void test_residual_exact(void **state)
{
	struct fixture *f = *state;
	struct embed_residual *residual = embed_residual_create(f->substrate);
	const uint32_t around[] = { 0, 1 };
	assert_true(embed_residual_is_full(residual));
	map(f, 0, 2, around, 2);
	f->request->id = 0;
	assert_int_equal(embed_residual_commit(residual, f->request, &f->mapping),
			 0);
	/* exactly capacity minus bandwidth on the path's links */
	assert_true(residual->bandwidth[0] ==
		    embed_amount_from_double(10) - f->request->links[0].bandwidth);
	assert_true(residual->bandwidth[1] ==
		    embed_amount_from_double(10) - f->request->links[0].bandwidth);
	for (uint32_t l = 2; l < 5; l++)
		assert_true(residual->bandwidth[l] ==
			    residual->bandwidth_capacity[l]);
	assert_true(residual->cpu[0] == embed_amount_from_double(6));
	assert_true(residual->cpu[2] == embed_amount_from_double(6));
	assert_true(residual->cpu[1] == embed_amount_from_double(10));
	assert_int_equal(residual->tags_free[0], 4093);
	/* the checker's ledger disagrees until told */
	assert_int_equal(embed_checker_compare(f->checker, residual, f->detail,
					       sizeof(f->detail)),
			 EMBED_VIOLATION_RESIDUAL);
	assert_int_equal(embed_checker_arrive(f->checker, f->request,
					      &f->mapping, true, f->detail,
					      sizeof(f->detail)),
			 EMBED_VIOLATION_NONE);
	assert_int_equal(embed_checker_compare(f->checker, residual, f->detail,
					       sizeof(f->detail)),
			 EMBED_VIOLATION_NONE);
	embed_residual_release(residual, f->request, &f->mapping);
	assert_true(embed_residual_is_full(residual));
	embed_checker_depart(f->checker, f->request, &f->mapping, f->detail,
			     sizeof(f->detail));
	assert_int_equal(embed_checker_compare(f->checker, residual, f->detail,
					       sizeof(f->detail)),
			 EMBED_VIOLATION_NONE);
	embed_residual_free(residual);
}

/* Awkward amounts that do not cancel in floating point still come back
 * bit for bit. */
static void test_residual_many_releases(void **state)
{
	struct fixture *f = *state;
	struct embed_residual *residual = embed_residual_create(f->substrate);
	struct embed_mapping held[6];
	struct embed_request *requests[6];
	const uint32_t path[] = { 0 };
	for (int i = 0; i < 6; i++) {
		const double cpu[] = { 0.1 * (i + 1), 0.3 };
		const double link[] = { 0, 1, 0.7 + 0.1 * i };
		requests[i] = test_request(2, cpu, 1, link);
		embed_mapping_init(&held[i]);
		embed_mapping_reset(&held[i], 2);
		held[i].nodes[0] = 0;
		held[i].nodes[1] = 1;
		embed_mapping_add_flow(&held[i], 0, false,
				       requests[i]->links[0].bandwidth, path, 1);
		assert_int_equal(embed_residual_commit(residual, requests[i],
						       &held[i]),
				 0);
	}
	/* release in a different order */
	const int order[] = { 3, 0, 5, 1, 4, 2 };
	for (int i = 0; i < 6; i++) {
		assert_false(embed_residual_is_full(residual));
		embed_residual_release(residual, requests[order[i]],
				       &held[order[i]]);
	}
	assert_true(embed_residual_is_full(residual));
	for (int i = 0; i < 6; i++) {
		embed_mapping_free(&held[i]);
		embed_request_free(requests[i]);
	}
	embed_residual_free(residual);
}

static void test_residual_refuses_without_side_effects(void **state)
{
	struct fixture *f = *state;
	struct embed_residual *residual = embed_residual_create(f->substrate);
	const uint32_t over_l3[] = { 1, 3 };
	struct embed_mapping held[3];
	/* l3 has two tags: the third mapping over it is refused */
	for (int i = 0; i < 3; i++) {
		embed_mapping_init(&held[i]);
		embed_mapping_reset(&held[i], 2);
		held[i].nodes[0] = 1;
		held[i].nodes[1] = 3;
		embed_mapping_add_flow(&held[i], 0, false,
				       f->request->links[0].bandwidth, over_l3, 2);
		f->request->nodes[0].cpu = embed_amount_from_double(1);
		f->request->nodes[1].cpu = embed_amount_from_double(1);
		int status = embed_residual_commit(residual, f->request, &held[i]);
		assert_int_equal(status, i < 2 ? 0 : -ENOSPC);
		if (i < 2)
			assert_int_equal(held[i].tags[1], 100 + i); /* lowest */
	}
	assert_int_equal(residual->tags_free[3], 0);
	assert_true(residual->bandwidth[1] ==
		    embed_amount_from_double(10) -
			    2 * f->request->links[0].bandwidth);
	assert_true(residual->cpu[1] == embed_amount_from_double(8));
	/* too much bandwidth: refused, nothing changes */
	struct embed_mapping big;
	embed_mapping_init(&big);
	embed_mapping_reset(&big, 2);
	big.nodes[0] = 0;
	big.nodes[1] = 2;
	embed_mapping_add_flow(&big, 0, false, embed_amount_from_double(5.5),
			       (const uint32_t[]){ 0, 1 }, 2);
	embed_amount before = residual->bandwidth[0];
	assert_int_equal(embed_residual_commit(residual, f->request, &big),
			 -ENOSPC);
	assert_true(residual->bandwidth[0] == before);
	assert_true(residual->cpu[0] == embed_amount_from_double(10));
	/* release one: its tag is free again and reused first */
	embed_residual_release(residual, f->request, &held[0]);
	assert_int_equal(residual->tags_free[3], 1);
	assert_int_equal(embed_residual_commit(residual, f->request, &held[2]), 0);
	assert_int_equal(held[2].tags[1], 100);
	embed_residual_release(residual, f->request, &held[1]);
	embed_residual_release(residual, f->request, &held[2]);
	assert_true(embed_residual_is_full(residual));
	for (int i = 0; i < 3; i++)
		embed_mapping_free(&held[i]);
	embed_mapping_free(&big);
	embed_residual_free(residual);
}

/* LAN trees: a good tree, a cycle, a disconnected tree, a missed host,
 * a latency bound between two endpoints. */
static void test_lan_trees(void **state)
{
	struct fixture *f = *state;
	struct embed_request *lan = embed_request_create("lan");
	for (int i = 0; i < 3; i++) {
		struct embed_virtual_node node = { .cpu = embed_amount_from_double(1) };
		embed_request_add_node(lan, &node);
	}
	uint32_t ends[3] = { 0, 1, 2 };
	struct embed_virtual_link link = {
		.endpoint_count = 3,
		.endpoints = ends,
		.bandwidth = embed_amount_from_double(2),
	};
	assert_int_equal(embed_request_add_link(lan, &link), 0);
	struct embed_mapping tree;
	embed_mapping_init(&tree);
	embed_mapping_reset(&tree, 3);
	tree.nodes[0] = 0;
	tree.nodes[1] = 1;
	tree.nodes[2] = 3;
	const uint32_t good[] = { 0, 1, 3 }, cycle[] = { 0, 1, 2, 3 },
		       apart[] = { 0, 3 }, short_of[] = { 0, 1 };
	embed_mapping_add_flow(&tree, 0, true, lan->links[0].bandwidth, good, 3);
	assert_int_equal(embed_checker_validate(f->checker, lan, &tree, false,
						f->detail, sizeof(f->detail)),
			 EMBED_VIOLATION_NONE);
	assert_true(fabs(embed_request_revenue(lan) - (3 + 2 * 2)) < 1e-12);
	assert_true(fabs(embed_mapping_cost(lan, &tree) - (3 + 2 * 3)) < 1e-12);
	lan->links[0].max_latency = 2.5; /* n0 to n3 is 3 over the tree */
	assert_int_equal(embed_checker_validate(f->checker, lan, &tree, false,
						f->detail, sizeof(f->detail)),
			 EMBED_VIOLATION_LATENCY);
	lan->links[0].max_latency = 3;
	assert_int_equal(embed_checker_validate(f->checker, lan, &tree, false,
						f->detail, sizeof(f->detail)),
			 EMBED_VIOLATION_NONE);
	lan->links[0].max_latency = 0;
	embed_mapping_reset(&tree, 3);
	tree.nodes[0] = 0;
	tree.nodes[1] = 1;
	tree.nodes[2] = 3;
	embed_mapping_add_flow(&tree, 0, true, lan->links[0].bandwidth, cycle, 4);
	assert_int_equal(embed_checker_validate(f->checker, lan, &tree, false,
						f->detail, sizeof(f->detail)),
			 EMBED_VIOLATION_LOOP);
	tree.flow_count = 0;
	tree.hop_count = 0;
	embed_mapping_add_flow(&tree, 0, true, lan->links[0].bandwidth, apart, 2);
	assert_int_equal(embed_checker_validate(f->checker, lan, &tree, false,
						f->detail, sizeof(f->detail)),
			 EMBED_VIOLATION_BROKEN_PATH);
	tree.flow_count = 0;
	tree.hop_count = 0;
	embed_mapping_add_flow(&tree, 0, true, lan->links[0].bandwidth, short_of, 2);
	assert_int_equal(embed_checker_validate(f->checker, lan, &tree, false,
						f->detail, sizeof(f->detail)),
			 EMBED_VIOLATION_BROKEN_PATH);
	assert_non_null(strstr(f->detail, "misses"));
	embed_mapping_free(&tree);
	embed_request_free(lan);
}

static void test_names(void **state)
{
	(void)state;
	for (int v = 0; v < EMBED_VIOLATION_COUNT; v++)
		assert_string_not_equal(embed_violation_name(v), "?");
	assert_string_equal(embed_violation_name(EMBED_VIOLATION_COUNT), "?");
	for (int a = 0; a < EMBED_ALGORITHM_COUNT; a++) {
		enum embed_algorithm parsed;
		assert_int_equal(embed_algorithm_parse(embed_algorithm_name(a),
						       &parsed),
				 0);
		assert_int_equal(parsed, a);
	}
	enum embed_algorithm parsed;
	assert_int_equal(embed_algorithm_parse("nope", &parsed), -1);
	assert_true(embed_amount_from_double(-1) < 0);
	assert_true(embed_amount_from_double(NAN) < 0);
	assert_true(embed_amount_from_double(0.1234564) == 123456);
	assert_true(embed_amount_from_double(0.1234566) == 123457);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_structure_violations, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_split_sum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity_violations, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_placement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_latency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_departures_and_leaks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_residual_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_residual_many_releases, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_residual_refuses_without_side_effects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lan_trees, setup, teardown),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
