/* Fuzz target: the JSON desired state of the control socket's `apply`.
 *
 * Parsed as the control socket parses it (jansson, duplicates refused),
 * then loaded over a base config. Whatever loads must print back to JSON
 * that loads to the same config. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "switch_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t parse_error;
	json_t *json = json_loadb((const char *)data, size,
				  JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
				  &parse_error);
	if (!json)
		return 0;

	struct switch_config base, config, again;
	struct load_error error;
	switch_config_init(&base);
	if (switch_config_from_json(&config, &base, json, &error)) {
		if (config.n_ports || config.ports || config.n_bds || config.bds)
			abort();
		json_decref(json);
		return 0;
	}
	json_decref(json);

	json_t *printed = switch_config_to_json(&config);
	char *text = printed ? json_dumps(printed, JSON_COMPACT) : NULL;
	json_t *reparsed = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL)
				: NULL;
	if (!reparsed ||
	    switch_config_from_json(&again, &base, reparsed, &error) ||
	    !switch_config_equal(&config, &again))
		abort();
	free(text);
	json_decref(printed);
	json_decref(reparsed);
	switch_config_free(&again);
	switch_config_free(&config);
	switch_config_free(&base);
	return 0;
}
