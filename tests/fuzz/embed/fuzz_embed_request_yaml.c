/* YAML/JSON requests, then every fast algorithm on a fixed small
 * substrate (a ring of 8 with chords, sites, positions, a link with two
 * VLANs): whatever a reader accepts, a mapping an algorithm returns must
 * pass the independent checker and commit, and release must restore the
 * residual state exactly. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"

static struct substrate *build(void)
{
	struct substrate *ring = substrate_create("fuzz");
	for (uint32_t i = 0; i < 8; i++) {
		struct substrate_node node = {
			.cpu = 10 + i,
			.position_kind = SUBSTRATE_POSITION_PLANE,
			.x = i,
			.y = i % 3,
		};
		snprintf(node.id, sizeof(node.id), "n%u", i);
		snprintf(node.site, sizeof(node.site), "s%u", i % 2);
		substrate_add_node(ring, &node);
	}
	for (uint32_t i = 0; i < 11; i++) {
		uint32_t a = i < 8 ? i : (i - 8) * 2, b = i < 8 ? (i + 1) % 8 : a + 4;
		struct substrate_link link = {
			.bandwidth = 20 + 5 * i,
			.latency = 1 + i % 3,
			.tags = i == 3 ? (struct tag_range){ 7, 8 }
				       : (struct tag_range){ 0, 0 },
		};
		substrate_add_link(ring, &link, (struct substrate_link_end){ a, "" },
				   (struct substrate_link_end){ b, "" });
	}
	substrate_finalize(ring);
	return ring;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct substrate *substrate = build();
	struct load_error error;
	struct embed_request *request = embed_request_load_yaml_string(
		"fuzz", (const char *)data, size, substrate, &error);
	if (!request || request->node_count > 12 || request->link_count > 40) {
		embed_request_free(request);
		substrate_free(substrate);
		return 0;
	}
	static const enum embed_algorithm algorithms[] = {
		EMBED_ALGORITHM_LOOM, EMBED_ALGORITHM_GRC,
		EMBED_ALGORITHM_NODERANK, EMBED_ALGORITHM_GREEDY_KSP,
	};
	struct embed_residual *residual = embed_residual_create(substrate);
	struct embed_checker *checker = embed_checker_create(substrate);
	for (size_t a = 0; a < sizeof(algorithms) / sizeof(*algorithms); a++) {
		struct embedder *embedder =
			embedder_create(substrate, algorithms[a], NULL);
		struct embed_mapping mapping;
		embed_mapping_init(&mapping);
		int status = embedder_embed(embedder, residual, request, &mapping);
		if (status == 0) {
			char detail[256];
			if (embed_residual_commit(residual, request, &mapping))
				abort();
			if (embed_checker_arrive(checker, request, &mapping, true,
						 detail, sizeof(detail)) ||
			    embed_checker_compare(checker, residual, detail,
						  sizeof(detail))) {
				fprintf(stderr, "%s: %s\n",
					embed_algorithm_name(algorithms[a]), detail);
				abort();
			}
			embed_residual_release(residual, request, &mapping);
			if (embed_checker_depart(checker, request, &mapping, detail,
						 sizeof(detail)) ||
			    !embed_residual_is_full(residual))
				abort();
		} else if (status != -ENOSPC && status != -ENOTSUP) {
			abort();
		}
		embed_mapping_free(&mapping);
		embedder_free(embedder);
	}
	embed_checker_free(checker);
	embed_residual_free(residual);
	embed_request_free(request);
	substrate_free(substrate);
	return 0;
}
