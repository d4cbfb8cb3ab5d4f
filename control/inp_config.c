/* loom-inp's configuration file (control/examples/inp.yaml documents every
 * key). Read once at start; a misspelt key or a bad value is an error with
 * its position, never ignored. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "control.h"

#define INP_DEFAULT_PORT 7480

/* A relative path in the file is relative to the file's folder, so a
 * config can be moved along with what it names. */
static int config_path(const char *config_file, const char *value, char *out,
		       size_t size)
{
	if (value[0] == '/' || !strchr(config_file, '/')) {
		if ((size_t)snprintf(out, size, "%s", value) >= size)
			return -1;
		return 0;
	}
	int folder = (int)(strrchr(config_file, '/') - config_file);
	if ((size_t)snprintf(out, size, "%.*s/%s", folder, config_file,
			     value) >= size)
		return -1;
	return 0;
}

static int config_read_path(struct yaml_file *file, yaml_node_t *root,
			    const char *key, bool required, char *out,
			    struct load_error *error)
{
	yaml_node_t *node = yaml_mapping_get(file, root, key);
	if (!node) {
		if (required)
			return load_error_set(error, file->path, root, key,
					      "required");
		return 0;
	}
	char value[INP_PATH_SIZE];
	if (yaml_read_string(file, node, key, value, sizeof(value), error))
		return -1;
	if (config_path(file->path, value, out, INP_PATH_SIZE))
		return load_error_set(error, file->path, node, key,
				      "path too long");
	return 0;
}

/* "ADDRESS:PORT" with an IPv4 address. */
static int config_read_listen(struct yaml_file *file, yaml_node_t *node,
			      struct inp_config *config,
			      struct load_error *error)
{
	char value[64];
	if (yaml_read_string(file, node, "listen", value, sizeof(value), error))
		return -1;
	char *colon = strrchr(value, ':');
	if (!colon)
		return load_error_set(error, file->path, node, "listen",
				      "expected ADDRESS:PORT, not '%s'", value);
	*colon = '\0';
	struct in_addr address;
	if (inet_pton(AF_INET, value, &address) != 1)
		return load_error_set(error, file->path, node, "listen",
				      "'%s' is not an IPv4 address", value);
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port > 65535)
		return load_error_set(error, file->path, node, "listen",
				      "'%s' is not a port (0-65535)",
				      colon + 1);
	snprintf(config->listen_address, sizeof(config->listen_address), "%s",
		 value);
	config->port = (uint16_t)port;
	return 0;
}

/* A duration: a number with a unit ms, s, m, h or d (no unit: seconds).
 * Into *out in milliseconds. */
static int config_read_duration(struct yaml_file *file, yaml_node_t *node,
				const char *field, uint64_t min_ms,
				uint64_t max_ms, uint64_t *out,
				struct load_error *error)
{
	const char *text = yaml_scalar(node);
	if (!text)
		return load_error_set(error, file->path, node, field,
				      "expected a duration such as 500ms, 30s, "
				      "2h or 7d");
	char *end;
	errno = 0;
	double value = strtod(text, &end);
	double scale = 1000;
	if (strcmp(end, "ms") == 0)
		scale = 1;
	else if (strcmp(end, "s") == 0 || !*end)
		scale = 1000;
	else if (strcmp(end, "m") == 0)
		scale = 60e3;
	else if (strcmp(end, "h") == 0)
		scale = 3600e3;
	else if (strcmp(end, "d") == 0)
		scale = 86400e3;
	else
		end = NULL;
	if (errno || !end || end == text || !(value >= 0))
		return load_error_set(error, file->path, node, field,
				      "'%s' is not a duration (500ms, 30s, 2h, "
				      "7d)", text);
	double ms = value * scale;
	if (ms < (double)min_ms || ms > (double)max_ms)
		return load_error_set(error, file->path, node, field,
				      "'%s' is out of range", text);
	*out = (uint64_t)ms;
	return 0;
}

static int config_read_tls(struct yaml_file *file, yaml_node_t *node,
			   struct inp_config *config, struct load_error *error)
{
	static const char *const keys[] = { "certificate", "key", NULL };
	if (node->type != YAML_MAPPING_NODE)
		return load_error_set(error, file->path, node, "tls",
				      "expected {certificate, key}");
	if (yaml_mapping_check_keys(file, node, keys, "tls", error) ||
	    config_read_path(file, node, "certificate", true,
			     config->tls_certificate, error) ||
	    config_read_path(file, node, "key", true, config->tls_key, error))
		return -1;
	return 0;
}

static int config_read_lease(struct yaml_file *file, yaml_node_t *node,
			     struct inp_config *config,
			     struct load_error *error)
{
	static const char *const keys[] = { "default", "max", NULL };
	if (node->type != YAML_MAPPING_NODE)
		return load_error_set(error, file->path, node, "lease",
				      "expected {default, max}");
	if (yaml_mapping_check_keys(file, node, keys, "lease", error))
		return -1;
	const uint64_t year_ms = 366ull * 86400 * 1000;
	uint64_t ms;
	yaml_node_t *value = yaml_mapping_get(file, node, "default");
	if (value) {
		if (config_read_duration(file, value, "lease.default", 1000,
					 year_ms, &ms, error))
			return -1;
		config->lease_default = ms / 1000;
	}
	value = yaml_mapping_get(file, node, "max");
	if (value) {
		if (config_read_duration(file, value, "lease.max", 1000,
					 10 * year_ms, &ms, error))
			return -1;
		config->lease_max = ms / 1000;
	}
	if (config->lease_default > config->lease_max)
		return load_error_set(error, file->path, node, "lease",
				      "default is longer than max");
	return 0;
}

static bool name_valid(const char *name)
{
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
		      *c == '.'))
			return false;
	return name[0] != '\0';
}

static int config_read_switch_nodes(struct yaml_file *file, yaml_node_t *node,
				    struct inp_config *config,
				    struct load_error *error)
{
	static const char *const keys[] = { "netns", NULL };
	if (node->type != YAML_MAPPING_NODE)
		return load_error_set(error, file->path, node, "switches.nodes",
				      "expected a mapping of substrate node "
				      "ids to {netns}");
	size_t count = yaml_mapping_length(node);
	if (count > INP_SWITCH_NAMESPACES_MAX)
		return load_error_set(error, file->path, node, "switches.nodes",
				      "more than %d nodes",
				      INP_SWITCH_NAMESPACES_MAX);
	for (size_t i = 0; i < count; i++) {
		struct inp_switch_namespace *entry =
			&config->switch_namespaces[i];
		yaml_node_t *key = yaml_mapping_key_at(file, node, i);
		yaml_node_t *value = yaml_mapping_value_at(file, node, i);
		if (yaml_read_string(file, key, "switches.nodes", entry->node,
				     sizeof(entry->node), error))
			return -1;
		if (value->type != YAML_MAPPING_NODE)
			return load_error_set(error, file->path, value,
					      entry->node, "expected {netns}");
		if (yaml_mapping_check_keys(file, value, keys, entry->node,
					    error))
			return -1;
		yaml_node_t *netns = yaml_mapping_get(file, value, "netns");
		if (netns &&
		    yaml_read_string(file, netns, "netns", entry->netns,
				     sizeof(entry->netns), error))
			return -1;
		if (entry->netns[0] && !name_valid(entry->netns))
			return load_error_set(error, file->path, netns,
					      "netns",
					      "'%s': use [A-Za-z0-9_.-]",
					      entry->netns);
	}
	config->switch_namespace_count = (uint32_t)count;
	return 0;
}

static int config_read_switches(struct yaml_file *file, yaml_node_t *node,
				struct inp_config *config,
				struct load_error *error)
{
	static const char *const keys[] = { "token_file", "timeout",
					    "reconcile_interval", "nodes",
					    NULL };
	if (node->type != YAML_MAPPING_NODE)
		return load_error_set(error, file->path, node, "switches",
				      "expected a mapping");
	if (yaml_mapping_check_keys(file, node, keys, "switches", error))
		return -1;
	uint64_t ms;
	yaml_node_t *value = yaml_mapping_get(file, node, "timeout");
	if (value) {
		if (config_read_duration(file, value, "switches.timeout", 10,
					 60000, &ms, error))
			return -1;
		config->switch_timeout_ms = (unsigned)ms;
	}
	value = yaml_mapping_get(file, node, "reconcile_interval");
	if (value) {
		if (config_read_duration(file, value,
					 "switches.reconcile_interval", 10,
					 60000, &ms, error))
			return -1;
		config->reconcile_interval_ms = (unsigned)ms;
	}
	char token_file[INP_PATH_SIZE] = "";
	if (config_read_path(file, node, "token_file", false, token_file,
			     error))
		return -1;
	if (token_file[0]) {
		FILE *stream = fopen(token_file, "r");
		value = yaml_mapping_get(file, node, "token_file");
		if (!stream)
			return load_error_set(error, file->path, value,
					      "switches.token_file", "%s: %s",
					      token_file, strerror(errno));
		bool read = fgets(config->switch_token,
				  sizeof(config->switch_token), stream);
		fclose(stream);
		config->switch_token[strcspn(config->switch_token, "\r\n")] =
			'\0';
		if (!read || !config->switch_token[0])
			return load_error_set(error, file->path, value,
					      "switches.token_file",
					      "%s: empty", token_file);
	}
	value = yaml_mapping_get(file, node, "nodes");
	if (value && config_read_switch_nodes(file, value, config, error))
		return -1;
	return 0;
}

static int config_read_hosts(struct yaml_file *file, yaml_node_t *node,
			     struct inp_config *config,
			     struct load_error *error)
{
	static const char *const keys[] = { "namespace_prefix",
					    "vhost_directory", NULL };
	if (node->type != YAML_MAPPING_NODE)
		return load_error_set(error, file->path, node, "hosts",
				      "expected a mapping");
	if (yaml_mapping_check_keys(file, node, keys, "hosts", error))
		return -1;
	yaml_node_t *value = yaml_mapping_get(file, node, "namespace_prefix");
	if (value) {
		if (yaml_read_string(file, value, "hosts.namespace_prefix",
				     config->host_prefix,
				     sizeof(config->host_prefix), error))
			return -1;
		if (!name_valid(config->host_prefix) ||
		    strlen(config->host_prefix) > 16)
			return load_error_set(error, file->path, value,
					      "hosts.namespace_prefix",
					      "1 to 16 of [A-Za-z0-9_.-]");
	}
	return config_read_path(file, node, "vhost_directory", false,
				config->vhost_directory, error);
}

int inp_config_load(const char *path, struct inp_config *config,
		    struct load_error *error)
{
	static const char *const keys[] = { "substrate", "store", "listen",
					    "operator_token_file", "tls",
					    "lease", "switches", "hosts",
					    "log_level", "store_durability",
					    NULL };
	memset(config, 0, sizeof(*config));
	snprintf(config->listen_address, sizeof(config->listen_address),
		 "127.0.0.1");
	config->port = INP_DEFAULT_PORT;
	config->lease_default = 86400;
	config->lease_max = 3660ull * 86400; /* ten years */
	config->switch_timeout_ms = 2000;
	config->reconcile_interval_ms = 500;
	snprintf(config->host_prefix, sizeof(config->host_prefix), "loom");
	snprintf(config->vhost_directory, sizeof(config->vhost_directory),
		 "%s", PROVISION_VHOST_DIRECTORY);
	snprintf(config->log_level, sizeof(config->log_level), "info");
	config->store_sync_full = true;

	struct yaml_file file;
	if (yaml_file_load(&file, path, error))
		return -1;
	yaml_node_t *root = yaml_file_root(&file);
	int rc = -1;
	if (!root || root->type != YAML_MAPPING_NODE) {
		load_error_set(error, path, root, "", "expected a mapping");
		goto out;
	}
	if (yaml_mapping_check_keys(&file, root, keys, "loom-inp config",
				    error))
		goto out;
	if (config_read_path(&file, root, "substrate", true,
			     config->substrate, error) ||
	    config_read_path(&file, root, "store", true, config->store,
			     error) ||
	    config_read_path(&file, root, "operator_token_file", false,
			     config->operator_token_file, error))
		goto out;
	yaml_node_t *node = yaml_mapping_get(&file, root, "listen");
	if (node && config_read_listen(&file, node, config, error))
		goto out;
	node = yaml_mapping_get(&file, root, "tls");
	if (node && config_read_tls(&file, node, config, error))
		goto out;
	node = yaml_mapping_get(&file, root, "lease");
	if (node && config_read_lease(&file, node, config, error))
		goto out;
	node = yaml_mapping_get(&file, root, "switches");
	if (node && config_read_switches(&file, node, config, error))
		goto out;
	node = yaml_mapping_get(&file, root, "hosts");
	if (node && config_read_hosts(&file, node, config, error))
		goto out;
	node = yaml_mapping_get(&file, root, "log_level");
	if (node) {
		if (yaml_read_string(&file, node, "log_level",
				     config->log_level,
				     sizeof(config->log_level), error))
			goto out;
		if (strcmp(config->log_level, "debug") &&
		    strcmp(config->log_level, "info") &&
		    strcmp(config->log_level, "warning") &&
		    strcmp(config->log_level, "error")) {
			load_error_set(error, path, node, "log_level",
				       "'%s': debug, info, warning or error",
				       config->log_level);
			goto out;
		}
	}
	node = yaml_mapping_get(&file, root, "store_durability");
	if (node) {
		char value[16];
		if (yaml_read_string(&file, node, "store_durability", value,
				     sizeof(value), error))
			goto out;
		if (strcmp(value, "full") && strcmp(value, "process")) {
			load_error_set(error, path, node, "store_durability",
				       "'%s': full (survives power loss) or "
				       "process (survives the daemon's crash)",
				       value);
			goto out;
		}
		config->store_sync_full = strcmp(value, "full") == 0;
	}
	rc = 0;
out:
	yaml_file_free(&file);
	return rc;
}
