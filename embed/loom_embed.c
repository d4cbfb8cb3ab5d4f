/* loom-embed: embed one request, or run the online simulation. */
#include "control.h"
#include "embed.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage_main(FILE *stream)
{
	fprintf(stream,
		"usage: loom-embed COMMAND [OPTIONS]\n"
		"\n"
		"commands:\n"
		"  embed       embed one request onto a substrate, print the mapping\n"
		"  simulate    online simulation of a workload, print metrics\n"
		"  algorithms  list the algorithms\n"
		"\n"
		"loom-embed COMMAND --help for the options of a command.\n");
}

static void usage_embed(FILE *stream)
{
	fprintf(stream,
		"usage: loom-embed embed --substrate FILE --request FILE\n"
		"                        [--algorithm NAME] [--json]\n"
		"\n"
		"  --substrate FILE   YAML (.yaml/.yml) or ViNE-Yard text substrate\n"
		"  --request FILE     ViNE-Yard reqN.txt, a YAML/JSON request, or\n"
		"                     Loom's XML VNet request (docs/vnet-request.md)\n"
		"                     or a GENI RSpec v3 request (docs/rspec.md)\n"
		"  --algorithm NAME   default loom (see loom-embed algorithms)\n"
		"  --json             print the mapping as JSON\n"
		"\n"
		"Exit status: 0 mapped, 1 rejected (no feasible embedding found),\n"
		"2 usage or input error.\n");
}

static void usage_simulate(FILE *stream)
{
	fprintf(stream,
		"usage: loom-embed simulate --setup SETUP --algorithm NAME[,NAME...]\n"
		"                           [--seed N] [--seeds K] [--substrate FILE]\n"
		"                           [--csv FILE] [--json FILE] [--svg FILE]\n"
		"                           [--no-check]\n"
		"\n"
		"  --setup SETUP      a, b, large-1000, zoo:FILE.graphml, or\n"
		"                     vineyard:PATH (a directory\n"
		"                     of reqN.txt or a .tar.gz of one; substrate from\n"
		"                     --substrate or the substrate*.txt beside it)\n"
		"  --algorithm LIST   comma-separated algorithm names, or 'all'\n"
		"  --seed N           first seed (default 1); generated setups draw\n"
		"                     substrate and requests from it\n"
		"  --seeds K          run seeds N .. N+K-1 (default 1)\n"
		"  --substrate FILE   use this substrate instead of the generated one\n"
		"  --csv FILE         metrics per run as CSV ('-' = stdout)\n"
		"  --json FILE        metrics per run as a JSON list\n"
		"  --svg FILE         acceptance ratio and revenue over time, one line\n"
		"                     per algorithm and seed\n"
		"  --no-check         skip the independent feasibility checker\n"
		"\n"
		"A progress bar is drawn when stderr is a terminal. The exit status\n"
		"is 3 when the checker found a violation.\n");
}

static int command_algorithms(void)
{
	for (unsigned i = 0; i < EMBED_ALGORITHM_COUNT; i++)
		printf("%-11s %s\n", embed_algorithm_name(i),
		       embed_algorithm_description(i));
	return 0;
}

static void print_error(const struct load_error *error)
{
	char text[1024];
	if (error->file[0]) {
		load_error_format(error, text, sizeof(text));
		fprintf(stderr, "loom-embed: %s\n", text);
	} else {
		fprintf(stderr, "loom-embed: %s%s%s\n", error->field,
			error->field[0] ? ": " : "", error->message);
	}
}

/* Loom's XML VNet request (control/'s parser and conversion). */
static bool request_is_xml(const char *path)
{
	size_t length = strlen(path);
	return length > 4 && strcmp(path + length - 4, ".xml") == 0;
}

static struct embed_request *xml_request_load(const char *path,
					      const struct substrate *substrate)
{
	FILE *file = fopen(path, "rb");
	if (!file) {
		fprintf(stderr, "loom-embed: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	char *text = NULL;
	size_t length = 0, room = 0;
	for (;;) {
		if (length == room) {
			room = room ? room * 2 : 65536;
			char *bigger = realloc(text, room);
			if (!bigger) {
				free(text);
				fclose(file);
				fprintf(stderr, "loom-embed: out of memory\n");
				return NULL;
			}
			text = bigger;
		}
		size_t n = fread(text + length, 1, room - length, file);
		length += n;
		if (n == 0)
			break;
	}
	fclose(file);
	struct vnet_request vnet;
	struct vnet_request_error error;
	char message[1024];
	struct embed_request *request = NULL;
	if (vnet_document_parse(text, length, path, time(NULL), &vnet, &error, NULL) != 0) {
		vnet_request_error_format(&error, message, sizeof(message));
		fprintf(stderr, "loom-embed: %s\n", message);
	} else {
		request = vnet_request_to_embed(&vnet, substrate, message,
						sizeof(message));
		if (!request)
			fprintf(stderr, "loom-embed: %s: %s\n", path, message);
		vnet_request_free(&vnet);
	}
	free(text);
	return request;
}

static int command_embed(int argc, char **argv)
{
	static const struct option options[] = {
		{ "substrate", required_argument, NULL, 's' },
		{ "request", required_argument, NULL, 'r' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *substrate_path = NULL, *request_path = NULL;
	const char *algorithm_name = "loom";
	bool json = false;
	int option;
	optind = 1;
	while ((option = getopt_long(argc, argv, "s:r:a:jh", options, NULL)) != -1) {
		switch (option) {
		case 's': substrate_path = optarg; break;
		case 'r': request_path = optarg; break;
		case 'a': algorithm_name = optarg; break;
		case 'j': json = true; break;
		case 'h': usage_embed(stdout); return 0;
		default: usage_embed(stderr); return 2;
		}
	}
	if (!substrate_path || !request_path || optind != argc) {
		fprintf(stderr, "loom-embed embed: --substrate and --request are "
				"required\n");
		usage_embed(stderr);
		return 2;
	}
	enum embed_algorithm algorithm;
	if (embed_algorithm_parse(algorithm_name, &algorithm)) {
		fprintf(stderr, "loom-embed: unknown algorithm '%s' (try "
				"loom-embed algorithms)\n",
			algorithm_name);
		return 2;
	}
	struct load_error error = { 0 };
	struct substrate *substrate = embed_substrate_load(substrate_path, &error);
	if (!substrate) {
		print_error(&error);
		return 2;
	}
	struct embed_request *request =
		request_is_xml(request_path)
			? xml_request_load(request_path, substrate)
			: embed_request_load(request_path, substrate, &error);
	if (!request) {
		if (!request_is_xml(request_path))
			print_error(&error);
		substrate_free(substrate);
		return 2;
	}
	struct embed_residual *residual = embed_residual_create(substrate);
	struct embedder *embedder = embedder_create(substrate, algorithm, NULL);
	struct embed_checker *checker = embed_checker_create(substrate);
	struct embed_mapping mapping;
	embed_mapping_init(&mapping);
	int status = 2;
	if (!residual || !embedder || !checker) {
		fprintf(stderr, "loom-embed: out of memory\n");
		goto out;
	}
	int result = embedder_embed(embedder, residual, request, &mapping);
	if (result == -ENOSPC || result == -ENOTSUP) {
		fprintf(stderr, "loom-embed: request %s rejected by %s: %s\n",
			request->name[0] ? request->name : request_path,
			algorithm_name,
			result == -ENOSPC ? "no feasible embedding found"
					  : "the algorithm cannot handle it");
		status = 1;
		goto out;
	}
	if (result) {
		fprintf(stderr, "loom-embed: %s failed: %s\n", algorithm_name,
			strerror(-result));
		goto out;
	}
	result = embed_residual_commit(residual, request, &mapping);
	char detail[256] = "";
	enum embed_violation violation =
		result ? EMBED_VIOLATION_RESIDUAL
		       : embed_checker_arrive(checker, request, &mapping, true,
					      detail, sizeof(detail));
	if (violation) {
		fprintf(stderr, "loom-embed: internal error: infeasible mapping: "
				"%s: %s\n",
			embed_violation_name(violation), detail);
		goto out;
	}
	if (json)
		embed_mapping_print_json(substrate, request, &mapping, stdout);
	else
		embed_mapping_print(substrate, request, &mapping, stdout);
	status = 0;
out:
	embed_mapping_free(&mapping);
	embed_checker_free(checker);
	embedder_free(embedder);
	embed_residual_free(residual);
	embed_request_free(request);
	substrate_free(substrate);
	return status;
}

static FILE *open_output(const char *path)
{
	if (strcmp(path, "-") == 0)
		return stdout;
	FILE *file = fopen(path, "w");
	if (!file)
		fprintf(stderr, "loom-embed: %s: %s\n", path, strerror(errno));
	return file;
}

static int close_output(FILE *file)
{
	if (file == stdout)
		return fflush(stdout);
	return fclose(file);
}

static int command_simulate(int argc, char **argv)
{
	static const struct option options[] = {
		{ "setup", required_argument, NULL, 'S' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "seed", required_argument, NULL, 'n' },
		{ "seeds", required_argument, NULL, 'k' },
		{ "substrate", required_argument, NULL, 's' },
		{ "csv", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "svg", required_argument, NULL, 'g' },
		{ "no-check", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *setup = NULL, *algorithms = "loom", *substrate_path = NULL;
	const char *csv = NULL, *json = NULL, *svg = NULL;
	unsigned long long seed = 1, seeds = 1;
	bool check = true;
	int option;
	optind = 1;
	while ((option = getopt_long(argc, argv, "S:a:n:k:s:c:j:g:xh", options,
				     NULL)) != -1) {
		char *end;
		switch (option) {
		case 'S': setup = optarg; break;
		case 'a': algorithms = optarg; break;
		case 'n':
		case 'k':
			errno = 0;
			unsigned long long value = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg ||
			    (option == 'k' && (value == 0 || value > 1000))) {
				fprintf(stderr, "loom-embed: --%s: '%s' is not a "
						"valid number\n",
					option == 'n' ? "seed" : "seeds", optarg);
				return 2;
			}
			*(option == 'n' ? &seed : &seeds) = value;
			break;
		case 's': substrate_path = optarg; break;
		case 'c': csv = optarg; break;
		case 'j': json = optarg; break;
		case 'g': svg = optarg; break;
		case 'x': check = false; break;
		case 'h': usage_simulate(stdout); return 0;
		default: usage_simulate(stderr); return 2;
		}
	}
	if (!setup || optind != argc) {
		fprintf(stderr, "loom-embed simulate: --setup is required\n");
		usage_simulate(stderr);
		return 2;
	}
	enum embed_algorithm chosen[EMBED_ALGORITHM_COUNT * 4];
	size_t chosen_count = 0;
	char list[512];
	snprintf(list, sizeof(list), "%s", algorithms);
	for (char *save = NULL, *name = strtok_r(list, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		if (strcmp(name, "all") == 0) {
			for (unsigned i = 0; i < EMBED_ALGORITHM_COUNT; i++)
				if (i != EMBED_ALGORITHM_MIP &&
				    chosen_count < sizeof(chosen) / sizeof(*chosen))
					chosen[chosen_count++] = i;
			continue;
		}
		enum embed_algorithm algorithm;
		if (embed_algorithm_parse(name, &algorithm)) {
			fprintf(stderr, "loom-embed: unknown algorithm '%s' (try "
					"loom-embed algorithms)\n",
				name);
			return 2;
		}
		if (chosen_count < sizeof(chosen) / sizeof(*chosen))
			chosen[chosen_count++] = algorithm;
	}
	if (!chosen_count) {
		fprintf(stderr, "loom-embed: no algorithm given\n");
		return 2;
	}
	size_t row_capacity = chosen_count * seeds, row_count = 0;
	struct embed_report_row *rows = calloc(row_capacity, sizeof(*rows));
	struct embed_simulation *runs = calloc(row_capacity, sizeof(*runs));
	char (*setup_names)[64] = calloc(seeds, sizeof(*setup_names));
	int status = 0;
	if (!rows || !runs || !setup_names) {
		fprintf(stderr, "loom-embed: out of memory\n");
		status = 2;
		goto out;
	}
	bool terminal = isatty(STDERR_FILENO);
	for (unsigned long long s = 0; s < seeds && !status; s++) {
		struct embed_workload workload;
		struct load_error error = { 0 };
		if (embed_workload_build(setup, seed + s, substrate_path,
					 &workload, &error)) {
			print_error(&error);
			status = 2;
			break;
		}
		snprintf(setup_names[s], sizeof(setup_names[s]), "%s",
			 strncmp(setup, "vineyard:", 9) == 0 ? "vineyard" :
			 strncmp(setup, "zoo:", 4) == 0	     ? "zoo" :
								       setup);
		for (size_t a = 0; a < chosen_count && !status; a++) {
			struct embedder *embedder =
				embedder_create(workload.substrate, chosen[a], NULL);
			if (!embedder) {
				fprintf(stderr, "loom-embed: out of memory\n");
				status = 2;
				break;
			}
			char label[64];
			snprintf(label, sizeof(label), "%s/%llu",
				 embed_algorithm_name(chosen[a]), seed + s);
			struct embed_simulation_options run_options = {
				.check = check,
				.progress = terminal,
				.label = label,
			};
			struct embed_simulation *run = &runs[row_count];
			int result = embed_simulate(&workload, embedder,
						    &run_options, run);
			embedder_free(embedder);
			if (result) {
				fprintf(stderr, "loom-embed: %s failed: %s\n",
					label, strerror(-result));
				status = 2;
				break;
			}
			rows[row_count] = (struct embed_report_row){
				.setup = setup_names[s],
				.algorithm = embed_algorithm_name(chosen[a]),
				.seed = seed + s,
				.simulation = run,
			};
			if (row_count++ == 0)
				printf("%-8s %-11s %5s %7s %9s %7s %9s %8s %8s "
				       "%8s %8s\n",
				       "setup", "algorithm", "seed", "arrived",
				       "accepted", "R/C", "LAR", "node%", "link%",
				       "ms mean", "ms p99");
			const struct embed_metrics *m = &run->metrics;
			printf("%-8s %-11s %5llu %7u %8.2f%% %7.4f %9.3f %7.2f%% "
			       "%7.2f%% %8.3f %8.3f\n",
			       setup_names[s], embed_algorithm_name(chosen[a]),
			       seed + s, m->arrived, 100 * m->acceptance,
			       m->long_term_rc, m->long_term_revenue,
			       100 * m->node_utilization,
			       100 * m->link_utilization, m->ms_mean, m->ms_p99);
			fflush(stdout);
			if (run->violation) {
				fprintf(stderr,
					"loom-embed: %s: checker: %s: %s\n", label,
					embed_violation_name(run->violation),
					run->violation_detail);
				status = 3;
			}
		}
		embed_workload_free(&workload);
	}
	if (row_count && csv) {
		FILE *file = open_output(csv);
		if (!file || embed_report_csv(rows, row_count, file) ||
		    close_output(file))
			status = status ? status : 2;
	}
	if (row_count && json) {
		FILE *file = open_output(json);
		if (!file || embed_report_json(rows, row_count, file) ||
		    close_output(file))
			status = status ? status : 2;
	}
	if (row_count && svg) {
		FILE *file = open_output(svg);
		char title[128];
		snprintf(title, sizeof(title), "online embedding, setup %s", setup);
		if (!file || embed_report_svg(rows, row_count, title, file) ||
		    close_output(file))
			status = status ? status : 2;
	}
out:
	for (size_t i = 0; i < row_count; i++)
		embed_simulation_free(&runs[i]);
	free(runs);
	free(rows);
	free(setup_names);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage_main(stderr);
		return 2;
	}
	const char *command = argv[1];
	if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 ||
	    strcmp(command, "help") == 0) {
		usage_main(stdout);
		return 0;
	}
	if (strcmp(command, "embed") == 0)
		return command_embed(argc - 1, argv + 1);
	if (strcmp(command, "simulate") == 0)
		return command_simulate(argc - 1, argv + 1);
	if (strcmp(command, "algorithms") == 0)
		return command_algorithms();
	fprintf(stderr, "loom-embed: unknown command '%s'\n", command);
	usage_main(stderr);
	return 2;
}
