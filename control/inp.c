/* loom-inp's HTTP side: authentication, routing, replies, tenants, and the
 * server's start and stop. See docs/api.md for the routes and
 * inp_private.h for how the daemon's files and threads divide the work.
 *
 * libmicrohttpd runs a thread per connection; each handler holds
 * server->lock, so the store connection, the embedder and the element
 * states are used by one thread at a time. `create ?wait=1` releases the
 * lock while it waits for the provisioner. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "inp_private.h"

#ifndef LOOM_VERSION
#define LOOM_VERSION "unknown"
#endif

#define INP_MAX_BODY ((size_t)VNET_REQUEST_MAX_SIZE)

/* ---- logs ------------------------------------------------------------------ */

static int log_threshold = 1; /* 0 debug, 1 info, 2 warning, 3 error */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static int log_level_rank(const char *level)
{
	static const char *const levels[] = { "debug", "info", "warning",
					      "error" };
	for (int i = 0; i < 4; i++)
		if (strcmp(level, levels[i]) == 0)
			return i;
	return 1;
}

void inp_log(const char *level, const char *event, json_t *fields)
{
	if (log_level_rank(level) < log_threshold) {
		json_decref(fields);
		return;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct tm tm;
	gmtime_r(&now.tv_sec, &tm);
	char stamp[40];
	size_t length = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + length, sizeof(stamp) - length, ".%03ldZ",
		 now.tv_nsec / 1000000);
	json_t *line = json_pack("{s:s, s:s, s:s}", "time", stamp, "level",
				 level, "event", event);
	if (line && fields)
		json_object_update(line, fields);
	json_decref(fields);
	char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
	json_decref(line);
	if (text) {
		pthread_mutex_lock(&log_lock);
		fprintf(stderr, "%s\n", text);
		fflush(stderr);
		pthread_mutex_unlock(&log_lock);
		free(text);
	}
}

/* ---- replies --------------------------------------------------------------- */

struct reply reply_json(unsigned status, json_t *body)
{
	return (struct reply){ .status = status, .body = body };
}

struct reply reply_text(unsigned status, char *text, const char *type)
{
	return (struct reply){ .status = status, .text = text,
			       .content_type = type };
}

struct reply reply_error(unsigned status, const char *code,
			 const char *format, ...)
{
	char message[640];
	va_list args;
	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);
	return reply_json(status, json_pack("{s:{s:s, s:s}}", "error", "code",
					    code, "message", message));
}

static const char *const store_codes[] = {
#define _(name, text) #name,
	foreach_inp_store_problem
#undef _
};

const char *code_text(const char *const *codes, size_t count, unsigned index,
		      char *buf, size_t size)
{
	const char *name = index < count ? codes[index] : "UNKNOWN";
	size_t i = 0;
	for (; name[i] && i + 1 < size; i++)
		buf[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
					name[i] - 'A' + 'a' :
					name[i]);
	buf[i] = '\0';
	return buf;
}

struct reply reply_store_error(struct inp_store *store)
{
	enum inp_store_problem problem = inp_store_problem(store);
	unsigned status = 500;
	switch (problem) {
	case INP_STORE_NOT_FOUND: status = 404; break;
	case INP_STORE_EXISTS:
	case INP_STORE_BUSY:
	case INP_STORE_TAG_TAKEN:
	case INP_STORE_NO_FREE_TAG:
	case INP_STORE_CAPACITY: status = 409; break;
	case INP_STORE_INVALID: status = 400; break;
	case INP_STORE_LOCKED: status = 503; break;
	default: break;
	}
	char code[32];
	return reply_error(status,
			   code_text(store_codes, INP_STORE_PROBLEM_COUNT,
				     problem, code, sizeof(code)),
			   "%s", inp_store_error(store));
}

/* ---- tenants --------------------------------------------------------------- */

struct tenant_search {
	const char *name;
	enum inp_tenant_role role; /* when name is NULL */
	struct inp_tenant found;
	bool ok;
};

static int tenant_search_match(void *context, const struct inp_tenant *tenant)
{
	struct tenant_search *search = context;
	if (search->name ? strcmp(search->name, tenant->name) == 0 :
			   tenant->role == search->role) {
		search->found = *tenant;
		search->ok = true;
		return 1;
	}
	return 0;
}

static int tenant_find(struct inp_server *server, const char *name,
		       struct inp_tenant *tenant)
{
	struct tenant_search search = { .name = name };
	if (inp_store_tenant_list(server->store, tenant_search_match,
				  &search) < 0)
		return -1;
	if (!search.ok)
		return 1;
	*tenant = search.found;
	return 0;
}

static bool tenant_name_valid(const char *name)
{
	size_t length = strlen(name);
	if (!length || length >= sizeof(((struct inp_tenant *)0)->name))
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
		      *c == '.' || *c == '@'))
			return false;
	return true;
}

static struct reply tenants_post(struct inp_server *server,
				 const struct upload *upload)
{
	json_error_t json_error;
	json_t *body = json_loadb(upload->data ? upload->data : "",
				  upload->length, 0, &json_error);
	const char *name = NULL, *role_name = "sp";
	if (!body || json_unpack(body, "{s:s, s?:s}", "name", &name, "role",
				 &role_name) ||
	    !tenant_name_valid(name)) {
		json_decref(body);
		return reply_error(400, "bad_request",
				   "expected {\"name\": \"...\", \"role\": "
				   "\"sp\"|\"operator\"} (a name of 1 to 63 of "
				   "[A-Za-z0-9_.@-])");
	}
	enum inp_tenant_role role = INP_TENANT_ROLE_COUNT;
	for (int r = 0; r < INP_TENANT_ROLE_COUNT; r++)
		if (strcmp(role_name, inp_tenant_role_name(r)) == 0)
			role = r;
	if (role == INP_TENANT_ROLE_COUNT) {
		struct reply reply = reply_error(
			400, "bad_request",
			"role '%s': expected \"sp\" or \"operator\"",
			role_name);
		json_decref(body);
		return reply;
	}
	int64_t id, token_id;
	char token[INP_TOKEN_SIZE];
	if (inp_store_tenant_add(server->store, name, role, &id)) {
		json_decref(body);
		return reply_store_error(server->store);
	}
	if (inp_store_token_create(server->store, id, token, &token_id)) {
		struct reply reply = reply_store_error(server->store);
		inp_store_tenant_remove(server->store, id);
		json_decref(body);
		return reply;
	}
	inp_log("info", "tenant_added",
		json_pack("{s:s, s:s}", "tenant", name, "role",
			  inp_tenant_role_name(role)));
	struct reply reply = reply_json(
		201, json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id,
			       "name", name, "role", inp_tenant_role_name(role),
			       "token", token));
	json_decref(body);
	return reply;
}

static int tenant_list_add(void *context, const struct inp_tenant *tenant)
{
	return json_array_append_new(
		       context,
		       json_pack("{s:I, s:s, s:s, s:I}", "id",
				 (json_int_t)tenant->id, "name", tenant->name,
				 "role", inp_tenant_role_name(tenant->role),
				 "created", (json_int_t)tenant->created)) ?
		       1 :
		       0;
}

static struct reply tenants_get(struct inp_server *server)
{
	json_t *list = json_array();
	if (inp_store_tenant_list(server->store, tenant_list_add, list) < 0) {
		json_decref(list);
		return reply_store_error(server->store);
	}
	return reply_json(200, json_pack("{s:o}", "tenants", list));
}

/* The tenant called name, or false with the reply to give. */
static bool tenant_get(struct inp_server *server, const char *name,
		       struct inp_tenant *tenant, struct reply *reply)
{
	int rc = tenant_find(server, name, tenant);
	if (rc < 0)
		*reply = reply_store_error(server->store);
	else if (rc > 0)
		*reply = reply_error(404, "not_found", "no tenant '%s'", name);
	return rc == 0;
}

static struct reply tenants_delete(struct inp_server *server,
				   const struct inp_tenant *caller,
				   const char *name)
{
	struct inp_tenant tenant;
	struct reply reply;
	if (!tenant_get(server, name, &tenant, &reply))
		return reply;
	if (tenant.id == caller->id)
		return reply_error(400, "bad_request",
				   "the operator cannot remove itself");
	if (inp_store_tenant_remove(server->store, tenant.id))
		return reply_store_error(server->store);
	inp_log("info", "tenant_removed", json_pack("{s:s}", "tenant", name));
	return reply_json(200, json_pack("{s:s}", "deleted", name));
}

static struct reply tenant_token_post(struct inp_server *server,
				      const char *name)
{
	struct inp_tenant tenant;
	struct reply reply;
	if (!tenant_get(server, name, &tenant, &reply))
		return reply;
	int64_t token_id;
	char token[INP_TOKEN_SIZE];
	if (inp_store_token_create(server->store, tenant.id, token, &token_id))
		return reply_store_error(server->store);
	return reply_json(201, json_pack("{s:s, s:I}", "token", token,
					 "token_id", (json_int_t)token_id));
}

static int tenant_collect(void *context, const struct inp_tenant *tenant)
{
	return json_array_append_new(context,
				     json_pack("[I, s]", (json_int_t)tenant->id,
					       tenant->name)) ?
		       1 :
		       0;
}

static int vnet_collect(void *context, const struct inp_vnet *vnet)
{
	return json_array_append_new(context, json_integer(vnet->id)) ? 1 : 0;
}

json_t *inp_live_vnets(struct inp_server *server)
{
	json_t *tenants = json_array(), *ids = json_array();
	json_t *out = json_array();
	bool failed = inp_store_tenant_list(server->store, tenant_collect,
					    tenants) < 0;
	size_t i, j;
	json_t *tenant, *id;
	json_array_foreach(tenants, i, tenant)
	{
		json_array_clear(ids);
		json_int_t tenant_id = json_integer_value(json_array_get(tenant, 0));
		failed |= inp_store_vnet_list(server->store, tenant_id, false,
					      vnet_collect, ids) < 0;
		json_array_foreach(ids, j, id)
			json_array_append_new(
				out, json_pack("[I, I, O]", tenant_id,
					       json_integer_value(id),
					       json_array_get(tenant, 1)));
	}
	json_decref(tenants);
	json_decref(ids);
	if (failed) {
		json_decref(out);
		return NULL;
	}
	return out;
}

json_t *sliver_placement(const struct inp_sliver *sliver)
{
	return sliver && sliver->placement ?
		       json_loads(sliver->placement, 0, NULL) :
		       NULL;
}

/* ---- dispatch -------------------------------------------------------------- */

static bool authenticate(struct inp_server *server,
			 struct MHD_Connection *connection,
			 struct inp_tenant *tenant)
{
	const char *header = MHD_lookup_connection_value(
		connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	static const char prefix[] = "Bearer ";
	if (!header || strncmp(header, prefix, sizeof(prefix) - 1))
		return false;
	return inp_store_token_verify(server->store,
				      header + sizeof(prefix) - 1, tenant) == 0;
}

static bool argument_true(struct MHD_Connection *connection, const char *name)
{
	const char *value = MHD_lookup_connection_value(
		connection, MHD_GET_ARGUMENT_KIND, name);
	return value && strcmp(value, "0") != 0 && strcmp(value, "false") != 0;
}

static struct reply operator_only(void)
{
	return reply_error(403, "forbidden", "operator only");
}

/* /v1/vnets/REF[/manifest|/renew|/console/NODE] */
static struct reply route_vnet(struct inp_server *server,
			       struct MHD_Connection *connection,
			       const struct inp_tenant *tenant,
			       const char *path, const char *method,
			       const struct upload *upload)
{
	char ref[128];
	const char *slash = strchr(path, '/');
	size_t length = slash ? (size_t)(slash - path) : strlen(path);
	if (!length || length >= sizeof(ref))
		return reply_error(404, "not_found", "no VNet '%.*s'",
				   (int)length, path);
	memcpy(ref, path, length);
	ref[length] = '\0';
	const char *rest = slash ? slash : "";
	bool get = strcmp(method, "GET") == 0;
	bool post = strcmp(method, "POST") == 0;
	bool delete = strcmp(method, "DELETE") == 0;
	if (!((!*rest && (get || delete)) ||
	      (strcmp(rest, "/manifest") == 0 && get) ||
	      (strcmp(rest, "/renew") == 0 && post) ||
	      (strncmp(rest, "/console/", 9) == 0 && get)))
		return reply_error(404, "not_found", "no route %s /v1/vnets/%s",
				   method, path);
	int64_t id = vnet_resolve(server, tenant->id, ref);
	if (id < 0)
		return reply_store_error(server->store);
	if (id == 0)
		return reply_error(404, "not_found", "no VNet '%s'", ref);
	if (!*rest)
		return get ? vnet_status(server, tenant, id) :
			     vnet_delete(server, tenant, id);
	if (strcmp(rest, "/manifest") == 0) {
		const char *format = MHD_lookup_connection_value(
			connection, MHD_GET_ARGUMENT_KIND, "format");
		if (format && strcmp(format, "json") &&
		    strcmp(format, "rspec"))
			return reply_error(400, "bad_request",
					   "format '%s': json or rspec",
					   format);
		return vnet_manifest(server, tenant, id,
				     format && strcmp(format, "rspec") == 0);
	}
	if (strcmp(rest, "/renew") == 0)
		return vnet_renew(server, tenant, id, upload);
	return vnet_console(server, tenant, id, rest + 9);
}

static struct reply route(struct inp_server *server,
			  struct MHD_Connection *connection, const char *url,
			  const char *method, const struct upload *upload)
{
	/* HEAD is GET without the body (libmicrohttpd drops it). */
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	bool get = strcmp(method, "GET") == 0;
	bool post = strcmp(method, "POST") == 0;
	bool delete = strcmp(method, "DELETE") == 0;

	if (strcmp(url, "/v1/health") == 0) {
		if (!get)
			return reply_error(405, "method_not_allowed",
					   "%s /v1/health", method);
		return reply_json(200, json_pack("{s:s, s:s}", "status", "ok",
						 "version", LOOM_VERSION));
	}
	if (strcmp(url, "/metrics") == 0 && get)
		return metrics_text(server);
	struct inp_tenant tenant;
	if (!authenticate(server, connection, &tenant))
		return reply_error(401, "unauthorized",
				   "a valid 'Authorization: Bearer TOKEN' "
				   "header is required");
	if (upload->too_large)
		return reply_error(413, "too_large",
				   "request body over %zu bytes",
				   INP_MAX_BODY);

	bool operator = tenant.role == INP_TENANT_OPERATOR;
	if (strcmp(url, "/v1/whoami") == 0 && get)
		return reply_json(200, json_pack("{s:s, s:s}", "tenant",
						 tenant.name, "role",
						 inp_tenant_role_name(
							 tenant.role)));
	if (strcmp(url, "/v1/vnets") == 0 && post)
		return vnets_post(server, &tenant, upload,
				  MHD_lookup_connection_value(
					  connection, MHD_GET_ARGUMENT_KIND,
					  "name"),
				  argument_true(connection, "dry_run"),
				  argument_true(connection, "wait"));
	if (strcmp(url, "/v1/vnets") == 0 && get)
		return vnets_list(server, &tenant);
	if (strncmp(url, "/v1/vnets/", 10) == 0)
		return route_vnet(server, connection, &tenant, url + 10,
				  method, upload);

	bool tenants = strncmp(url, "/v1/tenants", 11) == 0;
	bool substrate = strncmp(url, "/v1/substrate", 13) == 0;
	if ((tenants || substrate) && !operator)
		return operator_only();
	if (strcmp(url, "/v1/tenants") == 0 && post)
		return tenants_post(server, upload);
	if (strcmp(url, "/v1/tenants") == 0 && get)
		return tenants_get(server);
	if (strncmp(url, "/v1/tenants/", 12) == 0) {
		const char *name = url + 12;
		const char *slash = strchr(name, '/');
		if (!slash && delete)
			return tenants_delete(server, &tenant, name);
		if (slash && strcmp(slash, "/tokens") == 0 && post) {
			char buf[64];
			snprintf(buf, sizeof(buf), "%.*s",
				 (int)(slash - name), name);
			return tenant_token_post(server, buf);
		}
	}
	if (strcmp(url, "/v1/substrate") == 0 && get)
		return substrate_show(server);
	if (strcmp(url, "/v1/substrate/svg") == 0 && get)
		return substrate_svg(server);
	if (strncmp(url, "/v1/substrate/nodes/", 20) == 0 && post)
		return substrate_set_state(server, false, url + 20, upload);
	if (strncmp(url, "/v1/substrate/links/", 20) == 0 && post)
		return substrate_set_state(server, true, url + 20, upload);
	return reply_error(404, "not_found", "no route %s %s", method, url);
}

static enum inp_outcome outcome_of(unsigned status)
{
	if (status < 400)
		return INP_OUTCOME_OK;
	if (status == 401 || status == 403)
		return INP_OUTCOME_UNAUTHORIZED;
	if (status == 404)
		return INP_OUTCOME_NOT_FOUND;
	if (status == 409)
		return INP_OUTCOME_CONFLICT;
	if (status >= 500)
		return INP_OUTCOME_SERVER_ERROR;
	return INP_OUTCOME_CLIENT_ERROR;
}

static enum MHD_Result answer(void *context, struct MHD_Connection *connection,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **connection_context)
{
	(void)version;
	struct inp_server *server = context;
	struct upload *upload = *connection_context;
	if (!upload) {
		upload = calloc(1, sizeof(*upload));
		if (!upload)
			return MHD_NO;
		*connection_context = upload;
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t size = *upload_data_size;
		if (upload->length + size > INP_MAX_BODY) {
			upload->too_large = true;
		} else if (!upload->too_large) {
			char *data = realloc(upload->data,
					     upload->length + size + 1);
			if (!data)
				return MHD_NO;
			memcpy(data + upload->length, upload_data, size);
			upload->length += size;
			data[upload->length] = '\0';
			upload->data = data;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	struct timespec start, end;
	clock_gettime(CLOCK_MONOTONIC, &start);
	pthread_mutex_lock(&server->lock);
	struct reply reply = route(server, connection, url, method, upload);
	server->requests[outcome_of(reply.status)]++;
	pthread_mutex_unlock(&server->lock);
	clock_gettime(CLOCK_MONOTONIC, &end);
	double ms = (double)(end.tv_sec - start.tv_sec) * 1e3 +
		    (double)(end.tv_nsec - start.tv_nsec) / 1e6;
	json_t *error = reply.body ? json_object_get(reply.body, "error") :
				     NULL;
	inp_log(reply.status >= 500 ? "error" : "debug", "request",
		json_pack("{s:s, s:s, s:i, s:f, s:O*}", "method", method,
			  "path", url, "status", (int)reply.status, "ms", ms,
			  "error", error));

	char *text = reply.text;
	const char *type = reply.content_type ? reply.content_type :
						"application/json";
	if (!text && reply.body)
		text = json_dumps(reply.body, JSON_COMPACT);
	json_decref(reply.body);
	if (!text) {
		reply.status = 500;
		type = "application/json";
		text = strdup("{\"error\": {\"code\": \"no_memory\", "
			      "\"message\": \"out of memory\"}}");
		if (!text)
			return MHD_NO;
	}
	struct MHD_Response *response = MHD_create_response_from_buffer(
		strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!response) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result result =
		MHD_queue_response(connection, reply.status, response);
	MHD_destroy_response(response);
	return result;
}

static void request_completed(void *context, struct MHD_Connection *connection,
			      void **connection_context,
			      enum MHD_RequestTerminationCode code)
{
	(void)context;
	(void)connection;
	(void)code;
	struct upload *upload = *connection_context;
	if (upload) {
		free(upload->data);
		free(upload);
		*connection_context = NULL;
	}
}

/* An operator tenant exists after this; on first start it is created and
 * its token written (0600, never overwriting a file) to token_file. */
static int operator_ensure(struct inp_server *server, const char *token_file,
			   char *err, size_t err_size)
{
	struct tenant_search search = { .role = INP_TENANT_OPERATOR };
	if (inp_store_tenant_list(server->store, tenant_search_match,
				  &search) < 0) {
		snprintf(err, err_size, "store: %s",
			 inp_store_error(server->store));
		return -1;
	}
	if (search.ok)
		return 0;
	if (!token_file[0]) {
		snprintf(err, err_size,
			 "no operator tenant yet and no operator_token_file "
			 "to write its token to");
		return -1;
	}
	int fd = open(token_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		      0600);
	if (fd < 0) {
		snprintf(err, err_size, "%s: %s", token_file, strerror(errno));
		return -1;
	}
	int64_t id, token_id;
	char token[INP_TOKEN_SIZE];
	if (inp_store_tenant_add(server->store, "operator",
				 INP_TENANT_OPERATOR, &id) ||
	    inp_store_token_create(server->store, id, token, &token_id)) {
		snprintf(err, err_size, "store: %s",
			 inp_store_error(server->store));
		close(fd);
		unlink(token_file);
		return -1;
	}
	size_t length = strlen(token);
	token[length++] = '\n';
	bool written = write(fd, token, length) == (ssize_t)length;
	if (close(fd) || !written) {
		snprintf(err, err_size, "%s: cannot write the token",
			 token_file);
		return -1;
	}
	return 0;
}

/* PEM files, the SVG: libmicrohttpd and the replies want memory. */
char *inp_file_read(const char *path, char *err, size_t err_size)
{
	FILE *stream = fopen(path, "r");
	if (!stream) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *text = NULL;
	size_t size = 0;
	FILE *memory = open_memstream(&text, &size);
	char buffer[4096];
	size_t n;
	while (memory && (n = fread(buffer, 1, sizeof(buffer), stream)) > 0)
		fwrite(buffer, 1, n, memory);
	fclose(stream);
	if (!memory || fclose(memory) || !size) {
		free(text);
		snprintf(err, err_size, "%s: empty or unreadable", path);
		return NULL;
	}
	return text;
}

/* mkdir -p, mode 0755. */
static int directory_make(const char *path)
{
	char buffer[INP_PATH_SIZE];
	snprintf(buffer, sizeof(buffer), "%s", path);
	for (char *slash = buffer + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		if (mkdir(buffer, 0755) && errno != EEXIST)
			return -1;
		*slash = '/';
	}
	return mkdir(buffer, 0755) && errno != EEXIST ? -1 : 0;
}

/* The housekeeping thread: lease expiry once a second. */
static void *housekeeping_main(void *context)
{
	struct inp_server *server = context;
	pthread_mutex_lock(&server->lock);
	while (!server->stopping) {
		struct timespec deadline;
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 1;
		pthread_cond_timedwait(&server->stop_cond, &server->lock,
				       &deadline);
		if (!server->stopping)
			vnets_expire(server);
	}
	pthread_mutex_unlock(&server->lock);
	return NULL;
}

struct inp_server *inp_server_start(const struct inp_config *config,
				    char *err, size_t err_size)
{
	struct inp_server *server = calloc(1, sizeof(*server));
	if (!server) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	server->config = *config;
	log_threshold = log_level_rank(config->log_level);
	pthread_mutex_init(&server->lock, NULL);
	pthread_cond_init(&server->stop_cond, NULL);
	struct load_error load_error;
	server->substrate = substrate_load_yaml(config->substrate, &load_error,
						NULL);
	if (!server->substrate) {
		load_error_format(&load_error, err, err_size);
		goto fail;
	}
	for (uint32_t i = 0; i < config->switch_namespace_count; i++)
		if (substrate_node_lookup(server->substrate,
					  config->switch_namespaces[i].node) <
		    0) {
			snprintf(err, err_size,
				 "switches.nodes: '%s' is not a node of the "
				 "substrate",
				 config->switch_namespaces[i].node);
			goto fail;
		}
	/* The switches create the VMs' vhost-user sockets there. */
	if (directory_make(config->vhost_directory)) {
		snprintf(err, err_size, "hosts.vhost_directory %s: %s",
			 config->vhost_directory, strerror(errno));
		goto fail;
	}
	server->states.node_down =
		calloc(server->substrate->node_count + 1, sizeof(bool));
	server->states.link_down =
		calloc(server->substrate->link_count + 1, sizeof(bool));
	server->states.link_port_down =
		calloc(server->substrate->link_count + 1, sizeof(bool));
	if (!server->states.node_down || !server->states.link_down ||
	    !server->states.link_port_down) {
		snprintf(err, err_size, "out of memory");
		goto fail;
	}
	server->store = inp_store_open(config->store, 0, err, err_size);
	if (!server->store)
		goto fail;
	if (inp_store_set_durability(server->store, config->store_sync_full)) {
		snprintf(err, err_size, "store: %s",
			 inp_store_error(server->store));
		goto fail;
	}
	struct embed_options reembed_options = { .loom_min_rc = -1 };
	server->embedder = embedder_create(server->substrate,
					   EMBED_ALGORITHM_LOOM, NULL);
	server->reembedder = embedder_create(
		server->substrate, EMBED_ALGORITHM_LOOM, &reembed_options);
	if (!server->embedder || !server->reembedder) {
		snprintf(err, err_size, "cannot create the embedder");
		goto fail;
	}
	if (operator_ensure(server, config->operator_token_file, err,
			    err_size))
		goto fail;
	if (inp_states_load(server, err, err_size))
		goto fail;
	server->provisioner = provisioner_start(server, err, err_size);
	if (!server->provisioner)
		goto fail;
	if (vnets_restore(server, err, err_size))
		goto fail;
	provisioner_restored(server->provisioner);

	struct sockaddr_in address = { .sin_family = AF_INET,
				       .sin_port = htons(config->port) };
	if (inet_pton(AF_INET, config->listen_address, &address.sin_addr) !=
	    1) {
		snprintf(err, err_size, "listen: bad address '%s'",
			 config->listen_address);
		goto fail;
	}
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	if (config->tls_certificate[0]) {
		server->tls_certificate =
			inp_file_read(config->tls_certificate, err, err_size);
		server->tls_key = server->tls_certificate ?
					  inp_file_read(config->tls_key, err,
						    err_size) :
					  NULL;
		if (!server->tls_key)
			goto fail;
		flags |= MHD_USE_TLS;
		server->daemon = MHD_start_daemon(
			flags, 0, NULL, NULL, answer, server,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
			MHD_OPTION_NOTIFY_COMPLETED, request_completed, server,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
			MHD_OPTION_HTTPS_MEM_CERT, server->tls_certificate,
			MHD_OPTION_HTTPS_MEM_KEY, server->tls_key,
			MHD_OPTION_END);
	} else {
		server->daemon = MHD_start_daemon(
			flags, 0, NULL, NULL, answer, server,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
			MHD_OPTION_NOTIFY_COMPLETED, request_completed, server,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
			MHD_OPTION_END);
	}
	if (!server->daemon) {
		snprintf(err, err_size, "cannot listen on %s:%u%s",
			 config->listen_address, config->port,
			 config->tls_certificate[0] ?
				 " (or the TLS certificate or key is invalid)" :
				 "");
		goto fail;
	}
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
	server->port = info ? info->port : config->port;
	if (pthread_create(&server->housekeeping, NULL, housekeeping_main,
			   server)) {
		snprintf(err, err_size, "cannot start a thread");
		goto fail;
	}
	server->housekeeping_started = true;
	inp_log("info", "started",
		json_pack("{s:s, s:i, s:b, s:s, s:s}", "address",
			  config->listen_address, "port", (int)server->port,
			  "tls", config->tls_certificate[0] != '\0',
			  "substrate", config->substrate, "store",
			  config->store));
	return server;
fail:
	inp_server_stop(server);
	return NULL;
}

uint16_t inp_server_port(const struct inp_server *server)
{
	return server->port;
}

void inp_server_stop(struct inp_server *server)
{
	if (!server)
		return;
	if (server->daemon)
		MHD_stop_daemon(server->daemon);
	pthread_mutex_lock(&server->lock);
	server->stopping = true;
	pthread_cond_broadcast(&server->stop_cond);
	pthread_mutex_unlock(&server->lock);
	if (server->housekeeping_started)
		pthread_join(server->housekeeping, NULL);
	provisioner_stop(server->provisioner);
	embedder_free(server->embedder);
	embedder_free(server->reembedder);
	inp_store_close(server->store);
	substrate_free(server->substrate);
	free(server->states.node_down);
	free(server->states.link_down);
	free(server->states.link_port_down);
	free(server->tls_certificate);
	free(server->tls_key);
	pthread_cond_destroy(&server->stop_cond);
	pthread_mutex_destroy(&server->lock);
	free(server);
}
