/* Unit tests of loom-inp's HTTP side (control/inp.c): a server runs
 * in-process on an ephemeral loopback port with a temporary store and the
 * example substrate, and the tests talk HTTP/1.1 to it over a plain
 * socket: health without a token, 401 without or with a bad token, the
 * operator bootstrap and tenant creation, validation (dry run: a mapping,
 * nothing reserved), a malformed request answered with a structured 400
 * naming the line, and a second tenant unable to see or delete the first
 * one's VNet. Also the configuration loader's defaults and errors. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "control.h"

struct fixture {
	char directory[64];
	char config_path[128];
	char store_path[128];
	char token_path[128];
	struct inp_config config;
	struct inp_server *server;
	char operator_token[INP_TOKEN_SIZE];
};

static char *read_text(const char *path, size_t *length)
{
	FILE *file = fopen(path, "rb");
	if (!file)
		return NULL;
	size_t size = 4096, used = 0;
	char *data = malloc(size);
	size_t got;
	while (data && (got = fread(data + used, 1, size - used - 1, file))) {
		used += got;
		if (used + 1 == size)
			data = realloc(data, size *= 2);
	}
	fclose(file);
	if (!data)
		return NULL;
	data[used] = '\0';
	if (length)
		*length = used;
	return data;
}

static void source_path(const char *relative, char *out, size_t size)
{
	const char *source = getenv("LOOM_SOURCE_DIR");
	snprintf(out, size, "%s/%s", source ? source : ".", relative);
}

static void write_file(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");
	assert_non_null(file);
	fputs(text, file);
	assert_int_equal(fclose(file), 0);
}

static int setup(void **state)
{
	struct fixture *fixture = calloc(1, sizeof(*fixture));
	assert_non_null(fixture);
	snprintf(fixture->directory, sizeof(fixture->directory),
		 "/tmp/loom-test-inp-XXXXXX");
	assert_non_null(mkdtemp(fixture->directory));
	snprintf(fixture->config_path, sizeof(fixture->config_path),
		 "%s/inp.yaml", fixture->directory);
	snprintf(fixture->store_path, sizeof(fixture->store_path),
		 "%s/store.sqlite", fixture->directory);
	snprintf(fixture->token_path, sizeof(fixture->token_path),
		 "%s/operator.token", fixture->directory);

	char substrate[1024], config[2048];
	source_path("topo/examples/substrate.yaml", substrate,
		    sizeof(substrate));
	/* Relative store and token paths: resolved against the config's
	 * folder. */
	snprintf(config, sizeof(config),
		 "substrate: %s\nstore: store.sqlite\nlisten: 127.0.0.1:0\n"
		 "operator_token_file: operator.token\n"
		 "hosts: {vhost_directory: vhost}\n",
		 substrate);
	write_file(fixture->config_path, config);

	struct load_error error;
	if (inp_config_load(fixture->config_path, &fixture->config, &error)) {
		char message[1024];
		load_error_format(&error, message, sizeof(message));
		fail_msg("%s", message);
	}
	char err[512];
	fixture->server = inp_server_start(&fixture->config, err, sizeof(err));
	if (!fixture->server)
		fail_msg("inp_server_start: %s", err);
	assert_int_not_equal(inp_server_port(fixture->server), 0);

	/* The operator's token, written on first start, owner-only. */
	struct stat status;
	assert_int_equal(stat(fixture->token_path, &status), 0);
	assert_int_equal(status.st_mode & 0777, 0600);
	char *token = read_text(fixture->token_path, NULL);
	assert_non_null(token);
	assert_int_equal(strlen(token), INP_TOKEN_SIZE); /* 64 hex + '\n' */
	memcpy(fixture->operator_token, token, INP_TOKEN_SIZE - 1);
	free(token);
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fixture = *state;
	inp_server_stop(fixture->server);
	static const char *const files[] = { "inp.yaml", "store.sqlite",
					     "store.sqlite-wal",
					     "store.sqlite-shm",
					     "operator.token", "bad.yaml" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/%s", fixture->directory,
			 files[i]);
		unlink(path);
	}
	char vhost[128];
	snprintf(vhost, sizeof(vhost), "%s/vhost", fixture->directory);
	rmdir(vhost);
	rmdir(fixture->directory);
	free(fixture);
	return 0;
}

/* ---- a tiny HTTP/1.1 client ------------------------------------------------ */

struct response {
	int status;
	json_t *body;
	char *text; /* the body when it is no JSON (free it) */
};

/* One request on a fresh connection ("Connection: close"); the reply's
 * status and its body parsed as JSON (the test fails otherwise). */
static struct response http(struct fixture *fixture, const char *method,
			    const char *path, const char *token,
			    const char *body, size_t body_length)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in address = {
		.sin_family = AF_INET,
		.sin_port = htons(inp_server_port(fixture->server)),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	assert_int_equal(
		connect(fd, (struct sockaddr *)&address, sizeof(address)), 0);
	char head[1024];
	int length = snprintf(head, sizeof(head),
			      "%s %s HTTP/1.1\r\nHost: localhost\r\n"
			      "Connection: close\r\n"
			      "Content-Length: %zu\r\n",
			      method, path, body ? body_length : 0);
	if (token)
		length += snprintf(head + length, sizeof(head) - length,
				   "Authorization: Bearer %s\r\n", token);
	length += snprintf(head + length, sizeof(head) - length, "\r\n");
	assert_int_equal(write(fd, head, length), length);
	if (body && body_length)
		assert_int_equal(write(fd, body, body_length),
				 (ssize_t)body_length);

	size_t size = 65536, used = 0;
	char *reply = malloc(size);
	assert_non_null(reply);
	ssize_t got;
	while ((got = read(fd, reply + used, size - used - 1)) > 0) {
		used += got;
		if (used + 1 == size) {
			reply = realloc(reply, size *= 2);
			assert_non_null(reply);
		}
	}
	close(fd);
	reply[used] = '\0';

	struct response response = { 0 };
	assert_int_equal(sscanf(reply, "HTTP/1.1 %d", &response.status), 1);
	char *start = strstr(reply, "\r\n\r\n");
	assert_non_null(start);
	/* JSON for the API; /metrics and the SVG are text. */
	response.body = json_loads(start + 4, 0, NULL);
	if (!response.body)
		response.text = strdup(start + 4);
	free(reply);
	return response;
}

static struct response http_text(struct fixture *fixture, const char *method,
				 const char *path, const char *token,
				 const char *body)
{
	return http(fixture, method, path, token, body,
		    body ? strlen(body) : 0);
}

/* A call whose status is all that matters. */
static void http_expect(struct fixture *fixture, const char *method,
			const char *path, const char *token, const char *body,
			int status)
{
	struct response response =
		http_text(fixture, method, path, token, body);
	assert_int_equal(response.status, status);
	json_decref(response.body);
	free(response.text);
}

/* A structured error: {"error": {"code": code, "message": "..."}}. */
static void assert_error(const struct response *response, int status,
			 const char *code)
{
	assert_int_equal(response->status, status);
	json_t *error = json_object_get(response->body, "error");
	assert_non_null(error);
	assert_string_equal(json_string_value(json_object_get(error, "code")),
			    code);
	const char *message =
		json_string_value(json_object_get(error, "message"));
	assert_non_null(message);
	assert_true(message[0] != '\0');
}

static void tenant_create(struct fixture *fixture, const char *name,
			  char token[INP_TOKEN_SIZE])
{
	char body[128];
	snprintf(body, sizeof(body), "{\"name\": \"%s\"}", name);
	struct response response = http_text(
		fixture, "POST", "/v1/tenants", fixture->operator_token, body);
	assert_int_equal(response.status, 201);
	assert_string_equal(
		json_string_value(json_object_get(response.body, "name")),
		name);
	assert_true(json_integer_value(json_object_get(response.body, "id")) >
		    0);
	const char *text =
		json_string_value(json_object_get(response.body, "token"));
	assert_non_null(text);
	assert_int_equal(strlen(text), INP_TOKEN_SIZE - 1);
	memcpy(token, text, INP_TOKEN_SIZE);
	json_decref(response.body);
}

static char *example(const char *file, size_t *length)
{
	char relative[256], path[1024];
	snprintf(relative, sizeof(relative), "control/examples/%s", file);
	source_path(relative, path, sizeof(path));
	char *text = read_text(path, length);
	if (!text)
		fail_msg("cannot read %s", path);
	return text;
}

/* ---- tests ----------------------------------------------------------------- */

static void test_health_needs_no_token(void **state)
{
	struct response response =
		http_text(*state, "GET", "/v1/health", NULL, NULL);
	assert_int_equal(response.status, 200);
	assert_string_equal(
		json_string_value(json_object_get(response.body, "status")),
		"ok");
	json_decref(response.body);
}

static void test_unauthorized(void **state)
{
	struct fixture *fixture = *state;
	static const char *const paths[] = { "/v1/vnets", "/v1/vnets/1",
					     "/v1/tenants" };
	for (size_t i = 0; i < 3; i++) {
		struct response response =
			http_text(fixture, "GET", paths[i], NULL, NULL);
		assert_error(&response, 401, "unauthorized");
		json_decref(response.body);
		/* A well-formed but unknown token, then the operator's
		 * token with its last digit changed. */
		response = http_text(fixture, "GET", paths[i],
				     "00000000000000000000000000000000"
				     "00000000000000000000000000000000",
				     NULL);
		assert_error(&response, 401, "unauthorized");
		json_decref(response.body);
		char token[INP_TOKEN_SIZE];
		memcpy(token, fixture->operator_token, INP_TOKEN_SIZE);
		token[INP_TOKEN_SIZE - 2] =
			token[INP_TOKEN_SIZE - 2] == 'a' ? 'b' : 'a';
		response = http_text(fixture, "GET", paths[i], token, NULL);
		assert_error(&response, 401, "unauthorized");
		json_decref(response.body);
	}
	/* Nothing was created by the refused calls. */
	struct response response = http_text(
		fixture, "POST", "/v1/tenants", NULL, "{\"name\": \"eve\"}");
	assert_error(&response, 401, "unauthorized");
	json_decref(response.body);
	response = http_text(fixture, "DELETE", "/v1/tenants/eve",
			     fixture->operator_token, NULL);
	assert_error(&response, 404, "not_found");
	json_decref(response.body);
}

static void test_tenants(void **state)
{
	struct fixture *fixture = *state;
	char alice[INP_TOKEN_SIZE];
	tenant_create(fixture, "alice", alice);
	assert_string_not_equal(alice, fixture->operator_token);

	/* The new token works; an SP is not the operator. */
	struct response response =
		http_text(fixture, "GET", "/v1/vnets", alice, NULL);
	assert_int_equal(response.status, 200);
	assert_int_equal(
		json_array_size(json_object_get(response.body, "vnets")), 0);
	json_decref(response.body);
	response = http_text(fixture, "POST", "/v1/tenants", alice,
			     "{\"name\": \"mallory\"}");
	assert_error(&response, 403, "forbidden");
	json_decref(response.body);
	response = http_text(fixture, "DELETE", "/v1/tenants/alice", alice,
			     NULL);
	assert_error(&response, 403, "forbidden");
	json_decref(response.body);

	/* Bad bodies and a name in use. */
	response = http_text(fixture, "POST", "/v1/tenants",
			     fixture->operator_token, "{\"nom\": 1}");
	assert_error(&response, 400, "bad_request");
	json_decref(response.body);
	response = http_text(fixture, "POST", "/v1/tenants",
			     fixture->operator_token, "{\"name\": \"alice\"}");
	assert_error(&response, 409, "exists");
	json_decref(response.body);

	/* Removing the tenant revokes its token. */
	http_expect(fixture, "DELETE", "/v1/tenants/alice",
		    fixture->operator_token, NULL, 200);
	response = http_text(fixture, "GET", "/v1/vnets", alice, NULL);
	assert_error(&response, 401, "unauthorized");
	json_decref(response.body);
}

static void test_validate(void **state)
{
	struct fixture *fixture = *state;
	char alice[INP_TOKEN_SIZE];
	tenant_create(fixture, "alice", alice);
	size_t length;
	char *xml = example("point-to-point.xml", &length);

	struct response response = http(fixture, "POST", "/v1/vnets?dry_run=1",
					alice, xml, length);
	assert_int_equal(response.status, 200);
	assert_true(json_is_true(json_object_get(response.body, "dry_run")));
	json_t *request = json_object_get(response.body, "request");
	assert_string_equal(
		json_string_value(json_object_get(request, "name")), "pair");
	json_t *nodes = json_object_get(
		json_object_get(response.body, "mapping"), "nodes");
	const char *a = json_string_value(json_object_get(nodes, "a"));
	const char *b = json_string_value(json_object_get(nodes, "b"));
	assert_non_null(a);
	assert_non_null(b);
	assert_string_not_equal(a, b); /* never two on one substrate node */
	json_t *links = json_object_get(
		json_object_get(response.body, "mapping"), "links");
	json_t *flows = json_object_get(links, "a-b");
	assert_true(json_array_size(flows) >= 1);
	assert_true(json_array_size(json_object_get(json_array_get(flows, 0),
						    "path")) >= 1);
	json_decref(response.body);

	/* A dry run reserves nothing. */
	response = http_text(fixture, "GET", "/v1/vnets", alice, NULL);
	assert_int_equal(response.status, 200);
	assert_int_equal(
		json_array_size(json_object_get(response.body, "vnets")), 0);
	json_decref(response.body);
	free(xml);
}

static void test_malformed_request(void **state)
{
	struct fixture *fixture = *state;
	char alice[INP_TOKEN_SIZE];
	tenant_create(fixture, "alice", alice);
	/* Line 4 closes a tag that is not open. */
	static const char xml[] =
		"<?xml version=\"1.0\"?>\n"
		"<vnet xmlns=\"urn:loom:vnet:1\" name=\"x\">\n"
		"  <node id=\"a\" cpu=\"1\"/>\n"
		"  <node id=\"b\" cpu=\"1\"></nod>\n"
		"</vnet>\n";
	struct response response = http_text(
		fixture, "POST", "/v1/vnets?dry_run=1", alice, xml);
	assert_error(&response, 400, "not_xml");
	json_t *error = json_object_get(response.body, "error");
	assert_int_equal(json_integer_value(json_object_get(error, "line")),
			 4);
	json_decref(response.body);

	/* A schema violation names its line and element. */
	static const char bad_cpu[] =
		"<vnet xmlns=\"urn:loom:vnet:1\" name=\"x\">\n"
		"  <node id=\"a\" cpu=\"1\"/>\n"
		"  <node id=\"b\" cpu=\"lots\"/>\n"
		"</vnet>\n";
	response = http_text(fixture, "POST", "/v1/vnets?dry_run=1", alice,
			     bad_cpu);
	assert_int_equal(response.status, 400);
	error = json_object_get(response.body, "error");
	assert_int_equal(json_integer_value(json_object_get(error, "line")),
			 3);
	assert_string_equal(
		json_string_value(json_object_get(error, "element")), "node");
	json_decref(response.body);
}

static void test_vnet_isolation(void **state)
{
	struct fixture *fixture = *state;
	char alice[INP_TOKEN_SIZE], bob[INP_TOKEN_SIZE];
	tenant_create(fixture, "alice", alice);
	tenant_create(fixture, "bob", bob);
	size_t length;
	char *xml = example("point-to-point.xml", &length);
	struct response response =
		http(fixture, "POST", "/v1/vnets", alice, xml, length);
	free(xml);
	assert_int_equal(response.status, 201);
	json_int_t id = json_integer_value(json_object_get(response.body,
							   "id"));
	assert_true(id > 0);
	json_decref(response.body);
	char path[64];
	snprintf(path, sizeof(path), "/v1/vnets/%lld", (long long)id);

	/* Alice sees it with its three slivers. The example substrate's
	 * switches do not run here: provisioning fails, and says why, never
	 * pretending to be ready. */
	const char *vnet_state = NULL;
	for (int i = 0; i < 100; i++) {
		response = http_text(fixture, "GET", path, alice, NULL);
		assert_int_equal(response.status, 200);
		vnet_state = json_string_value(
			json_object_get(response.body, "state"));
		if (strcmp(vnet_state, "failed") == 0)
			break;
		json_decref(response.body);
		usleep(50000);
	}
	assert_string_equal(vnet_state, "failed");
	json_t *slivers = json_object_get(response.body, "slivers");
	assert_int_equal(json_array_size(slivers), 3);
	const char *error = json_string_value(
		json_object_get(json_array_get(slivers, 0), "error"));
	assert_non_null(error);
	assert_non_null(strstr(error, "unreachable") ?
				strstr(error, "unreachable") :
				strstr(error, "Unix control sockets"));
	json_decref(response.body);

	/* The manifest gives a tag per hop. */
	char manifest[96];
	snprintf(manifest, sizeof(manifest), "%s/manifest", path);
	response = http_text(fixture, "GET", manifest, alice, NULL);
	assert_int_equal(response.status, 200);
	json_t *hops = json_object_get(
		json_array_get(json_object_get(response.body, "links"), 0),
		"hops");
	assert_true(json_array_size(hops) >= 1);
	assert_true(json_integer_value(
			    json_object_get(json_array_get(hops, 0), "tag")) >
		    0);
	json_decref(response.body);

	/* Bob gets exactly what a missing VNet gives. */
	struct response missing =
		http_text(fixture, "GET", "/v1/vnets/999999", bob, NULL);
	assert_error(&missing, 404, "not_found");
	response = http_text(fixture, "GET", path, bob, NULL);
	assert_error(&response, 404, "not_found");
	json_decref(response.body);
	response = http_text(fixture, "DELETE", path, bob, NULL);
	assert_error(&response, 404, "not_found");
	json_decref(response.body);
	json_decref(missing.body);
	response = http_text(fixture, "GET", "/v1/vnets", bob, NULL);
	assert_int_equal(
		json_array_size(json_object_get(response.body, "vnets")), 0);
	json_decref(response.body);

	/* Still Alice's and reserved; the tenant cannot be removed while it
	 * holds it. */
	response = http_text(fixture, "GET", "/v1/vnets", alice, NULL);
	assert_int_equal(
		json_array_size(json_object_get(response.body, "vnets")), 1);
	json_decref(response.body);
	response = http_text(fixture, "DELETE", "/v1/tenants/alice",
			     fixture->operator_token, NULL);
	assert_error(&response, 409, "busy");
	json_decref(response.body);

	/* Delete is idempotent, and the VNet leaves the list. */
	for (int i = 0; i < 2; i++) {
		http_expect(fixture, "DELETE", path, alice, NULL, 200);
	}
	response = http_text(fixture, "GET", "/v1/vnets", alice, NULL);
	assert_int_equal(
		json_array_size(json_object_get(response.body, "vnets")), 0);
	json_decref(response.body);
}

static void test_config_errors(void **state)
{
	struct fixture *fixture = *state;
	char path[160];
	snprintf(path, sizeof(path), "%s/bad.yaml", fixture->directory);
	struct inp_config config;
	struct load_error error;

	/* Defaults: loopback, port 7480, no token file. */
	write_file(path, "substrate: /s.yaml\nstore: /x.sqlite\n");
	assert_int_equal(inp_config_load(path, &config, &error), 0);
	assert_string_equal(config.listen_address, "127.0.0.1");
	assert_int_equal(config.port, 7480);
	assert_string_equal(config.operator_token_file, "");
	assert_string_equal(config.store, "/x.sqlite");

	/* A misspelt key, a bad listen address and a missing store each
	 * name their line. */
	write_file(path, "substrate: /s.yaml\nstore: /x\nlisen: 1\n");
	assert_int_equal(inp_config_load(path, &config, &error), -1);
	assert_int_equal(error.line, 3);
	write_file(path, "substrate: /s.yaml\nstore: /x\nlisten: localhost\n");
	assert_int_equal(inp_config_load(path, &config, &error), -1);
	assert_int_equal(error.line, 3);
	assert_string_equal(error.field, "listen");
	write_file(path, "substrate: /s.yaml\nstore: /x\n"
			       "listen: 127.0.0.1:99999\n");
	assert_int_equal(inp_config_load(path, &config, &error), -1);
	assert_string_equal(error.field, "listen");
	write_file(path, "substrate: /s.yaml\n");
	assert_int_equal(inp_config_load(path, &config, &error), -1);
	assert_string_equal(error.field, "store");
	unlink(path);

	/* A server whose substrate cannot be loaded does not start. */
	struct inp_config broken = fixture->config;
	snprintf(broken.substrate, sizeof(broken.substrate), "%s/none.yaml",
		 fixture->directory);
	char err[512];
	assert_null(inp_server_start(&broken, err, sizeof(err)));
	assert_non_null(strstr(err, "none.yaml"));
}

/* The rest of the lifecycle: names as references, whoami, renew and its
 * bounds, the manifest, delete by name, a deleted VNet's manifest. */
static void test_lifecycle(void **state)
{
	struct fixture *fixture = *state;
	char alice[INP_TOKEN_SIZE];
	tenant_create(fixture, "alice", alice);
	struct response response =
		http_text(fixture, "GET", "/v1/whoami", alice, NULL);
	assert_int_equal(response.status, 200);
	assert_string_equal(
		json_string_value(json_object_get(response.body, "role")), "sp");
	json_decref(response.body);
	free(response.text);

	size_t length;
	char *xml = example("point-to-point.xml", &length);
	response = http(fixture, "POST", "/v1/vnets", alice, xml, length);
	free(xml);
	assert_int_equal(response.status, 201);
	json_decref(response.body);
	free(response.text);

	/* "pair" is its name: every route takes it. */
	response = http_text(fixture, "GET", "/v1/vnets/pair", alice, NULL);
	assert_int_equal(response.status, 200);
	assert_string_equal(
		json_string_value(json_object_get(response.body, "name")),
		"pair");
	json_decref(response.body);
	free(response.text);

	char body[128];
	long long soon = (long long)time(NULL) + 7200;
	snprintf(body, sizeof(body), "{\"lease_end\": %lld}", soon);
	response = http_text(fixture, "POST", "/v1/vnets/pair/renew", alice,
			     body);
	assert_int_equal(response.status, 200);
	assert_int_equal(json_integer_value(
				 json_object_get(response.body, "lease_end")),
			 soon);
	json_decref(response.body);
	free(response.text);
	response = http_text(fixture, "POST", "/v1/vnets/pair/renew", alice,
			     "{\"lease_end\": \"2030-01-02T03:04:05Z\"}");
	assert_int_equal(response.status, 200);
	assert_int_equal(json_integer_value(
				 json_object_get(response.body, "lease_end")),
			 1893553445);
	json_decref(response.body);
	free(response.text);
	/* In the past, beyond the longest lease, or not a time: refused,
	 * and the lease stays. */
	static const char *const refused[] = {
		"{\"lease_end\": 1000}",
		"{\"lease_end\": \"2199-01-01T00:00:00Z\"}",
		"{\"lease_end\": \"tomorrow\"}",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		http_expect(fixture, "POST", "/v1/vnets/pair/renew", alice,
			    refused[i], 400);
	}
	response = http_text(fixture, "GET", "/v1/vnets/pair", alice, NULL);
	assert_int_equal(json_integer_value(
				 json_object_get(response.body, "lease_end")),
			 1893553445);
	json_decref(response.body);
	free(response.text);

	/* The manifest: both nodes placed, the link's hops with tags. */
	response = http_text(fixture, "GET", "/v1/vnets/pair/manifest", alice,
			     NULL);
	assert_int_equal(response.status, 200);
	json_t *nodes = json_object_get(response.body, "nodes");
	assert_int_equal(json_array_size(nodes), 2);
	assert_non_null(json_string_value(
		json_object_get(json_array_get(nodes, 0), "substrate_node")));
	json_decref(response.body);
	free(response.text);

	/* Delete by name; deleting again answers the same; a deleted VNet
	 * has no manifest. */
	for (int i = 0; i < 2; i++) {
		response = http_text(fixture, "DELETE", "/v1/vnets/1", alice,
				     NULL);
		assert_int_equal(response.status, 200);
		assert_string_equal(json_string_value(json_object_get(
					    response.body, "state")),
				    "deleted");
		json_decref(response.body);
		free(response.text);
	}
	response = http_text(fixture, "GET", "/v1/vnets/1/manifest", alice,
			     NULL);
	assert_error(&response, 409, "deleted");
	json_decref(response.body);
	free(response.text);
}

/* The operator's views: the substrate with its use, marks, the picture,
 * the metrics; SPs get 403. */
static void test_operator_views(void **state)
{
	struct fixture *fixture = *state;
	char alice[INP_TOKEN_SIZE];
	tenant_create(fixture, "alice", alice);
	struct response response =
		http_text(fixture, "GET", "/v1/substrate", alice, NULL);
	assert_error(&response, 403, "forbidden");
	json_decref(response.body);
	free(response.text);

	size_t length;
	char *xml = example("point-to-point.xml", &length);
	response = http(fixture, "POST", "/v1/vnets", alice, xml, length);
	free(xml);
	assert_int_equal(response.status, 201);
	json_decref(response.body);
	free(response.text);

	response = http_text(fixture, "GET", "/v1/substrate",
			     fixture->operator_token, NULL);
	assert_int_equal(response.status, 200);
	double cpu_used = 0;
	size_t i;
	json_t *node;
	json_array_foreach(json_object_get(response.body, "nodes"), i, node)
		cpu_used += json_real_value(json_object_get(node, "cpu_used"));
	assert_true(cpu_used > 0);
	json_decref(response.body);
	free(response.text);

	response = http_text(fixture, "POST", "/v1/substrate/links/nowhere",
			     fixture->operator_token, "{\"state\": \"down\"}");
	assert_error(&response, 404, "not_found");
	json_decref(response.body);
	free(response.text);
	response = http_text(fixture, "POST",
			     "/v1/substrate/links/paris-1--lyon-1",
			     fixture->operator_token, "{\"state\": \"sideways\"}");
	assert_error(&response, 400, "bad_request");
	json_decref(response.body);
	free(response.text);
	response = http_text(fixture, "POST",
			     "/v1/substrate/links/paris-1--lyon-1",
			     fixture->operator_token, "{\"state\": \"down\"}");
	assert_int_equal(response.status, 200);
	assert_string_equal(
		json_string_value(json_object_get(response.body, "state")),
		"down");
	json_decref(response.body);
	free(response.text);

	/* /metrics needs no token. */
	response = http_text(fixture, "GET", "/metrics", NULL, NULL);
	assert_int_equal(response.status, 200);
	assert_non_null(strstr(response.text,
			       "loom_inp_creates_total{result=\"accepted\"} 1"));
	assert_non_null(strstr(response.text,
			       "loom_inp_element_down{kind=\"link\","
			       "id=\"paris-1--lyon-1\"} 1"));
	json_decref(response.body);
	free(response.text);

	response = http_text(fixture, "GET", "/v1/substrate/svg",
			     fixture->operator_token, NULL);
	assert_int_equal(response.status, 200);
	assert_non_null(strstr(response.text, "<svg"));
	assert_non_null(strstr(response.text, "pair")); /* the VNet drawn */
	json_decref(response.body);
	free(response.text);
}

/* HTTPS when a certificate and key are configured. */
static void test_tls(void **state)
{
	struct fixture *fixture = *state;
	char command[1024], certificate[160], key[160];
	snprintf(certificate, sizeof(certificate), "%s/cert.pem",
		 fixture->directory);
	snprintf(key, sizeof(key), "%s/key.pem", fixture->directory);
	snprintf(command, sizeof(command),
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s "
		 "-out %s -days 1 -subj /CN=127.0.0.1 "
		 "-addext subjectAltName=IP:127.0.0.1 2>/dev/null",
		 key, certificate);
	if (system(command) != 0)
		skip(); /* no openssl command */
	struct inp_config config = fixture->config;
	snprintf(config.tls_certificate, sizeof(config.tls_certificate), "%s",
		 certificate);
	snprintf(config.tls_key, sizeof(config.tls_key), "%s", key);
	snprintf(config.store, sizeof(config.store), "%s/tls.sqlite",
		 fixture->directory);
	snprintf(config.operator_token_file,
		 sizeof(config.operator_token_file), "%s/tls.token",
		 fixture->directory);
	char err[512];
	struct inp_server *server = inp_server_start(&config, err, sizeof(err));
	if (!server)
		fail_msg("TLS server: %s", err);
	char url[128];
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/v1/health",
		 inp_server_port(server));
	CURL *curl = curl_easy_init();
	assert_non_null(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CAINFO, certificate);
	curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	CURLcode code = curl_easy_perform(curl);
	long status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	assert_int_equal(code, CURLE_OK);
	assert_int_equal(status, 200);
	/* Plain HTTP to the TLS port gets no HTTP answer. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/health",
		 inp_server_port(server));
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
	status = 0;
	code = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	assert_true(code != CURLE_OK || status != 200);
	curl_easy_cleanup(curl);
	inp_server_stop(server);
	unlink(certificate);
	unlink(key);
	snprintf(command, sizeof(command), "%s/tls.sqlite", fixture->directory);
	unlink(command);
	strncat(command, "-wal", sizeof(command) - strlen(command) - 1);
	unlink(command);
	snprintf(command, sizeof(command), "%s/tls.sqlite-shm",
		 fixture->directory);
	unlink(command);
	snprintf(command, sizeof(command), "%s/tls.token", fixture->directory);
	unlink(command);
}

/* A node marked down: the VNet pinned to it cannot move, so it fails with
 * the reason and gives back everything; the node marked up is usable. */
static void test_failure_releases(void **state)
{
	struct fixture *fixture = *state;
	char alice[INP_TOKEN_SIZE];
	tenant_create(fixture, "alice", alice);
	static const char pinned[] =
		"<vnet xmlns=\"urn:loom:vnet:1\" name=\"pinned\">\n"
		"  <node id=\"a\" cpu=\"1\"><placement>"
		"<substrate-node id=\"lyon-1\"/></placement>"
		"<interface id=\"a:0\"/></node>\n"
		"  <node id=\"b\" cpu=\"1\"><placement>"
		"<substrate-node id=\"lab\"/></placement>"
		"<interface id=\"b:0\"/></node>\n"
		"  <link id=\"ab\" capacity=\"1000\"><endpoint interface=\"a:0\"/>"
		"<endpoint interface=\"b:0\"/></link>\n"
		"</vnet>\n";
	struct response response =
		http_text(fixture, "POST", "/v1/vnets", alice, pinned);
	assert_int_equal(response.status, 201);
	json_decref(response.body);

	http_expect(fixture, "POST", "/v1/substrate/nodes/lab",
		    fixture->operator_token, "{\"state\": \"down\"}", 200);
	response = http_text(fixture, "GET", "/v1/vnets/pinned", alice, NULL);
	assert_string_equal(
		json_string_value(json_object_get(response.body, "state")),
		"failed");
	json_t *sliver = json_array_get(json_object_get(response.body, "slivers"),
					0);
	assert_string_equal(
		json_string_value(json_object_get(sliver, "allocation")),
		"unallocated");
	assert_non_null(strstr(json_string_value(json_object_get(sliver, "error")),
			       "down"));
	json_decref(response.body);

	/* Nothing held any more. */
	response = http_text(fixture, "GET", "/v1/substrate",
			     fixture->operator_token, NULL);
	size_t i;
	json_t *item;
	json_array_foreach(json_object_get(response.body, "nodes"), i, item)
		assert_true(json_real_value(json_object_get(item, "cpu_used")) ==
			    0);
	json_array_foreach(json_object_get(response.body, "links"), i, item)
		assert_int_equal(json_integer_value(json_object_get(
					 item, "tags_used")),
				 0);
	json_decref(response.body);

	/* Up again: a new VNet may use it; the failed one can be deleted. */
	http_expect(fixture, "POST", "/v1/substrate/nodes/lab",
		    fixture->operator_token, "{\"state\": \"up\"}", 200);
	http_expect(fixture, "DELETE", "/v1/vnets/pinned", alice, NULL, 200);
	http_expect(fixture, "POST", "/v1/vnets", alice, pinned, 201);
}

/* Concurrent creates never overbook: eight at once for a node with room
 * for four (CPU 4, one per VNet) give exactly four VNets, each hop with a
 * tag of its own. */
struct racer {
	struct fixture *fixture;
	const char *token;
	int index;
	int status;
};

static void *racer_main(void *context)
{
	struct racer *racer = context;
	char xml[1024];
	snprintf(xml, sizeof(xml),
		 "<vnet xmlns=\"urn:loom:vnet:1\" name=\"race%d\">\n"
		 "  <node id=\"a\" cpu=\"1\"><placement>"
		 "<substrate-node id=\"lab\"/></placement>"
		 "<interface id=\"a:0\"/></node>\n"
		 "  <node id=\"b\" cpu=\"0.5\"><interface id=\"b:0\"/></node>\n"
		 "  <link id=\"ab\" capacity=\"1000\"><endpoint interface=\"a:0\"/>"
		 "<endpoint interface=\"b:0\"/></link>\n"
		 "</vnet>\n",
		 racer->index);
	struct response response = http_text(racer->fixture, "POST",
					     "/v1/vnets", racer->token, xml);
	racer->status = response.status;
	json_decref(response.body);
	free(response.text);
	return NULL;
}

static void test_concurrent_creates(void **state)
{
	struct fixture *fixture = *state;
	char alice[INP_TOKEN_SIZE];
	tenant_create(fixture, "alice", alice);
	enum { RACERS = 8 };
	struct racer racers[RACERS];
	pthread_t threads[RACERS];
	for (int i = 0; i < RACERS; i++) {
		racers[i] = (struct racer){ fixture, alice, i, 0 };
		assert_int_equal(pthread_create(&threads[i], NULL, racer_main,
						&racers[i]),
				 0);
	}
	int created = 0, refused = 0;
	for (int i = 0; i < RACERS; i++) {
		pthread_join(threads[i], NULL);
		created += racers[i].status == 201;
		refused += racers[i].status == 409;
	}
	assert_int_equal(created, 4);
	assert_int_equal(refused, RACERS - 4);

	/* lab's CPU is full, and the tags on its only link are distinct. */
	struct response response = http_text(fixture, "GET", "/v1/substrate",
					     fixture->operator_token, NULL);
	size_t i;
	json_t *item;
	json_array_foreach(json_object_get(response.body, "nodes"), i, item)
		if (strcmp(json_string_value(json_object_get(item, "id")),
			   "lab") == 0)
			assert_true(json_real_value(json_object_get(
					    item, "cpu_used")) == 4.0);
	json_decref(response.body);
	int tags[RACERS];
	int tag_count = 0;
	for (int r = 1; r <= RACERS; r++) {
		char path[64];
		snprintf(path, sizeof(path), "/v1/vnets/%d/manifest", r);
		response = http_text(fixture, "GET", path, alice, NULL);
		if (response.status == 200) {
			json_t *hops = json_object_get(
				json_array_get(json_object_get(response.body,
							       "links"),
					       0),
				"hops");
			json_array_foreach(hops, i, item)
				if (strcmp(json_string_value(json_object_get(
						   item, "substrate_link")),
					   "lyon-1--lab") == 0)
					tags[tag_count++] = (int)json_integer_value(
						json_object_get(item, "tag"));
		}
		json_decref(response.body);
		free(response.text);
	}
	assert_int_equal(tag_count, 4);
	for (int a = 0; a < tag_count; a++)
		for (int b = a + 1; b < tag_count; b++)
			assert_int_not_equal(tags[a], tags[b]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_health_needs_no_token,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unauthorized, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tenants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_request, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vnet_isolation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_config_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lifecycle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_operator_views, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_releases, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_creates, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
