/* The ViNE-Yard request reader (after one ignored leading byte; substrates
 * are topo's and fuzzed there). An accepted request must have consistent
 * counts and endpoints and survive a write/read round trip with the same
 * amounts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* the first byte is kept for corpus compatibility and ignored */
	const char *text = (const char *)data + 1;
	size_t length = size - 1;
	struct load_error error;
	struct embed_request *request =
		embed_request_load_vineyard_string("fuzz", text, length, &error);
	if (!request)
		return 0;
	for (uint32_t v = 0; v < request->node_count; v++)
		if (request->nodes[v].cpu < 0)
			abort();
	for (uint32_t k = 0; k < request->link_count; k++) {
		const struct embed_virtual_link *link = &request->links[k];
		if (link->endpoint_count != 2 || link->bandwidth < 0 ||
		    link->endpoints[0] >= request->node_count ||
		    link->endpoints[1] >= request->node_count ||
		    link->endpoints[0] == link->endpoints[1])
			abort();
	}
	char *written = NULL;
	size_t written_size = 0;
	FILE *stream = open_memstream(&written, &written_size);
	if (!stream)
		abort();
	if (embed_request_write_vineyard(request, stream))
		abort();
	fclose(stream);
	struct embed_request *again = embed_request_load_vineyard_string(
		"again", written, written_size, &error);
	if (!again || again->node_count != request->node_count ||
	    again->link_count != request->link_count)
		abort();
	for (uint32_t v = 0; v < request->node_count; v++)
		if (again->nodes[v].cpu != request->nodes[v].cpu)
			abort();
	for (uint32_t k = 0; k < request->link_count; k++)
		if (again->links[k].bandwidth != request->links[k].bandwidth)
			abort();
	free(written);
	embed_request_free(again);
	embed_request_free(request);
	return 0;
}
