/* Fuzz target: the Topology Zoo GraphML loader, from a memory buffer. It
 * must load or fail with an error, never crash or leak, and never touch the
 * network. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <libxml/parser.h>

#include "topo.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct load_error error, warning;
	struct graphml_options options = { .seed = 1 };
	struct substrate *substrate = substrate_load_graphml_memory(
		"fuzz.graphml", (const char *)data, size, &options, &error,
		&warning);
	if (!substrate)
		return 0;
	/* Whatever loaded must be writable. */
	FILE *sink = fopen("/dev/null", "w");
	if (sink) {
		substrate_write_yaml(substrate, sink);
		substrate_write_dot(substrate, NULL, sink);
		fclose(sink);
	}
	substrate_free(substrate);
	return 0;
}
