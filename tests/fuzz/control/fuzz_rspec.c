/* Fuzz target: GENI RSpec requests through the format dispatcher
 * (control/rspec.c, vnet_document_parse). Any input must convert or be
 * refused with a positioned error, never crash, leak or touch the
 * network; what converts must be consistent (each endpoint's interface
 * points back at its link, capacities above 0, VMs with an image) and
 * convertible to JSON. Inputs whose first byte is odd also go through
 * rspec_request_parse alone. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "control.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	return 0;
}

static void check(const struct vnet_request *request)
{
	for (uint32_t l = 0; l < request->link_count; l++) {
		const struct vnet_link *link = &request->links[l];
		if (link->endpoint_count < 2 || link->capacity_kbps == 0)
			abort();
		for (uint32_t e = 0; e < link->endpoint_count; e++) {
			uint32_t i = link->endpoints[e].interface;
			if (i >= request->interface_count ||
			    request->interfaces[i].link != (int32_t)l ||
			    link->endpoints[e].send_kbps == 0 ||
			    link->endpoints[e].receive_kbps == 0)
				abort();
		}
	}
	for (uint32_t n = 0; n < request->node_count; n++)
		if (!(request->nodes[n].cpu > 0) ||
		    (request->nodes[n].kind == VNET_NODE_VM) !=
			    (request->nodes[n].image != NULL))
			abort();
	if (!request->name || !request->name[0])
		abort();
	json_t *answer = vnet_request_to_json(request);
	if (answer) {
		char *text = json_dumps(answer, JSON_COMPACT);
		free(text);
		json_decref(answer);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnet_request request;
	struct vnet_request_error error;
	const char *format = NULL;
	/* 2025-01-01: fixed so that a lease end is judged the same on every
	 * run. */
	int rc = size && (data[0] & 1) ?
			 rspec_request_parse((const char *)data, size,
					     "fuzz.xml", 1735689600, &request,
					     &error) :
			 vnet_document_parse((const char *)data, size,
					     "fuzz.xml", 1735689600, &request,
					     &error, &format);
	if (rc < 0) {
		char text[700];
		vnet_request_error_format(&error, text, sizeof(text));
		if (error.problem == VNET_REQUEST_NONE || !text[0] ||
		    format || request.nodes)
			abort();
		return 0;
	}
	check(&request);
	vnet_request_free(&request);
	return 0;
}
