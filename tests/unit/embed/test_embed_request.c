/* The request and substrate readers: strict ViNE-Yard text (a malformed
 * line is an error naming it, never a silent 0), round trips, substrates
 * through topo, the YAML
 * format with its constraints and LANs, and, when the shared instance
 * files are present, parsed totals equal to the files' totals computed
 * independently. */
#include "embed_test.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INSTANCES "/work/shared/data/vne-instances"

static struct embed_request *parse(const char *text, struct load_error *error)
{
	memset(error, 0, sizeof(*error));
	return embed_request_load_vineyard_string("req.txt", text, strlen(text),
						  error);
}

static void test_vineyard_request_valid(void **state)
{
	(void)state;
	struct load_error error;
	struct embed_request *request =
		parse("3 2 0 12.5 340.25 0 0\n"
		      "1.5 2.25 10.5\n"
		      "\n"
		      "3 4 0\n"
		      "-1 7e0 19.999999\n"
		      "0 1 12.75 0\n"
		      "2 1 0.5 0\r\n",
		      &error);
	assert_non_null(request);
	assert_int_equal(request->node_count, 3);
	assert_int_equal(request->link_count, 2);
	assert_true(request->arrival == 12.5 && request->lifetime == 340.25);
	assert_true(request->nodes[0].cpu == 10500000);
	assert_true(request->nodes[1].cpu == 0);
	assert_true(request->nodes[2].cpu == 19999999);
	assert_true(request->nodes[0].x == 1.5 && request->nodes[0].y == 2.25);
	assert_false(request->nodes[0].has_position);
	assert_int_equal(request->links[1].endpoints[0], 2);
	assert_int_equal(request->links[1].endpoints[1], 1);
	assert_true(request->links[0].bandwidth == 12750000);
	assert_true(fabs(embed_request_revenue(request) -
			 (10.5 + 19.999999 + 12.75 + 0.5)) < 1e-9);
	/* round trip */
	char *text = NULL;
	size_t size = 0;
	FILE *stream = open_memstream(&text, &size);
	assert_int_equal(embed_request_write_vineyard(request, stream), 0);
	fclose(stream);
	struct embed_request *again = parse(text, &error);
	assert_non_null(again);
	assert_int_equal(again->node_count, 3);
	for (uint32_t v = 0; v < 3; v++)
		assert_true(again->nodes[v].cpu == request->nodes[v].cpu);
	for (uint32_t k = 0; k < 2; k++)
		assert_true(again->links[k].bandwidth == request->links[k].bandwidth);
	free(text);
	embed_request_free(again);
	embed_request_free(request);
	/* location constraint from the header's max_distance */
	request = parse("1 0 0 0 10 0 2.5\n4 5 1\n", &error);
	assert_non_null(request);
	assert_true(request->nodes[0].has_position);
	assert_true(request->nodes[0].max_distance == 2.5);
	assert_true(request->nodes[0].x == 4 && request->nodes[0].y == 5);
	embed_request_free(request);
}

static void test_vineyard_request_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		unsigned line;
		const char *message;
	} cases[] = {
		{ "", 1, "empty" },
		{ "2 1 0 0 10 0\n", 1, "7 fields" },
		{ "2 1 0 0 10 0 0 9\n", 1, "7 fields" },
		{ "2.5 1 0 0 10 0 0\n", 1, "not a number" },
		{ "-2 1 0 0 10 0 0\n", 1, "not a number" },
		{ "2 1 0 0 -10 0 0\n", 1, ">= 0" },
		{ "0 0 0 0 10 0 0\n", 1, "at least one node" },
		/* the pitfall: a coordinate that is not a number */
		{ "2 1 0 0 10 0 0\n1.5.3 2 10\n3 4 5\n0 1 5 0\n", 2, "x y cpu" },
		{ "2 1 0 0 10 0 0\n1 2\n3 4 5\n0 1 5 0\n", 2, "x y cpu" },
		{ "2 1 0 0 10 0 0\n1 2 3 4\n3 4 5\n0 1 5 0\n", 2, "x y cpu" },
		{ "2 1 0 0 10 0 0\n1 2 -3\n3 4 5\n0 1 5 0\n", 2, "CPU" },
		{ "2 1 0 0 10 0 0\n1 2 nan\n3 4 5\n0 1 5 0\n", 2, "x y cpu" },
		{ "2 1 0 0 10 0 0\n1 2 1e999\n3 4 5\n0 1 5 0\n", 2, "x y cpu" },
		{ "2 1 0 0 10 0 0\n1 2 3\n", 3, "after 1 of 2" },
		{ "2 1 0 0 10 0 0\n1 2 3\n3 4 5\n", 4, "after 0 of 1" },
		{ "2 1 0 0 10 0 0\n1 2 3\n3 4 5\n0 2 5 0\n", 4, "endpoints" },
		{ "2 1 0 0 10 0 0\n1 2 3\n3 4 5\n1 1 5 0\n", 4, "itself" },
		{ "2 1 0 0 10 0 0\n1 2 3\n3 4 5\n0 1 -5 0\n", 4, ">= 0" },
		{ "2 1 0 0 10 0 0\n1 2 3\n3 4 5\n0 1 5x 0\n", 4, "from to" },
		{ "3 2 0 0 10 0 0\n1 2 3\n3 4 5\n5 6 7\n0 1 5 0\n1 0 5 0\n", 6,
		  "duplicate" },
		{ "2 1 0 0 10 0 0\n1 2 3\n3 4 5\n0 1 5 0\n9 9 9\n", 5,
		  "unexpected line" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct load_error error;
		struct embed_request *request = parse(cases[i].text, &error);
		if (request)
			fail_msg("case %zu accepted: %s", i, cases[i].text);
		if (error.line != cases[i].line ||
		    !strstr(error.message, cases[i].message))
			fail_msg("case %zu: line %u '%s', expected line %u '%s'", i,
				 error.line, error.message, cases[i].line,
				 cases[i].message);
		assert_string_equal(error.file, "req.txt");
	}
}

/* Substrates come through topo's loaders, chosen by file name. */
static void test_substrate_loading(void **state)
{
	(void)state;
	struct load_error error = { 0 };
	assert_null(embed_substrate_load("/nonexistent/substrate.txt", &error));
	assert_true(strlen(error.message) > 0);
	if (access(INSTANCES "/substrate-waxman-100n-500l.txt", R_OK)) {
		print_message("# instance files absent: skipped\n");
		skip();
	}
	struct substrate *substrate = embed_substrate_load(
		INSTANCES "/substrate-waxman-100n-500l.txt", &error);
	assert_non_null(substrate);
	assert_int_equal(substrate->node_count, 100);
	assert_int_equal(substrate->link_count, 500);
	/* independent total of the file's CPU column */
	FILE *file = fopen(INSTANCES "/substrate-waxman-100n-500l.txt", "r");
	unsigned n, m;
	assert_int_equal(fscanf(file, "%u %u", &n, &m), 2);
	double cpu = 0, x, y, value;
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(fscanf(file, "%lf %lf %lf", &x, &y, &value), 3);
		cpu += value;
	}
	fclose(file);
	assert_true(fabs(substrate_total_cpu(substrate) - cpu) < 1e-6);
	substrate_free(substrate);
}

static void test_yaml_request(void **state)
{
	(void)state;
	const double cpu[] = { 10, 10, 10, 10 };
	const struct test_link links[] = { { 0, 1, 10, 1, 0, 0 } };
	struct substrate *substrate = test_substrate(4, cpu, 1, links);
	const char *text = "name: tenant\n"
			   "lifetime: 100\n"
			   "nodes:\n"
			   "  - {id: web, cpu: 4, allowed: [n1, n3]}\n"
			   "  - {id: db, cpu: 2.5, site: s0}\n"
			   "  - {id: cache, cpu: 1, position: {x: 1, y: 0, "
			   "max_distance: 3}}\n"
			   "links:\n"
			   "  - {id: a, endpoints: [web, db], bandwidth: 10, "
			   "latency: 4}\n"
			   "  - {endpoints: [web, db, cache], bandwidth: 2}\n";
	struct load_error error = { 0 };
	struct embed_request *request = embed_request_load_yaml_string(
		"r.yaml", text, strlen(text), substrate, &error);
	if (!request)
		fail_msg("%s:%u: %s", error.file, error.line, error.message);
	assert_string_equal(request->name, "tenant");
	assert_true(request->lifetime == 100);
	assert_int_equal(request->node_count, 3);
	assert_int_equal(request->nodes[0].allowed_count, 2);
	assert_int_equal(request->nodes[0].allowed[1], 3);
	assert_string_equal(request->nodes[1].site, "s0");
	assert_true(request->nodes[2].has_position);
	assert_int_equal(request->links[1].endpoint_count, 3);
	assert_string_equal(request->links[1].id, "e1");
	assert_true(request->links[0].max_latency == 4);
	/* revenue: 7.5 CPU + 10 + 2 x 2 */
	assert_true(fabs(embed_request_revenue(request) - 21.5) < 1e-9);
	struct embed_request *copy = embed_request_clone(request);
	assert_int_equal(copy->links[1].endpoint_count, 3);
	assert_int_equal(copy->nodes[0].allowed[0], 1);
	embed_request_free(copy);
	embed_request_free(request);
	static const struct {
		const char *text;
		unsigned line;
		const char *field;
	} bad[] = {
		{ "nodes:\n  - {id: a, cpus: 1}\n", 2, "" },
		{ "nodes:\n  - {id: a}\n", 0, "cpu" },
		{ "nodes:\n  - {id: a, cpu: -1}\n", 2, "cpu" },
		{ "nodes:\n  - {id: a, cpu: 1}\n  - {id: a, cpu: 1}\n", 3, "id" },
		{ "nodes:\n  - {id: a, cpu: 1, allowed: [n9]}\n", 2, "allowed" },
		{ "nodes:\n  - {id: a, cpu: 1}\nlinks:\n"
		  "  - {endpoints: [a, b], bandwidth: 1}\n",
		  4, "endpoints" },
		{ "nodes:\n  - {id: a, cpu: 1}\n  - {id: b, cpu: 1}\nlinks:\n"
		  "  - {endpoints: [a, a], bandwidth: 1}\n",
		  5, "endpoints" },
		{ "nodes:\n  - {id: a, cpu: 1}\n  - {id: b, cpu: 1}\nlinks:\n"
		  "  - {endpoints: [a, b]}\n",
		  0, "bandwidth" },
		{ "links: []\n", 1, "nodes" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		memset(&error, 0, sizeof(error));
		request = embed_request_load_yaml_string(
			"r.yaml", bad[i].text, strlen(bad[i].text), substrate,
			&error);
		if (request)
			fail_msg("bad YAML %zu accepted", i);
		if ((bad[i].line && error.line != bad[i].line) ||
		    !strstr(error.field, bad[i].field))
			fail_msg("bad YAML %zu: line %u field '%s' (%s)", i,
				 error.line, error.field, error.message);
	}
	substrate_free(substrate);
}

/* Independent totals of a request file: plain fscanf, no validation. */
static void file_totals(const char *path, double *cpu, double *bandwidth,
			unsigned *nodes, unsigned *links)
{
	FILE *file = fopen(path, "r");
	assert_non_null(file);
	unsigned n, m, split, topology;
	double arrival, duration, distance, x, y, value, delay;
	assert_int_equal(fscanf(file, "%u %u %u %lf %lf %u %lf", &n, &m, &split,
				&arrival, &duration, &topology, &distance),
			 7);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(fscanf(file, "%lf %lf %lf", &x, &y, &value), 3);
		*cpu += value;
	}
	for (unsigned i = 0; i < m; i++) {
		unsigned a, b;
		assert_int_equal(fscanf(file, "%u %u %lf %lf", &a, &b, &value,
					&delay),
				 4);
		*bandwidth += value;
	}
	*nodes += n;
	*links += m;
	fclose(file);
}

static void test_instance_totals(void **state)
{
	(void)state;
	if (access(INSTANCES "/er-virne-1.tar.gz", R_OK) ||
	    access(INSTANCES "/substrate-waxman-100n-500l.txt", R_OK)) {
		print_message("# instance files absent: skipped\n");
		skip();
	}
	char directory[] = "/tmp/embed-test-XXXXXX";
	assert_non_null(mkdtemp(directory));
	char command[512];
	snprintf(command, sizeof(command),
		 "tar -xzf " INSTANCES "/er-virne-1.tar.gz -C %s", directory);
	assert_int_equal(system(command), 0);
	struct load_error error = { 0 };
	struct embed_workload workload;
	assert_int_equal(embed_workload_build("vineyard:" INSTANCES
					      "/er-virne-1.tar.gz",
					      1, NULL, &workload, &error),
			 0);
	assert_int_equal(workload.request_count, 1000);
	assert_int_equal(workload.substrate->node_count, 100);
	assert_int_equal(workload.substrate->link_count, 500);
	double cpu = 0, bandwidth = 0;
	unsigned nodes = 0, links = 0;
	for (uint32_t i = 0; i < 1000; i++) {
		char path[600];
		snprintf(path, sizeof(path), "%s/%s/req%u.txt", directory,
			 "er-virne-1", i);
		if (access(path, R_OK))
			fail_msg("no %s", path);
		file_totals(path, &cpu, &bandwidth, &nodes, &links);
	}
	double parsed_cpu = 0, parsed_bandwidth = 0;
	unsigned parsed_nodes = 0, parsed_links = 0;
	for (uint32_t i = 0; i < workload.request_count; i++) {
		parsed_cpu += embed_request_cpu_total(workload.requests[i]);
		parsed_bandwidth += embed_request_bandwidth_total(workload.requests[i]);
		parsed_nodes += workload.requests[i]->node_count;
		parsed_links += workload.requests[i]->link_count;
		assert_true(i == 0 || workload.requests[i]->arrival >=
					      workload.requests[i - 1]->arrival);
	}
	assert_int_equal(parsed_nodes, nodes);
	assert_int_equal(parsed_links, links);
	/* millionth rounding per value: at most 0.5e-6 each */
	assert_true(fabs(parsed_cpu - cpu) <= 0.5e-6 * nodes + 1e-6);
	assert_true(fabs(parsed_bandwidth - bandwidth) <= 0.5e-6 * links + 1e-6);
	assert_true(cpu > 1000); /* not silently zero */
	embed_workload_free(&workload);
	snprintf(command, sizeof(command), "rm -rf %s", directory);
	assert_int_equal(system(command), 0);
	/* nothing left behind by the loader's own extraction */
	snprintf(command, sizeof(command),
		 "test -z \"$(find ${TMPDIR:-/tmp} -maxdepth 1 -name "
		 "'loom-embed-*' -newer %s 2>/dev/null)\"",
		 INSTANCES "/er-virne-1.tar.gz");
	assert_int_equal(system(command), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vineyard_request_valid),
		cmocka_unit_test(test_vineyard_request_malformed),
		cmocka_unit_test(test_substrate_loading),
		cmocka_unit_test(test_yaml_request),
		cmocka_unit_test(test_instance_totals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
