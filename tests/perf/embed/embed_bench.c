/* embed-bench: the table algorithm x (acceptance, long-term R/C, long-term
 * average revenue, mean and p99 ms per request) on the standard setups:
 *   a           1 seed (about 2,000 requests, 50,000 time units)
 *   b           10 seeds of 1,000 requests (the Virne benchmark load)
 *   large-1000  a 1,000-node substrate, 10-node requests
 *   vineyard    the shared ViNE-Yard instances, when --vineyard DIR is given
 * Each cell is the mean over seeds; p99 is the mean of the seeds' p99s.
 * Prints figures only; no pass/fail on time. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "embed.h"

struct cell {
	char setup[64];
	const char *algorithm;
	unsigned seeds;
	double acceptance, acceptance_sd, rc, lar, ms_mean, ms_p99, hops;
	double acceptance_values[64];
	bool violation;
};

static void usage(FILE *stream)
{
	fprintf(stream,
		"usage: embed-bench [--setups LIST] [--algorithms LIST] [--seeds N]\n"
		"                   [--lp-seeds N] [--vineyard DIR] [--json FILE]\n"
		"\n"
		"  --setups LIST      comma-separated: a, b, large-1000 (default all)\n"
		"  --algorithms LIST  default loom,grc,noderank,greedy-ksp,mcf,dvine\n"
		"  --seeds N          seeds for setup b (default 10)\n"
		"  --lp-seeds N       seeds for the LP algorithms (mcf, dvine) on b\n"
		"                     (default: --seeds)\n"
		"  --vineyard DIR     also run DIR/er-virne-{1,2,3}.tar.gz with DIR's\n"
		"                     substrate (setup name vineyard-V)\n"
		"  --zoo FILE         also run a Topology Zoo GraphML substrate\n"
		"                     (setup zoo-<name>, 3 seeds)\n"
		"  --json FILE        write the cells as a JSON list\n");
}

static bool in_list(const char *list, const char *name)
{
	size_t length = strlen(name);
	for (const char *at = list; (at = strstr(at, name)); at += length)
		if ((at == list || at[-1] == ',') &&
		    (at[length] == ',' || at[length] == '\0'))
			return true;
	return false;
}

static bool is_lp(enum embed_algorithm algorithm)
{
	return algorithm == EMBED_ALGORITHM_MCF ||
	       algorithm == EMBED_ALGORITHM_DVINE;
}

/* Runs one algorithm over the workloads of a setup; fills the cell. */
static int run_cell(struct cell *cell, const char *setup,
		    const char *const *setups, unsigned count, uint64_t first_seed,
		    const char *substrate, enum embed_algorithm algorithm)
{
	snprintf(cell->setup, sizeof(cell->setup), "%s", setup);
	cell->algorithm = embed_algorithm_name(algorithm);
	for (unsigned s = 0; s < count && s < 64; s++) {
		struct embed_workload workload;
		struct load_error error = { 0 };
		if (embed_workload_build(setups ? setups[s] : setup, first_seed + s,
					 substrate, &workload, &error)) {
			fprintf(stderr, "embed-bench: %s: %s\n", setup,
				error.message);
			return -EINVAL;
		}
		struct embedder *embedder =
			embedder_create(workload.substrate, algorithm, NULL);
		char label[64];
		snprintf(label, sizeof(label), "%s %s/%u", setup, cell->algorithm,
			 s + 1);
		struct embed_simulation_options options = {
			.check = true,
			.progress = isatty(STDERR_FILENO),
			.label = label,
		};
		struct embed_simulation run;
		int status = embed_simulate(&workload, embedder, &options, &run);
		embedder_free(embedder);
		embed_workload_free(&workload);
		if (status)
			return status;
		const struct embed_metrics *m = &run.metrics;
		cell->acceptance_values[s] = m->acceptance;
		cell->acceptance += m->acceptance;
		cell->rc += m->long_term_rc;
		cell->lar += m->long_term_revenue;
		cell->ms_mean += m->ms_mean;
		cell->ms_p99 += m->ms_p99;
		cell->hops += m->mean_hops;
		if (run.violation) {
			fprintf(stderr, "embed-bench: %s: checker: %s: %s\n", label,
				embed_violation_name(run.violation),
				run.violation_detail);
			cell->violation = true;
		}
		cell->seeds++;
		embed_simulation_free(&run);
	}
	unsigned n = cell->seeds;
	cell->acceptance /= n;
	cell->rc /= n;
	cell->lar /= n;
	cell->ms_mean /= n;
	cell->ms_p99 /= n;
	cell->hops /= n;
	double variance = 0;
	for (unsigned s = 0; s < n; s++)
		variance += pow(cell->acceptance_values[s] - cell->acceptance, 2);
	cell->acceptance_sd = n > 1 ? sqrt(variance / (n - 1)) : 0;
	return 0;
}

static void print_cell(const struct cell *cell)
{
	printf("%-11s %-11s %5u %7.2f%% %6.2f %7.4f %10.2f %6.3f %9.3f %9.3f%s\n",
	       cell->setup, cell->algorithm, cell->seeds, 100 * cell->acceptance,
	       100 * cell->acceptance_sd, cell->rc, cell->lar, cell->hops,
	       cell->ms_mean, cell->ms_p99,
	       cell->violation ? "  CHECKER VIOLATION" : "");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "setups", required_argument, NULL, 's' },
		{ "algorithms", required_argument, NULL, 'a' },
		{ "seeds", required_argument, NULL, 'n' },
		{ "lp-seeds", required_argument, NULL, 'l' },
		{ "vineyard", required_argument, NULL, 'v' },
		{ "json", required_argument, NULL, 'j' },
		{ "zoo", required_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *setups = "a,b,large-1000";
	const char *algorithms = "loom,grc,noderank,greedy-ksp,mcf,dvine";
	const char *vineyard = NULL, *json = NULL, *zoo = NULL;
	unsigned seeds = 10, lp_seeds = 0;
	int option;
	while ((option = getopt_long(argc, argv, "s:a:n:l:v:j:z:h", options,
				     NULL)) != -1) {
		switch (option) {
		case 's': setups = optarg; break;
		case 'a': algorithms = optarg; break;
		case 'n': seeds = (unsigned)atoi(optarg); break;
		case 'l': lp_seeds = (unsigned)atoi(optarg); break;
		case 'v': vineyard = optarg; break;
		case 'j': json = optarg; break;
		case 'z': zoo = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (seeds < 1 || seeds > 64) {
		fprintf(stderr, "embed-bench: --seeds must be 1..64\n");
		return 2;
	}
	if (!lp_seeds || lp_seeds > seeds)
		lp_seeds = seeds;
	enum embed_algorithm chosen[EMBED_ALGORITHM_COUNT];
	unsigned chosen_count = 0;
	for (unsigned a = 0; a < EMBED_ALGORITHM_COUNT; a++)
		if (in_list(algorithms, embed_algorithm_name(a)))
			chosen[chosen_count++] = a;
	if (!chosen_count) {
		fprintf(stderr, "embed-bench: no known algorithm in '%s'\n",
			algorithms);
		return 2;
	}
	struct cell cells[64];
	unsigned cell_count = 0;
	printf("%-11s %-11s %5s %8s %6s %7s %10s %6s %9s %9s\n", "setup",
	       "algorithm", "seeds", "accept", "sd", "R/C", "LAR", "hops",
	       "ms mean", "ms p99");
	static const char *const names[] = { "a", "b", "large-1000" };
	for (unsigned i = 0; i < 3; i++) {
		if (!in_list(setups, names[i]))
			continue;
		for (unsigned a = 0; a < chosen_count && cell_count < 64; a++) {
			unsigned count = i == 1 ? (is_lp(chosen[a]) ? lp_seeds
								    : seeds)
						: 1;
			struct cell *cell = &cells[cell_count];
			memset(cell, 0, sizeof(*cell));
			if (run_cell(cell, names[i], NULL, count, 1, NULL,
				     chosen[a]))
				return 1;
			print_cell(cell);
			cell_count++;
		}
	}
	if (vineyard) {
		char paths[3][4096], substrate[4096];
		const char *instances[3];
		for (int k = 0; k < 3; k++) {
			snprintf(paths[k], sizeof(paths[k]),
				 "vineyard:%s/er-virne-%d.tar.gz", vineyard, k + 1);
			instances[k] = paths[k];
		}
		snprintf(substrate, sizeof(substrate),
			 "%s/substrate-waxman-100n-500l.txt", vineyard);
		for (unsigned a = 0; a < chosen_count && cell_count < 64; a++) {
			struct cell *cell = &cells[cell_count];
			memset(cell, 0, sizeof(*cell));
			if (run_cell(cell, "vineyard-V", instances, 3, 1, substrate,
				     chosen[a]))
				return 1;
			print_cell(cell);
			cell_count++;
		}
	}
	if (zoo) {
		char setup[4200], name[64];
		snprintf(setup, sizeof(setup), "zoo:%s", zoo);
		const char *base = strrchr(zoo, '/');
		snprintf(name, sizeof(name), "zoo-%s", base ? base + 1 : zoo);
		char *dot = strrchr(name, '.');
		if (dot)
			*dot = '\0';
		const char *instances[3] = { setup, setup, setup };
		for (unsigned a = 0; a < chosen_count && cell_count < 64; a++) {
			struct cell *cell = &cells[cell_count];
			memset(cell, 0, sizeof(*cell));
			if (run_cell(cell, name, instances, 3, 1, NULL, chosen[a]))
				return 1;
			print_cell(cell);
			cell_count++;
		}
	}
	if (json) {
		FILE *file = fopen(json, "w");
		if (!file) {
			fprintf(stderr, "embed-bench: %s: %s\n", json,
				strerror(errno));
			return 1;
		}
		fprintf(file, "[");
		for (unsigned i = 0; i < cell_count; i++)
			fprintf(file,
				"%s\n  {\"setup\": \"%s\", \"algorithm\": \"%s\", "
				"\"acceptance\": %.6f, \"rc\": %.6f, \"lar\": %.4f, "
				"\"ms_mean\": %.4f, \"ms_p99\": %.4f, \"seeds\": %u, "
				"\"acceptance_sd\": %.6f, \"mean_hops\": %.4f}",
				i ? "," : "", cells[i].setup, cells[i].algorithm,
				cells[i].acceptance, cells[i].rc, cells[i].lar,
				cells[i].ms_mean, cells[i].ms_p99, cells[i].seeds,
				cells[i].acceptance_sd, cells[i].hops);
		fprintf(file, "\n]\n");
		fclose(file);
	}
	for (unsigned i = 0; i < cell_count; i++)
		if (cells[i].violation)
			return 1;
	return 0;
}
