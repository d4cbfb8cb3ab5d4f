/* Fuzz target: the YAML substrate loader, from a memory buffer. Whatever
 * the input, it must load or fail with a positioned error, never crash or
 * leak; a loaded substrate must survive the writer and load again to the
 * same counts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct load_error error, warning;
	struct substrate *substrate = substrate_load_yaml_string(
		"fuzz.yaml", (const char *)data, size, &error, &warning);
	if (!substrate) {
		char text[1024];
		load_error_format(&error, text, sizeof(text));
		return 0;
	}
	char *written = NULL;
	size_t length = 0;
	FILE *stream = open_memstream(&written, &length);
	if (stream) {
		substrate_write_yaml(substrate, stream);
		fclose(stream);
		struct substrate *again = substrate_load_yaml_string(
			"again.yaml", written, length, &error, NULL);
		if (!again || again->node_count != substrate->node_count ||
		    again->link_count != substrate->link_count)
			abort();
		substrate_free(again);
		free(written);
	}
	/* The graph code must cope with whatever shape was loaded. */
	struct substrate_search *search = substrate_search_create(substrate);
	if (search && substrate->node_count) {
		struct substrate_path paths[3];
		substrate_k_shortest_paths(search, 0, substrate->node_count - 1,
					   3, NULL, paths);
	}
	substrate_search_free(search);
	substrate_free(substrate);
	return 0;
}
