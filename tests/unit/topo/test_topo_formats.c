/* Topology Zoo GraphML and ViNE-Yard: every sample file loads with the
 * counts its catalogue states, speeds and defaults are applied as
 * documented, ViNE-Yard round-trips both ways, and malformed input is
 * refused with the line named. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "topo.h"

/* $LOOM_SOURCE_DIR/../shared/data/<sub>, or false (then the test skips). */
static bool shared_data(char *path, size_t size, const char *sub)
{
	const char *source = getenv("LOOM_SOURCE_DIR");
	if (!source)
		return false;
	snprintf(path, size, "%s/../shared/data/%s", source, sub);
	struct stat st;
	return stat(path, &st) == 0;
}

static void fail_with(const struct load_error *error)
{
	char text[1024];
	load_error_format(error, text, sizeof(text));
	fail_msg("%s", text);
}

/* ---- GraphML ------------------------------------------------------------ */

/* From the samples' SOURCES.md: nodes, simple undirected edges, and
 * components (parallel edges are kept as parallel links). */
static const struct {
	const char *file;
	uint32_t nodes;
	uint32_t edges_as_stored;
	uint32_t components;
} zoo_samples[] = {
	{ "Abilene.graphml", 11, 14, 1 },   { "Nsfnet.graphml", 13, 15, 1 },
	{ "AttMpls.graphml", 25, 57, 1 },   { "Geant2012.graphml", 40, 61, 1 },
	{ "Dfn.graphml", 58, 87, 1 },       { "Tw.graphml", 76, 118, 6 },
	{ "Cogentco.graphml", 197, 245, 1 },
};

static void test_zoo_samples_load(void **state)
{
	(void)state;
	char path[4096];
	if (!shared_data(path, sizeof(path), "topologies"))
		skip();
	for (size_t i = 0; i < sizeof(zoo_samples) / sizeof(zoo_samples[0]); i++) {
		char file[4200];
		snprintf(file, sizeof(file), "%s/%s", path, zoo_samples[i].file);
		struct load_error error, warning;
		struct substrate *substrate =
			substrate_load_graphml(file, NULL, &error, &warning);
		if (!substrate)
			fail_with(&error);
		print_message("# %s: %u nodes, %u links, %u components\n",
			      zoo_samples[i].file, substrate->node_count,
			      substrate->link_count, substrate->component_count);
		assert_int_equal(substrate->node_count, zoo_samples[i].nodes);
		assert_int_equal(substrate->link_count,
				 zoo_samples[i].edges_as_stored);
		assert_int_equal(substrate->component_count,
				 zoo_samples[i].components);
		if (zoo_samples[i].components > 1)
			assert_non_null(strstr(warning.message, "not connected"));
		else
			assert_string_equal(warning.message, "");
		/* Defaults where the file is silent. */
		for (uint32_t n = 0; n < substrate->node_count; n++)
			assert_true(substrate->nodes[n].cpu == 100);
		/* It survives the YAML writer and loader. */
		char *text = NULL;
		size_t size = 0;
		FILE *stream = open_memstream(&text, &size);
		assert_int_equal(substrate_write_yaml(substrate, stream), 0);
		fclose(stream);
		struct substrate *again = substrate_load_yaml_string(
			"again.yaml", text, size, &error, NULL);
		if (!again)
			fail_with(&error);
		assert_int_equal(again->link_count, substrate->link_count);
		for (uint32_t l = 0; l < again->link_count; l++) {
			assert_true(again->links[l].bandwidth ==
				    substrate->links[l].bandwidth);
			assert_true(again->links[l].latency ==
				    substrate->links[l].latency);
		}
		substrate_free(again);
		free(text);
		substrate_free(substrate);
	}
}

/* Geant2012 has LinkSpeedRaw on 40 edges: those get the file's speed, the
 * others the default; a seed draws the others in the range. Latency comes
 * from the great-circle distance. */
static void test_zoo_speeds_and_latency(void **state)
{
	(void)state;
	char path[4096];
	if (!shared_data(path, sizeof(path), "topologies/Geant2012.graphml"))
		skip();
	struct load_error error;
	struct substrate *substrate =
		substrate_load_graphml(path, NULL, &error, NULL);
	if (!substrate)
		fail_with(&error);
	assert_string_equal(substrate->name, "Geant2012");
	unsigned with_speed = 0, ten_g = 0;
	for (uint32_t l = 0; l < substrate->link_count; l++) {
		double bandwidth = substrate->links[l].bandwidth;
		if (bandwidth != 1000)
			with_speed++;
		if (bandwidth == 10000)
			ten_g++;
	}
	assert_true(with_speed > 20);
	assert_true(ten_g > 0);
	/* Amsterdam (node 0, NL) - node 34 edge carries 2.5 Gbit/s. */
	int amsterdam = substrate_node_lookup(substrate, "0");
	assert_int_equal(amsterdam, 0);
	assert_string_equal(substrate->nodes[0].site, "NL");
	assert_int_equal(substrate->nodes[0].position_kind,
			 SUBSTRATE_POSITION_GEOGRAPHIC);
	assert_true(fabs(substrate->nodes[0].y - 52.37403) < 1e-9);
	bool found = false;
	for (uint32_t a = substrate->arc_start[0]; a < substrate->arc_start[1]; a++) {
		const struct substrate_link *link =
			&substrate->links[substrate->arcs[a].link];
		const struct substrate_node *other =
			&substrate->nodes[substrate->arcs[a].neighbour];
		if (strcmp(other->id, "34") == 0) {
			found = true;
			assert_true(link->bandwidth == 2500);
		}
		if (strcmp(other->id, "1") == 0) {
			/* Amsterdam - Brussels is about 173 km: ~0.87 ms. */
			assert_true(link->latency > 0.8 && link->latency < 0.95);
		}
	}
	assert_true(found);
	substrate_free(substrate);

	struct graphml_options options = { .seed = 7, .ignore_link_speed = true };
	substrate = substrate_load_graphml(path, &options, &error, NULL);
	assert_non_null(substrate);
	for (uint32_t l = 0; l < substrate->link_count; l++)
		assert_true(substrate->links[l].bandwidth >= 50 &&
			    substrate->links[l].bandwidth <= 100);
	for (uint32_t n = 0; n < substrate->node_count; n++)
		assert_true(substrate->nodes[n].cpu >= 50 &&
			    substrate->nodes[n].cpu <= 100);
	double first = substrate->links[3].bandwidth;
	substrate_free(substrate);
	substrate = substrate_load_graphml(path, &options, &error, NULL);
	assert_true(substrate->links[3].bandwidth == first);
	substrate_free(substrate);
}

static const char graphml_head[] =
	"<?xml version=\"1.0\"?>\n"
	"<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n"
	"  <key attr.name=\"Latitude\" attr.type=\"double\" for=\"node\" id=\"d1\"/>\n"
	"  <key attr.name=\"Longitude\" attr.type=\"double\" for=\"node\" id=\"d2\"/>\n"
	"  <key attr.name=\"LinkSpeed\" attr.type=\"string\" for=\"edge\" id=\"d3\"/>\n"
	"  <key attr.name=\"LinkSpeedUnits\" attr.type=\"string\" for=\"edge\" id=\"d4\"/>\n"
	"  <graph edgedefault=\"undirected\">\n";

static void test_graphml_small_and_errors(void **state)
{
	(void)state;
	static const struct {
		const char *body;
		unsigned line; /* 0: must load */
		const char *message;
	} cases[] = {
		{ "<node id=\"a\"/><node id=\"b\"/>\n"
		  "<edge source=\"a\" target=\"b\"><data key=\"d3\">100</data>"
		  "<data key=\"d4\">M</data></edge>\n"
		  "<edge source=\"b\" target=\"b\"/>\n",
		  0, NULL },
		{ "<node id=\"a\"/>\n<node id=\"a\"/>\n", 9,
		  "duplicate node id 'a'" },
		{ "<node id=\"a\"/>\n<edge source=\"a\" target=\"z\"/>\n", 9,
		  "dangling edge: there is no node 'z'" },
		{ "<node/>\n", 8, "a node needs an id" },
		{ "<node id=\"a\"><data key=\"d1\">north</data>"
		  "<data key=\"d2\">3</data></node>\n",
		  8, "Latitude 'north' is not a number" },
		{ "<node id=\"a\"/><node id=\"b\"/>\n"
		  "<edge source=\"a\" target=\"b\"><data key=\"d3\">fast</data>"
		  "</edge>\n",
		  9, "malformed link speed 'fast'" },
		{ "", 7, "the graph has no nodes" },
		{ "<node id=\"a\">\n</graph>", 9, "Premature end of data" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[4096];
		snprintf(text, sizeof(text), "%s%s%s", graphml_head, cases[i].body,
			 strstr(cases[i].body, "</graph>") ? ""
							    : "</graph></graphml>\n");
		struct load_error error, warning;
		memset(&error, 0, sizeof(error));
		struct substrate *substrate = substrate_load_graphml_memory(
			"t.graphml", text, strlen(text), NULL, &error, &warning);
		char formatted[1024];
		load_error_format(&error, formatted, sizeof(formatted));
		print_message("# case %zu: %s\n", i, formatted);
		if (cases[i].line == 0) {
			assert_non_null(substrate);
			assert_int_equal(substrate->link_count, 1);
			assert_true(substrate->links[0].bandwidth == 100);
			assert_true(substrate->links[0].latency == 1);
			assert_non_null(strstr(warning.message, "self-loop"));
			substrate_free(substrate);
			continue;
		}
		assert_null(substrate);
		assert_string_equal(error.file, "t.graphml");
		assert_int_equal(error.line, cases[i].line);
		if (!strstr(error.message, cases[i].message))
			fail_msg("case %zu: '%s' lacks '%s'", i, error.message,
				 cases[i].message);
	}
	struct load_error error;
	assert_null(substrate_load_graphml_memory("x", "<a/>", 4, NULL, &error,
						  NULL));
	assert_non_null(strstr(error.message, "not a GraphML document"));
	assert_null(substrate_load_graphml("/nonexistent.graphml", NULL, &error,
					   NULL));
	assert_non_null(strstr(error.message, "cannot open"));
}

/* ---- ViNE-Yard ---------------------------------------------------------- */

static char *write_vineyard(const struct substrate *substrate)
{
	char *text = NULL;
	size_t size = 0;
	FILE *stream = open_memstream(&text, &size);
	assert_int_equal(substrate_write_vineyard(substrate, stream), 0);
	fclose(stream);
	return text;
}

static char *read_all(const char *path)
{
	FILE *file = fopen(path, "rb");
	assert_non_null(file);
	fseek(file, 0, SEEK_END);
	long size = ftell(file);
	rewind(file);
	char *text = malloc(size + 1);
	assert_int_equal(fread(text, 1, size, file), (size_t)size);
	text[size] = '\0';
	fclose(file);
	return text;
}

/* The shared sample: text -> model -> text is byte for byte the file, and
 * the README's figures hold (100 nodes, 500 links, diameter 4). */
static void test_vineyard_sample_round_trip(void **state)
{
	(void)state;
	char path[4096];
	if (!shared_data(path, sizeof(path),
			 "vne-instances/substrate-waxman-100n-500l.txt"))
		skip();
	struct load_error error;
	struct substrate *substrate = substrate_load_vineyard(path, &error, NULL);
	if (!substrate)
		fail_with(&error);
	assert_int_equal(substrate->node_count, 100);
	assert_int_equal(substrate->link_count, 500);
	assert_int_equal(substrate->component_count, 1);
	assert_true(substrate->nodes[0].x == 36 && substrate->nodes[0].y == 25);
	assert_true(substrate->nodes[0].cpu == 99.9871);
	char *original = read_all(path);
	char *written = write_vineyard(substrate);
	assert_string_equal(original, written);

	struct substrate_search *search = substrate_search_create(substrate);
	uint32_t distance[100];
	uint32_t diameter = 0;
	double total = 0;
	for (uint32_t s = 0; s < 100; s++) {
		substrate_hop_distances(search, s, NULL, distance);
		for (uint32_t t = 0; t < 100; t++) {
			if (distance[t] > diameter)
				diameter = distance[t];
			total += distance[t];
		}
	}
	assert_int_equal(diameter, 4);
	assert_true(fabs(total / (100 * 99) - 2.26) < 0.01);
	substrate_search_free(search);
	free(original);
	free(written);
	substrate_free(substrate);
}

/* Model -> ViNE-Yard -> model keeps every value the format has. */
static void test_vineyard_model_round_trip(void **state)
{
	(void)state;
	struct substrate *substrate =
		topo_generate_barabasi_albert(30, 2, NULL, 99);
	assert_non_null(substrate);
	char *text = write_vineyard(substrate);
	struct load_error error;
	struct substrate *again = substrate_load_vineyard_string(
		"again.txt", text, strlen(text), &error, NULL);
	if (!again)
		fail_with(&error);
	assert_int_equal(again->node_count, substrate->node_count);
	assert_int_equal(again->link_count, substrate->link_count);
	for (uint32_t n = 0; n < again->node_count; n++)
		assert_true(again->nodes[n].cpu == substrate->nodes[n].cpu);
	for (uint32_t l = 0; l < again->link_count; l++) {
		const struct substrate_link *a = &again->links[l];
		const struct substrate_link *b = &substrate->links[l];
		assert_true(a->bandwidth == b->bandwidth);
		assert_true(a->latency == b->latency);
		assert_int_equal(a->ends[0].node, b->ends[0].node);
		assert_int_equal(a->ends[1].node, b->ends[1].node);
	}
	free(text);
	substrate_free(again);
	substrate_free(substrate);
}

static void test_vineyard_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		unsigned line;
		const char *message;
	} cases[] = {
		{ "2 1\n0 0 5\n1 1 5\n0 1 10 1\n", 0, NULL },
		{ "2 1\r\n0 0 5\r\n1 1 5\r\n0 1 10 1\r\n\r\n\n", 0, NULL },
		{ "2 1\n0 0 5\n1 1 5\n", 4, "the file ends where a link line" },
		{ "2 1\n0 0 5\n1 1 5\n0 1 10 1\n0 1 10 1\n", 5, "extra line" },
		{ "2 1\n0 0 5\n1 1\n0 1 10 1\n", 3,
		  "expected 3 fields (x y cpu), found 2" },
		{ "2 1\n0 0 5\n1 1 5 9\n0 1 10 1\n", 3, "found 4" },
		{ "2 1\n0 0 5\n1.5 1 x\n0 1 10 1\n", 3, "'x' is not a number" },
		{ "2 1\n0 0 5\n1 1 -5\n0 1 10 1\n", 3, "negative value -5" },
		{ "2 1\n0 0 5\n1 1 5\n0 2 10 1\n", 4, "2 is out of range [0, 1]" },
		{ "2 1\n0 0 5\n1 1 5\n0 1.0 10 1\n", 4, "'1.0' is not an integer" },
		{ "2 1\n0 0 5\n1 1 5\n1 1 10 1\n", 4, "to itself" },
		{ "2 1\n0 0 5\n\n1 1 5\n0 1 10 1\n", 3, "empty line" },
		{ "2.5 1\n", 1, "'2.5' is not an integer" },
		{ "900 900\n1 1 1\n", 1, "too short" },
		{ "0 0\n", 1, "0 is out of range" },
		{ "", 1, "the file ends where the header" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct load_error error;
		memset(&error, 0, sizeof(error));
		struct substrate *substrate = substrate_load_vineyard_string(
			"s.txt", cases[i].text, strlen(cases[i].text), &error,
			NULL);
		char formatted[1024];
		load_error_format(&error, formatted, sizeof(formatted));
		print_message("# case %zu: %s\n", i, formatted);
		if (cases[i].line == 0) {
			assert_non_null(substrate);
			assert_int_equal(substrate->link_count, 1);
			substrate_free(substrate);
			continue;
		}
		assert_null(substrate);
		assert_int_equal(error.line, cases[i].line);
		if (!strstr(error.message, cases[i].message))
			fail_msg("case %zu: '%s' lacks '%s'", i, error.message,
				 cases[i].message);
	}
}

/* Every request of a workload archive reads and round-trips; the README's
 * rules hold (2-10 nodes, connected). */
static void test_vineyard_requests(void **state)
{
	(void)state;
	char archive[4096];
	if (!shared_data(archive, sizeof(archive), "vne-instances/er-virne-1.tar.gz"))
		skip();
	char directory[] = "/tmp/topo-requests-XXXXXX";
	assert_non_null(mkdtemp(directory));
	char command[8400];
	snprintf(command, sizeof(command), "tar -xzf '%s' -C '%s'", archive,
		 directory);
	if (system(command) != 0)
		skip();
	unsigned loaded = 0;
	for (unsigned r = 0;; r++) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/er-virne-1/req%u.txt", directory, r);
		struct stat st;
		if (stat(path, &st) != 0)
			break;
		struct vineyard_request request;
		struct load_error error;
		if (vineyard_request_load(path, &request, &error))
			fail_with(&error);
		assert_true(request.graph->node_count >= 2 &&
			    request.graph->node_count <= 10);
		assert_int_equal(request.graph->component_count, 1);
		/* Request files print fixed decimals ("9.793870"), so
		 * compare values: write, read back, compare, and the second
		 * write is the first. */
		char *text = NULL, *again_text = NULL;
		size_t size = 0;
		FILE *stream = open_memstream(&text, &size);
		assert_int_equal(vineyard_request_write(&request, stream), 0);
		fclose(stream);
		struct vineyard_request again;
		if (vineyard_request_load_string("again", text, size, &again,
						 &error))
			fail_with(&error);
		assert_true(again.arrival == request.arrival &&
			    again.duration == request.duration &&
			    again.split == request.split &&
			    again.topology == request.topology &&
			    again.max_distance == request.max_distance);
		assert_int_equal(again.graph->node_count,
				 request.graph->node_count);
		assert_int_equal(again.graph->link_count,
				 request.graph->link_count);
		for (uint32_t n = 0; n < again.graph->node_count; n++)
			assert_true(again.graph->nodes[n].cpu ==
					    request.graph->nodes[n].cpu &&
				    again.graph->nodes[n].x ==
					    request.graph->nodes[n].x);
		for (uint32_t l = 0; l < again.graph->link_count; l++)
			assert_true(again.graph->links[l].bandwidth ==
				    request.graph->links[l].bandwidth);
		stream = open_memstream(&again_text, &size);
		assert_int_equal(vineyard_request_write(&again, stream), 0);
		fclose(stream);
		assert_string_equal(text, again_text);
		free(text);
		free(again_text);
		vineyard_request_free(&again);
		vineyard_request_free(&request);
		loaded++;
	}
	assert_int_equal(loaded, 1000);
	snprintf(command, sizeof(command), "rm -rf '%s'", directory);
	assert_int_equal(system(command), 0);

	struct vineyard_request request;
	struct load_error error;
	const char *bad = "2 1 0 1.5 100 0\n1 1 1\n2 2 2\n0 1 5 0\n";
	assert_int_equal(vineyard_request_load_string("r.txt", bad, strlen(bad),
						      &request, &error),
			 -1);
	assert_int_equal(error.line, 1);
	assert_non_null(strstr(error.message, "expected 7 fields"));
	assert_null(request.graph);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zoo_samples_load),
		cmocka_unit_test(test_zoo_speeds_and_latency),
		cmocka_unit_test(test_graphml_small_and_errors),
		cmocka_unit_test(test_vineyard_sample_round_trip),
		cmocka_unit_test(test_vineyard_model_round_trip),
		cmocka_unit_test(test_vineyard_errors),
		cmocka_unit_test(test_vineyard_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
