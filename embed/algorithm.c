/* The algorithm registry and the embedder (embed.h section 6). */
#include "embed_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const algorithm_names[] = {
#define _(name, text, description) [EMBED_ALGORITHM_##name] = text,
	foreach_embed_algorithm
#undef _
};

static const char *const algorithm_descriptions[] = {
#define _(name, text, description) [EMBED_ALGORITHM_##name] = description,
	foreach_embed_algorithm
#undef _
};

typedef int (*embed_function)(struct embedder *,
			      const struct embed_residual *,
			      const struct embed_request *,
			      struct embed_mapping *);

static const embed_function algorithm_functions[] = {
	[EMBED_ALGORITHM_LOOM] = embed_loom,
	[EMBED_ALGORITHM_GREEDY_KSP] = embed_greedy_ksp,
	[EMBED_ALGORITHM_GRC] = embed_grc,
	[EMBED_ALGORITHM_NODERANK] = embed_noderank,
	[EMBED_ALGORITHM_MCF] = embed_mcf,
	[EMBED_ALGORITHM_DVINE] = embed_dvine,
	[EMBED_ALGORITHM_MIP] = embed_mip,
};

const char *embed_algorithm_name(enum embed_algorithm algorithm)
{
	if ((unsigned)algorithm >= EMBED_ALGORITHM_COUNT)
		return "?";
	return algorithm_names[algorithm];
}

const char *embed_algorithm_description(enum embed_algorithm algorithm)
{
	if ((unsigned)algorithm >= EMBED_ALGORITHM_COUNT)
		return "?";
	return algorithm_descriptions[algorithm];
}

int embed_algorithm_parse(const char *name, enum embed_algorithm *algorithm)
{
	for (unsigned i = 0; i < EMBED_ALGORITHM_COUNT; i++) {
		if (strcmp(name, algorithm_names[i]) == 0) {
			*algorithm = (enum embed_algorithm)i;
			return 0;
		}
	}
	return -1;
}

static void options_default(struct embed_options *options)
{
	if (!options->ksp_k)
		options->ksp_k = 8;
	if (!options->beam_width)
		options->beam_width = 48;
	if (!options->beam_branch)
		options->beam_branch = 8;
	if (!options->beam_evaluate)
		options->beam_evaluate = 48;
	if (!options->lp_slack)
		options->lp_slack = 2;
	if (!options->dvine_candidates)
		options->dvine_candidates = 10;
	if (options->loom_min_rc == 0)
		options->loom_min_rc = 0.7;
	else if (options->loom_min_rc < 0)
		options->loom_min_rc = 0; /* negative: admission control off */
	if (!(options->loom_pressure > 0))
		options->loom_pressure = 1;
	if (!(options->mip_time_limit > 0))
		options->mip_time_limit = 60;
}

void embed_loom_free(struct embed_loom_state *state);

struct embedder *embedder_create(const struct substrate *substrate,
				 enum embed_algorithm algorithm,
				 const struct embed_options *options)
{
	if (!substrate->finalized || (unsigned)algorithm >= EMBED_ALGORITHM_COUNT)
		return NULL;
	struct embedder *embedder = calloc(1, sizeof(*embedder));
	if (!embedder)
		return NULL;
	embedder->algorithm = algorithm;
	if (options)
		embedder->options = *options;
	options_default(&embedder->options);
	embedder->substrate = substrate;
	embedder->node_score = calloc(substrate->node_count + 1, sizeof(double));
	if (!embedder->node_score ||
	    embed_work_init(&embedder->work, substrate))
		goto fail;
	if (algorithm == EMBED_ALGORITHM_GREEDY_KSP) {
		embedder->search = substrate_search_create(substrate);
		embedder->paths = calloc(embedder->options.ksp_k,
					 sizeof(*embedder->paths));
		if (!embedder->search || !embedder->paths)
			goto fail;
	}
	return embedder;
fail:
	embedder_free(embedder);
	return NULL;
}

void embedder_free(struct embedder *embedder)
{
	if (!embedder)
		return;
	embed_work_free(&embedder->work);
	substrate_search_free(embedder->search);
	free(embedder->paths);
	free(embedder->node_score);
	free(embedder->virtual_score);
	free(embedder->hop_distance);
	embed_loom_free(embedder->loom);
	free(embedder);
}

enum embed_algorithm embedder_algorithm(const struct embedder *embedder)
{
	return embedder->algorithm;
}

int embedder_embed(struct embedder *embedder,
		   const struct embed_residual *residual,
		   const struct embed_request *request,
		   struct embed_mapping *mapping)
{
	if (residual->substrate != embedder->substrate)
		return -EINVAL;
	if (embed_mapping_reset(mapping, request->node_count))
		return -ENOMEM;
	if (request->node_count > embedder->substrate->node_count)
		return -ENOSPC; /* no co-location: cannot fit */
	int status = algorithm_functions[embedder->algorithm](
		embedder, residual, request, mapping);
	if (status)
		embed_mapping_reset(mapping, request->node_count);
	return status;
}

int embed_hop_matrix(struct embedder *embedder)
{
	if (embedder->hop_distance)
		return 0;
	const struct substrate *substrate = embedder->substrate;
	uint32_t n = substrate->node_count;
	uint8_t *matrix = malloc((size_t)n * n + 1);
	uint32_t *queue = malloc((n + 1) * sizeof(uint32_t));
	if (!matrix || !queue) {
		free(matrix);
		free(queue);
		return -ENOMEM;
	}
	memset(matrix, 255, (size_t)n * n);
	for (uint32_t source = 0; source < n; source++) {
		uint8_t *row = matrix + (size_t)source * n;
		uint32_t head = 0, tail = 0;
		row[source] = 0;
		queue[tail++] = source;
		while (head < tail) {
			uint32_t node = queue[head++];
			if (row[node] >= 254)
				continue;
			for (uint32_t a = substrate->arc_start[node];
			     a < substrate->arc_start[node + 1]; a++) {
				uint32_t next = substrate->arcs[a].neighbour;
				if (row[next] != 255)
					continue;
				row[next] = row[node] + 1;
				queue[tail++] = next;
			}
		}
	}
	free(queue);
	embedder->hop_distance = matrix;
	return 0;
}
