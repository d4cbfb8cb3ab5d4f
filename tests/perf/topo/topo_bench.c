/* topo-bench: how fast the substrate code is where the embedder leans on
 * it. Prints figures; never passes or fails on time.
 *
 *   1. load the largest Topology Zoo sample (GraphML), and the ViNE-Yard
 *      substrate, if the shared data is there;
 *   2. generate a 10,000-node Waxman substrate (~50,000 links);
 *   3. 10,000 k-shortest-path queries (k = 5, Yen) between random pairs of
 *      it, with a residual filter as the embedder uses them; then the same
 *      count of single shortest paths and BFS runs for comparison.
 *
 * Usage: topo-bench [nodes [queries [k]]]   (defaults 10000 10000 5)
 * The shared data is found through LOOM_SOURCE_DIR (the source tree; data
 * in ../shared/data) or the current directory's ../shared/data. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "topo.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool find_data(char *path, size_t size, const char *sub)
{
	const char *source = getenv("LOOM_SOURCE_DIR");
	const char *bases[] = { source, "/work/main", "." };
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (!bases[i])
			continue;
		snprintf(path, size, "%s/../shared/data/%s", bases[i], sub);
		struct stat st;
		if (stat(path, &st) == 0)
			return true;
	}
	return false;
}

/* The largest .graphml file of the samples directory. */
static bool largest_sample(char *path, size_t size)
{
	char directory[4096];
	if (!find_data(directory, sizeof(directory), "topologies"))
		return false;
	DIR *dir = opendir(directory);
	if (!dir)
		return false;
	off_t best = -1;
	struct dirent *entry;
	while ((entry = readdir(dir))) {
		size_t length = strlen(entry->d_name);
		if (length < 8 || strcmp(entry->d_name + length - 8, ".graphml"))
			continue;
		char candidate[4400];
		snprintf(candidate, sizeof(candidate), "%s/%s", directory,
			 entry->d_name);
		struct stat st;
		if (stat(candidate, &st) == 0 && st.st_size > best) {
			best = st.st_size;
			snprintf(path, size, "%s", candidate);
		}
	}
	closedir(dir);
	return best >= 0;
}

static void bench_loaders(void)
{
	char path[4500];
	if (largest_sample(path, sizeof(path))) {
		struct load_error error, warning;
		const int rounds = 20;
		double start = now();
		struct substrate *substrate = NULL;
		for (int i = 0; i < rounds; i++) {
			substrate_free(substrate);
			substrate = substrate_load_graphml(path, NULL, &error,
							   &warning);
		}
		double elapsed = (now() - start) / rounds;
		if (substrate)
			printf("graphml  %-40s %4u nodes %4u links  %8.3f ms/load\n",
			       strrchr(path, '/') + 1, substrate->node_count,
			       substrate->link_count, elapsed * 1e3);
		substrate_free(substrate);
	} else {
		printf("graphml  (no samples found: skipped)\n");
	}
	if (find_data(path, sizeof(path),
		      "vne-instances/substrate-waxman-100n-500l.txt")) {
		struct load_error error;
		double start = now();
		struct substrate *substrate =
			substrate_load_vineyard(path, &error, NULL);
		double elapsed = now() - start;
		if (substrate)
			printf("vineyard %-40s %4u nodes %4u links  %8.3f ms/load\n",
			       "substrate-waxman-100n-500l.txt",
			       substrate->node_count, substrate->link_count,
			       elapsed * 1e3);
		substrate_free(substrate);
	}
}

int main(int argc, char **argv)
{
	uint32_t nodes = argc > 1 ? (uint32_t)atoi(argv[1]) : 10000;
	uint32_t queries = argc > 2 ? (uint32_t)atoi(argv[2]) : 10000;
	unsigned k = argc > 3 ? (unsigned)atoi(argv[3]) : 5;
	if (nodes < 2 || queries == 0 || k == 0 || k > 64) {
		fprintf(stderr, "usage: %s [nodes [queries [k]]]\n", argv[0]);
		return 2;
	}

	bench_loaders();

	struct waxman_options options = { .nodes = nodes,
					   .target_links = 5 * nodes };
	double start = now();
	struct substrate *substrate = topo_generate_waxman(&options, 1);
	double elapsed = now() - start;
	if (!substrate) {
		fprintf(stderr, "generation failed\n");
		return 1;
	}
	printf("waxman   %u nodes %u links (target %u)  %.3f s to generate\n",
	       substrate->node_count, substrate->link_count,
	       options.target_links, elapsed);

	/* A residual per link, as the embedder keeps them: some links are
	 * too full for the requested bandwidth. */
	double *residual = malloc(substrate->link_count * sizeof(double));
	struct topo_random random;
	topo_random_seed(&random, 42);
	for (uint32_t l = 0; l < substrate->link_count; l++)
		residual[l] = topo_random_uniform(&random, 0, 100);
	struct path_constraints constraints = {
		.metric = PATH_METRIC_LATENCY,
		.residual = residual,
		.min_bandwidth = 10,
	};
	uint32_t *pairs = malloc(2 * (size_t)queries * sizeof(uint32_t));
	for (uint32_t q = 0; q < 2 * queries; q++)
		pairs[q] = (uint32_t)topo_random_below(&random, nodes);

	struct substrate_search *search = substrate_search_create(substrate);
	struct substrate_path paths[64];
	uint64_t found = 0, hops = 0;
	start = now();
	for (uint32_t q = 0; q < queries; q++) {
		int n = substrate_k_shortest_paths(search, pairs[2 * q],
						   pairs[2 * q + 1], k,
						   &constraints, paths);
		if (n > 0) {
			found += (uint64_t)n;
			for (int i = 0; i < n; i++)
				hops += paths[i].hop_count;
		}
	}
	elapsed = now() - start;
	printf("yen      %u queries k=%u  %.3f s  %.1f us/query  "
	       "(%.2f paths/query, %.1f hops/path)\n",
	       queries, k, elapsed, elapsed / queries * 1e6,
	       (double)found / queries, found ? (double)hops / found : 0.0);

	start = now();
	found = 0;
	for (uint32_t q = 0; q < queries; q++)
		found += substrate_shortest_path(search, pairs[2 * q],
						 pairs[2 * q + 1], &constraints,
						 paths) == 0;
	elapsed = now() - start;
	printf("dijkstra %u queries       %.3f s  %.1f us/query  (%lu found)\n",
	       queries, elapsed, elapsed / queries * 1e6, (unsigned long)found);

	uint32_t *distance = malloc(nodes * sizeof(uint32_t));
	uint32_t bfs_runs = queries < 1000 ? queries : 1000;
	start = now();
	for (uint32_t q = 0; q < bfs_runs; q++)
		substrate_hop_distances(search, pairs[q], &constraints, distance);
	elapsed = now() - start;
	printf("bfs      %u runs (all nodes)  %.3f s  %.1f us/run\n", bfs_runs,
	       elapsed, elapsed / bfs_runs * 1e6);

	free(distance);
	free(pairs);
	free(residual);
	substrate_search_free(search);
	substrate_free(substrate);
	return 0;
}
