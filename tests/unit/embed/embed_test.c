/* Helpers shared by the embed unit tests; see embed_test.h. */
#include "embed_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct substrate *test_substrate(uint32_t node_count, const double *cpu,
				 uint32_t link_count,
				 const struct test_link *links)
{
	struct substrate *substrate = substrate_create("test");
	assert_non_null(substrate);
	for (uint32_t i = 0; i < node_count; i++) {
		struct substrate_node node = {
			.cpu = cpu[i],
			.position_kind = SUBSTRATE_POSITION_PLANE,
			.x = i,
			.y = 0,
		};
		snprintf(node.id, sizeof(node.id), "n%u", i);
		snprintf(node.site, sizeof(node.site), "s%u", i % 2);
		assert_int_equal(substrate_add_node(substrate, &node), (int)i);
	}
	for (uint32_t i = 0; i < link_count; i++) {
		struct substrate_link link = {
			.bandwidth = links[i].bandwidth,
			.latency = links[i].latency,
			.kind = SUBSTRATE_LINK_ETHERNET,
			.tags = { links[i].tag_first, links[i].tag_last },
		};
		snprintf(link.id, sizeof(link.id), "l%u", i);
		assert_int_equal(substrate_add_link(substrate, &link,
						    (struct substrate_link_end){
							    links[i].a, "" },
						    (struct substrate_link_end){
							    links[i].b, "" }),
				 (int)i);
	}
	assert_int_equal(substrate_finalize(substrate), 0);
	return substrate;
}

struct embed_request *test_request(uint32_t node_count, const double *cpu,
				   uint32_t link_count, const double *links)
{
	struct embed_request *request = embed_request_create("test");
	assert_non_null(request);
	for (uint32_t i = 0; i < node_count; i++) {
		struct embed_virtual_node node = {
			.cpu = embed_amount_from_double(cpu[i]),
		};
		assert_int_equal(embed_request_add_node(request, &node), (int)i);
	}
	for (uint32_t i = 0; i < link_count; i++) {
		uint32_t ends[2] = { (uint32_t)links[3 * i],
				     (uint32_t)links[3 * i + 1] };
		struct embed_virtual_link link = {
			.endpoint_count = 2,
			.endpoints = ends,
			.bandwidth = embed_amount_from_double(links[3 * i + 2]),
		};
		assert_int_equal(embed_request_add_link(request, &link), (int)i);
	}
	return request;
}

uint32_t test_random(uint64_t *state, uint32_t bound)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (uint32_t)(*state % bound);
}

struct substrate *test_random_substrate(uint64_t *state, uint32_t nodes,
					uint32_t extra_links, uint32_t cpu_low,
					uint32_t cpu_high, uint32_t bw_low,
					uint32_t bw_high)
{
	struct substrate *substrate = substrate_create("random");
	assert_non_null(substrate);
	for (uint32_t i = 0; i < nodes; i++) {
		struct substrate_node node = {
			.cpu = cpu_low + test_random(state, cpu_high - cpu_low + 1),
		};
		snprintf(node.id, sizeof(node.id), "n%u", i);
		assert_true(substrate_add_node(substrate, &node) >= 0);
	}
	uint32_t total = nodes - 1 + extra_links;
	for (uint32_t i = 0; i < total; i++) {
		uint32_t a, b;
		if (i < nodes - 1) {
			a = i;
			b = i + 1;
		} else {
			a = test_random(state, nodes);
			b = test_random(state, nodes - 1);
			if (b >= a)
				b++;
		}
		struct substrate_link link = {
			.bandwidth = bw_low + test_random(state, bw_high - bw_low + 1),
			.latency = 1 + test_random(state, 3),
		};
		snprintf(link.id, sizeof(link.id), "l%u", i);
		assert_true(substrate_add_link(substrate, &link,
					       (struct substrate_link_end){ a, "" },
					       (struct substrate_link_end){ b, "" }) >=
			    0);
	}
	assert_int_equal(substrate_finalize(substrate), 0);
	return substrate;
}

struct embed_request *test_random_request(uint64_t *state, uint32_t n,
					  uint32_t cpu_high, uint32_t bw_high)
{
	struct embed_request *request = embed_request_create("random");
	assert_non_null(request);
	for (uint32_t i = 0; i < n; i++) {
		struct embed_virtual_node node = {
			.cpu = embed_amount_from_double(test_random(state, cpu_high + 1)),
		};
		assert_true(embed_request_add_node(request, &node) >= 0);
	}
	/* a random tree, then a few extra links */
	for (uint32_t i = 1; i < n; i++) {
		uint32_t ends[2] = { test_random(state, i), i };
		struct embed_virtual_link link = {
			.endpoint_count = 2,
			.endpoints = ends,
			.bandwidth = embed_amount_from_double(
				1 + test_random(state, bw_high)),
		};
		assert_true(embed_request_add_link(request, &link) >= 0);
	}
	for (uint32_t a = 0; a + 2 < n; a++) {
		if (test_random(state, 3))
			continue;
		uint32_t ends[2] = { a, a + 2 };
		struct embed_virtual_link link = {
			.endpoint_count = 2,
			.endpoints = ends,
			.bandwidth = embed_amount_from_double(
				1 + test_random(state, bw_high)),
		};
		assert_true(embed_request_add_link(request, &link) >= 0);
	}
	return request;
}
