/* The YAML substrate format: the annotated example loads with the values it
 * documents, YAML -> model -> YAML is a fixed point, and every error names
 * the right line, column and reason. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "topo.h"

static char *write_to_string(const struct substrate *substrate)
{
	char *text = NULL;
	size_t size = 0;
	FILE *stream = open_memstream(&text, &size);
	assert_non_null(stream);
	assert_int_equal(substrate_write_yaml(substrate, stream), 0);
	fclose(stream);
	return text;
}

static struct substrate *load_text(const char *text, struct load_error *error,
				   struct load_error *warning)
{
	return substrate_load_yaml_string("test.yaml", text, strlen(text), error,
					  warning);
}

/* Field by field: what the writer must preserve. */
static void assert_same_substrate(const struct substrate *a,
				  const struct substrate *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->node_count, b->node_count);
	assert_int_equal(a->link_count, b->link_count);
	for (uint32_t i = 0; i < a->node_count; i++) {
		const struct substrate_node *x = &a->nodes[i], *y = &b->nodes[i];
		assert_string_equal(x->id, y->id);
		assert_true(x->cpu == y->cpu);
		assert_int_equal(x->has_memory, y->has_memory);
		assert_true(x->memory == y->memory);
		assert_string_equal(x->site, y->site);
		assert_int_equal(x->position_kind, y->position_kind);
		assert_true(x->x == y->x && x->y == y->y);
		assert_string_equal(x->control, y->control);
		assert_int_equal(x->port_count, y->port_count);
		for (uint32_t p = 0; p < x->port_count; p++)
			assert_string_equal(x->ports[p].name, y->ports[p].name);
	}
	for (uint32_t i = 0; i < a->link_count; i++) {
		const struct substrate_link *x = &a->links[i], *y = &b->links[i];
		assert_string_equal(x->id, y->id);
		for (int e = 0; e < 2; e++) {
			assert_int_equal(x->ends[e].node, y->ends[e].node);
			assert_int_equal(x->ends[e].port, y->ends[e].port);
		}
		assert_true(x->bandwidth == y->bandwidth);
		assert_true(x->latency == y->latency);
		assert_int_equal(x->kind, y->kind);
		assert_int_equal(x->tags.first, y->tags.first);
		assert_int_equal(x->tags.last, y->tags.last);
	}
}

static void test_example_file(void **state)
{
	(void)state;
	const char *source = getenv("LOOM_SOURCE_DIR");
	if (!source)
		skip();
	char path[4096];
	snprintf(path, sizeof(path), "%s/topo/examples/substrate.yaml", source);
	struct load_error error, warning;
	struct substrate *substrate = substrate_load_yaml(path, &error, &warning);
	if (!substrate) {
		char text[1024];
		load_error_format(&error, text, sizeof(text));
		fail_msg("%s", text);
	}
	assert_string_equal(substrate->name, "two-sites");
	assert_int_equal(substrate->node_count, 4);
	assert_int_equal(substrate->link_count, 5);
	assert_string_equal(warning.message, "");
	assert_int_equal(substrate->component_count, 1);

	const struct substrate_node *paris = &substrate->nodes[0];
	assert_string_equal(paris->id, "paris-1");
	assert_true(paris->has_memory);
	assert_true(paris->memory == 65536);
	assert_int_equal(paris->position_kind, SUBSTRATE_POSITION_GEOGRAPHIC);
	assert_true(paris->y == 48.8566 && paris->x == 2.3522);
	assert_string_equal(paris->control, "/run/loom/paris-1.sock");
	assert_int_equal(paris->port_count, 3);
	assert_false(substrate->nodes[1].has_memory);
	assert_string_equal(substrate->nodes[2].control, "192.0.2.10:7470");
	assert_int_equal(substrate->nodes[3].position_kind,
			 SUBSTRATE_POSITION_PLANE);

	int link = substrate_link_lookup(substrate, "paris-1--paris-2");
	assert_int_equal(link, 0);
	assert_true(substrate->links[0].bandwidth == 10000);
	assert_true(fabs(substrate->links[0].latency - 0.05) < 1e-15);
	assert_int_equal(substrate->links[0].tags.first, 100);
	assert_int_equal(substrate->links[0].tags.last, 1999);
	const struct substrate_link *wan = &substrate->links[2];
	assert_int_equal(wan->kind, SUBSTRATE_LINK_IP);
	assert_true(wan->bandwidth == 1000 && wan->latency == 4.2);
	assert_int_equal(wan->tags.first, 10000);
	assert_int_equal(substrate->links[3].tags.last, SUBSTRATE_VNI_MAX);
	assert_int_equal(substrate->links[4].tags.last, SUBSTRATE_VLAN_MAX);
	assert_true(substrate->links[4].bandwidth == 100);
	assert_true(fabs(substrate->links[4].latency - 0.2) < 1e-15);
	assert_true(substrate->links[3].latency == 4.5);
	substrate_free(substrate);
}

/* YAML -> model -> YAML -> model: same model, and the second text is the
 * first (the writer's output is a fixed point). */
static void test_round_trip(void **state)
{
	(void)state;
	const char *text =
		"name: \"odd # name\"\n"
		"nodes:\n"
		"  - {id: a, cpu: 1.1, memory: 3, site: \"x: y\", control: /s,"
		"     position: {x: -1.5, y: 0.1}, ports: [e0, e1]}\n"
		"  - {id: \"b c\", cpu: 0, position: {latitude: -33.9, longitude: 151.2}}\n"
		"  - {id: \"-d:1\", cpu: 1e6, ports: [\"p#0\"]}\n"
		"links:\n"
		"  - {a: a:e0, b: b c, bandwidth: 0.3, latency: 1us}\n"
		"  - {id: z, a: a:e1, b: \"-d:1:p#0\", bandwidth: 12.5G, kind: ip,"
		"     vnis: 7}\n"
		"  - {a: a:e1, b: \"-d:1\", bandwidth: 1, vlans: 4094}\n";
	struct load_error error;
	struct substrate *first = load_text(text, &error, NULL);
	if (!first) {
		char message[1024];
		load_error_format(&error, message, sizeof(message));
		fail_msg("%s", message);
	}
	assert_true(first->links[0].latency == 1e-3);
	assert_true(first->links[1].bandwidth == 12500);
	assert_int_equal(first->links[1].tags.first, 7);
	assert_int_equal(first->links[1].tags.last, 7);
	assert_string_equal(first->nodes[2].ports[0].name, "p#0");
	char *written = write_to_string(first);
	struct substrate *second = load_text(written, &error, NULL);
	assert_non_null(second);
	assert_same_substrate(first, second);
	char *again = write_to_string(second);
	assert_string_equal(written, again);
	free(written);
	free(again);
	substrate_free(first);
	substrate_free(second);
}

static void test_disconnected_is_a_warning(void **state)
{
	(void)state;
	const char *text = "nodes: [{id: a, cpu: 1}, {id: b, cpu: 1},"
			   " {id: c, cpu: 1}]\n"
			   "links: [{a: a, b: b, bandwidth: 1}]\n";
	struct load_error error, warning;
	struct substrate *substrate = load_text(text, &error, &warning);
	assert_non_null(substrate);
	assert_int_equal(substrate->component_count, 2);
	assert_non_null(strstr(warning.message, "not connected"));
	assert_non_null(strstr(warning.message, "'c'"));
	substrate_free(substrate);
}

struct error_case {
	const char *text;
	unsigned line, column;
	const char *field;
	const char *message; /* a substring of the message */
};

static const char nodes_ab[] = "nodes:\n"
			       "  - id: a\n"
			       "    cpu: 4\n"
			       "    ports: [e0, e1]\n"
			       "  - id: b\n"
			       "    cpu: 4\n"
			       "    ports: [e0]\n";

static void test_positioned_errors(void **state)
{
	(void)state;
	static const struct error_case cases[] = {
		{ "links:\n  - {a: a:e0, b: q:e0, bandwidth: 1}\n", 9, 18, "b",
		  "dangling endpoint: there is no node 'q'" },
		{ "links:\n  - {a: a:e9, b: b:e0, bandwidth: 1}\n", 9, 9, "a",
		  "dangling endpoint: node 'a' has no port 'e9'" },
		{ "  - id: a\n    cpu: 1\n", 8, 9, "id",
		  "duplicate node id 'a' (first at line 2)" },
		{ "links:\n  - {id: l, a: a, b: b, bandwidth: 1}\n"
		  "  - {id: l, a: a, b: b, bandwidth: 1}\n",
		  10, 10, "id", "duplicate link id 'l' (first at line 9)" },
		{ "  - {id: c, cpu: -2}\n", 8, 18, "cpu",
		  "negative capacity -2" },
		{ "links:\n  - {a: a, b: b, bandwidth: -1G}\n", 9, 29,
		  "bandwidth", "negative capacity -1G" },
		{ "links:\n  - {a: a:e0, b: b:e0, bandwidth: 1, vlans: 10-20}\n"
		  "  - {a: a:e0, b: b, bandwidth: 1, vlans: 20-30}\n",
		  10, 42, "vlans",
		  "overlapping ranges: VLANs 20-30 on port a:e0 overlaps link "
		  "'l0' (10-20, line 9)" },
		{ "links:\n  - {a: a:e0, b: b:e0, bandwidth: 1, kind: ip}\n"
		  "  - {a: a:e1, b: b:e0, bandwidth: 1, kind: ip, vnis: 5-6}\n",
		  10, 54, "vnis", "overlapping ranges: VNIs 5-6 on port b:e0" },
		{ "links:\n  - {a: a, b: b, bandwidth: 1, vlans: 0-10}\n", 9,
		  39, "vlans", "range 0-10 is outside 1-4094" },
		{ "links:\n  - {a: a, b: b, bandwidth: 1, vlans: 9-3}\n", 9, 39,
		  "vlans", "empty" },
		{ "links:\n  - {a: a, b: b, bandwidth: 1, vnis: 3}\n", 9, 38,
		  "vnis", "an ethernet link carries VLANs" },
		{ "links:\n  - {a: a, b: b, bandwidth: 1, kind: mpls}\n", 9, 38,
		  "kind", "'mpls' is not a link kind" },
		{ "links:\n  - {a: a, b: b, bandwidth: 1, colour: red}\n", 9,
		  32, "links[]", "unknown key 'colour'" },
		{ "links:\n  - {a: a, b: b, bandwidth: 3 apples}\n", 9, 29,
		  "bandwidth", "unknown unit 'apples'" },
		{ "links:\n  - {a: a, b: a, bandwidth: 1}\n", 9, 15, "b",
		  "both ends on node 'a'" },
		{ "links:\n  - {a: a, b: b}\n", 9, 5, "bandwidth",
		  "a link needs a bandwidth" },
		{ "  - {id: c, cpu: 1, position: {x: 1}}\n", 8, 31, "position",
		  "x and y go together" },
		{ "  - {id: c, cpu: 1, position: {latitude: 91, longitude: 0}}\n",
		  8, 42, "position.latitude", "out of range" },
		{ "  - {id: c, cpu: 1, ports: [e0, e0]}\n", 8, 33, "ports[]",
		  "duplicate port 'e0' on node 'c'" },
		{ "  - {id: c, cpu: [1]}\n", 8, 18, "cpu",
		  "expected a single value" },
		{ "links: [{a: a, b: b, bandwidth: 1}\n", 9, 1, "",
		  "did not find expected ',' or ']'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[2048];
		snprintf(text, sizeof(text), "%s%s", nodes_ab, cases[i].text);
		struct load_error error;
		memset(&error, 0, sizeof(error));
		struct substrate *substrate = load_text(text, &error, NULL);
		char formatted[1024];
		load_error_format(&error, formatted, sizeof(formatted));
		print_message("# case %zu: %s\n", i, formatted);
		assert_null(substrate);
		assert_string_equal(error.file, "test.yaml");
		assert_int_equal(error.line, cases[i].line);
		assert_int_equal(error.column, cases[i].column);
		assert_string_equal(error.field, cases[i].field);
		if (!strstr(error.message, cases[i].message))
			fail_msg("case %zu: '%s' lacks '%s'", i, error.message,
				 cases[i].message);
	}
}

static void test_save_and_load_file(void **state)
{
	(void)state;
	char path[] = "/tmp/topo-yaml-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct load_error error;
	char text[1024];
	snprintf(text, sizeof(text), "%slinks: [{a: a:e1, b: b:e0, bandwidth: 7}]\n",
		 nodes_ab);
	struct substrate *substrate = load_text(text, &error, NULL);
	assert_non_null(substrate);
	assert_int_equal(substrate_save_yaml(substrate, path), 0);
	struct substrate *loaded = substrate_load_yaml(path, &error, NULL);
	assert_non_null(loaded);
	assert_same_substrate(substrate, loaded);
	substrate_free(loaded);
	substrate_free(substrate);
	unlink(path);
	assert_null(substrate_load_yaml(path, &error, NULL));
	assert_non_null(strstr(error.message, "cannot open"));
	struct substrate *empty = substrate_create("x");
	assert_int_equal(substrate_save_yaml(empty, "/nonexistent/dir/f"),
			 -ENOENT);
	substrate_free(empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_disconnected_is_a_warning),
		cmocka_unit_test(test_positioned_errors),
		cmocka_unit_test(test_save_and_load_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
