/* Helpers shared by the embed unit tests: hand-built substrates and
 * requests, and a resource count that recomputes what a mapping uses
 * without the library's code. */
#ifndef LOOM_EMBED_TEST_H
#define LOOM_EMBED_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "embed.h"

/* One substrate link for test_substrate: a, b, bandwidth, latency, first
 * and last tag (0, 0 = the whole VLAN range). */
struct test_link {
	uint32_t a, b;
	double bandwidth, latency;
	uint32_t tag_first, tag_last;
};

/* Nodes n0 .. n<count-1> with the given CPUs (plane positions x = i,
 * y = 0, site "s<i % 2>"), links l0 .. in order. Finalized. */
struct substrate *test_substrate(uint32_t node_count, const double *cpu,
				 uint32_t link_count,
				 const struct test_link *links);

/* A request of node_count nodes with the given CPUs and link_count
 * 2-endpoint links given as (a, b, bandwidth) triples. */
struct embed_request *test_request(uint32_t node_count, const double *cpu,
				   uint32_t link_count, const double *links);

/* Simple test PRNG (xorshift), independent of the library's. */
uint32_t test_random(uint64_t *state, uint32_t bound);

/* A random connected substrate: a spanning path plus extra links;
 * CPU and bandwidth from the given ranges (integers). */
struct substrate *test_random_substrate(uint64_t *state, uint32_t nodes,
					uint32_t extra_links, uint32_t cpu_low,
					uint32_t cpu_high, uint32_t bw_low,
					uint32_t bw_high);

/* A random connected request of n nodes. */
struct embed_request *test_random_request(uint64_t *state, uint32_t n,
					  uint32_t cpu_high, uint32_t bw_high);

#endif
