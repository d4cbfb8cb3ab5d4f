/* Fuzz target: the loom-switch YAML config loader.
 *
 * Any input either loads or fails with a positioned error and an empty
 * config. A config that loads must survive the trip through JSON (the
 * `apply` form) unchanged: that turns every accepted input into a check of
 * to_json/from_json as well. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "switch_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct switch_config config, again;
	struct load_error error;

	if (switch_config_load_yaml(&config, "fuzz.yaml", (const char *)data,
				    size, &error)) {
		/* Nothing half-loaded, and the error is printable. */
		if (config.n_ports || config.ports || config.n_bds || config.bds)
			abort();
		char buf[1024];
		load_error_format(&error, buf, sizeof(buf));
		return 0;
	}
	json_t *json = switch_config_to_json(&config);
	if (!json)
		abort();
	if (switch_config_from_json(&again, &config, json, &error) ||
	    !switch_config_equal(&config, &again))
		abort();
	json_decref(json);
	switch_config_free(&again);
	switch_config_free(&config);
	return 0;
}
