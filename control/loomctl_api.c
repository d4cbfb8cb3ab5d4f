/* loomctl's side of loom-inp's HTTP API (docs/api.md) through libcurl,
 * and the commands that use it. Each command makes one or two calls,
 * prints the answer (a human view, or the server's JSON with --json) and
 * maps the HTTP status to loomctl's exit status:
 *
 *   2xx -> 0, 404 -> 4, other 4xx -> 1, 5xx -> 5, no answer -> 3.
 *
 * A refusal is one line on stderr, "loomctl: WHAT: MESSAGE", with the
 * line and element of an XML error; with --json the server's error object
 * is printed on stdout as well, for scripts. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "loomctl_private.h"

/* A request body is at most this (the daemon refuses more with 413
 * anyway; reading stops here so a wrong FILE does not fill memory). */
#define LOOMCTL_BODY_MAX (16u << 20) /* "16 MiB" below */
/* create --wait waits up to 30 s on the server; leave room for that. */
#define LOOMCTL_TIMEOUT_SECONDS 90L

void loomctl_fail(const char *what, const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	fprintf(stderr, "loomctl: %s: ", what);
	vfprintf(stderr, format, arguments);
	fprintf(stderr, "\n");
	va_end(arguments);
}

/* ---- one HTTP call ------------------------------------------------------- */

struct http_reply {
	long status;      /* 0: no answer */
	char *data;       /* the body, NUL-terminated */
	size_t length;
	json_t *json;     /* the body parsed, when it is JSON */
	char content_type[128];
};

static size_t http_collect(char *data, size_t size, size_t count,
			   void *context)
{
	struct http_reply *reply = context;
	size_t length = size * count;
	char *grown = realloc(reply->data, reply->length + length + 1);
	if (!grown)
		return 0; /* curl reports a write error */
	memcpy(grown + reply->length, data, length);
	reply->length += length;
	grown[reply->length] = '\0';
	reply->data = grown;
	return length;
}

static void http_reply_free(struct http_reply *reply)
{
	free(reply->data);
	json_decref(reply->json);
	memset(reply, 0, sizeof(*reply));
}

static enum loomctl_exit exit_for_status(long status)
{
	if (status >= 200 && status < 300)
		return LOOMCTL_EXIT_OK;
	if (status == 404)
		return LOOMCTL_EXIT_NOT_FOUND;
	if (status >= 400 && status < 500)
		return LOOMCTL_EXIT_REFUSED;
	if (status >= 500)
		return LOOMCTL_EXIT_SERVER;
	return LOOMCTL_EXIT_UNREACHABLE; /* 1xx, 3xx: not this API */
}

/* The message past a leading "DOCUMENT:LINE: " and "element 'NAME': ",
 * or the message itself when it does not start so. */
static const char *skip_position(const char *message, long long line,
				 const char *element)
{
	char marker[64];
	snprintf(marker, sizeof(marker), ":%lld: ", line);
	const char *at = strstr(message, marker);
	if (!at || memchr(message, ' ', (size_t)(at - message)))
		return message;
	const char *rest = at + strlen(marker);
	if (element && *element) {
		char element_marker[320];
		int n = snprintf(element_marker, sizeof(element_marker),
				 "element '%s': ", element);
		if (n > 0 && (size_t)n < sizeof(element_marker) &&
		    strncmp(rest, element_marker, (size_t)n) == 0)
			rest += n;
	}
	return *rest ? rest : message;
}

/* Reports a refusal: the server's error object, else the status and the
 * body's first line. */
static void report_refusal(const struct loomctl_invocation *call,
			   const char *what, const struct http_reply *reply)
{
	json_t *error = json_object_get(reply->json, "error");
	const char *message = json_string_value(json_object_get(error,
								"message"));
	if (call->json && reply->json)
		output_json(reply->json);
	if (!message) {
		char first_line[256] = "";
		if (reply->data)
			sscanf(reply->data, "%255[^\n]", first_line);
		loomctl_fail(what, "HTTP %ld%s%s", reply->status,
			     first_line[0] ? ": " : "", first_line);
		return;
	}
	json_t *line = json_object_get(error, "line");
	const char *element = json_string_value(json_object_get(error,
								"element"));
	char where[192] = "";
	if (json_is_integer(line) && json_integer_value(line) > 0 && element &&
	    *element)
		snprintf(where, sizeof(where), "line %lld, element <%s>: ",
			 (long long)json_integer_value(line), element);
	else if (json_is_integer(line) && json_integer_value(line) > 0)
		snprintf(where, sizeof(where), "line %lld: ",
			 (long long)json_integer_value(line));
	/* The server's message may start with its own position,
	 * "DOCUMENT:LINE: element 'NAME': ": said once is enough. */
	if (where[0])
		message = skip_position(message, json_integer_value(line),
					element);
	loomctl_fail(what, "%s%s", where, message);
}

/* Makes one call. Returns the exit status its HTTP status maps to (after
 * reporting a refusal as WHAT), or UNREACHABLE after reporting why. */
static enum loomctl_exit http_call(const struct loomctl_invocation *call,
				   const char *what, const char *method,
				   const char *path, const char *body,
				   size_t body_length, const char *body_type,
				   struct http_reply *reply)
{
	memset(reply, 0, sizeof(*reply));
	CURL *curl = curl_easy_init();
	if (!curl) {
		loomctl_fail(what, "cannot start libcurl");
		return LOOMCTL_EXIT_UNREACHABLE;
	}
	char url[2048], header[600], error[CURL_ERROR_SIZE] = "";
	snprintf(url, sizeof(url), "%s%s", call->url, path);
	struct curl_slist *headers = NULL;
	if (call->token[0]) {
		snprintf(header, sizeof(header), "Authorization: Bearer %s",
			 call->token);
		headers = curl_slist_append(headers, header);
	}
	if (body) {
		snprintf(header, sizeof(header), "Content-Type: %s", body_type);
		headers = curl_slist_append(headers, header);
		/* No "Expect: 100-continue" round trip for big bodies. */
		headers = curl_slist_append(headers, "Expect:");
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)body_length);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)0);
	}
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, LOOMCTL_TIMEOUT_SECONDS);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "loomctl/" LOOM_VERSION);
	if (call->cacert)
		curl_easy_setopt(curl, CURLOPT_CAINFO, call->cacert);
	CURLcode rc = curl_easy_perform(curl);
	enum loomctl_exit result;
	if (rc != CURLE_OK) {
		loomctl_fail(what, "cannot reach the InP at %s: %s", call->url,
			     error[0] ? error : curl_easy_strerror(rc));
		result = LOOMCTL_EXIT_UNREACHABLE;
	} else {
		char *type = NULL;
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply->status);
		curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
		snprintf(reply->content_type, sizeof(reply->content_type),
			 "%s", type ? type : "");
		/* JSON by its type, or by its look (an error from a proxy
		 * or an older server may not say). */
		if (reply->data && (strstr(reply->content_type, "json") ||
				    reply->data[0] == '{'))
			reply->json = json_loadb(reply->data, reply->length,
						 JSON_DECODE_ANY, NULL);
		result = exit_for_status(reply->status);
		if (result == LOOMCTL_EXIT_UNREACHABLE)
			loomctl_fail(what, "unexpected HTTP %ld from %s",
				     reply->status, call->url);
		else if (result != LOOMCTL_EXIT_OK)
			report_refusal(call, what, reply);
		else if (strstr(reply->content_type, "json") && !reply->json) {
			loomctl_fail(what, "the InP's reply is not JSON");
			result = LOOMCTL_EXIT_UNREACHABLE;
		}
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return result;
}

/* A call whose body is a JSON object (consumed). */
static enum loomctl_exit http_call_json(const struct loomctl_invocation *call,
					const char *what, const char *method,
					const char *path, json_t *body,
					struct http_reply *reply)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text) {
		loomctl_fail(what, "out of memory");
		return LOOMCTL_EXIT_UNREACHABLE;
	}
	enum loomctl_exit result = http_call(call, what, method, path, text,
					     strlen(text), "application/json",
					     reply);
	free(text);
	return result;
}

/* "/v1/vnets/REF" with REF escaped (names are identifiers, but a typed
 * REF may hold anything). */
static int ref_path(const char *prefix, const char *ref, const char *suffix,
		    char *out, size_t size)
{
	char *escaped = curl_easy_escape(NULL, ref, 0);
	if (!escaped)
		return -1;
	int n = snprintf(out, size, "%s%s%s", prefix, escaped, suffix);
	curl_free(escaped);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* ---- arguments ----------------------------------------------------------- */

static bool need_arguments(const struct loomctl_invocation *call, int count,
			   const char *usage)
{
	if (call->argc == count)
		return true;
	fprintf(stderr, "loomctl %s: expected %s (see loomctl %s --help)\n",
		call->command, usage, call->command);
	return false;
}

/* Reads FILE ("-": stdin) whole. Returns NULL after reporting. */
static char *read_request(const char *what, const char *path, size_t *length)
{
	FILE *file = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!file) {
		loomctl_fail(what, "%s", strerror(errno));
		return NULL;
	}
	size_t size = 0, capacity = 0;
	char *data = NULL;
	const char *problem = NULL;
	for (;;) {
		if (size == capacity) {
			if (capacity >= LOOMCTL_BODY_MAX) {
				problem = "larger than 16 MiB";
				break;
			}
			capacity = capacity ? 2 * capacity : 65536;
			char *grown = realloc(data, capacity + 1);
			if (!grown) {
				problem = "out of memory";
				break;
			}
			data = grown;
		}
		size_t n = fread(data + size, 1, capacity - size, file);
		size += n;
		if (n == 0) {
			if (ferror(file))
				problem = "cannot read";
			break;
		}
	}
	if (file != stdin)
		fclose(file);
	if (problem) {
		loomctl_fail(what, "%s", problem);
		free(data);
		return NULL;
	}
	data[size] = '\0';
	*length = size;
	return data;
}

/* The body of a VNet request: GENI RSpecs and Loom's format are both XML. */
static const char *const request_type = "application/xml";

/* ---- VNets --------------------------------------------------------------- */

static int post_request(const struct loomctl_invocation *call, bool dry_run)
{
	if (!need_arguments(call, 1, "FILE"))
		return LOOMCTL_EXIT_USAGE;
	char what[1100];
	snprintf(what, sizeof(what), "%s %s", call->command, call->argv[0]);
	size_t length = 0;
	char *data = read_request(what, call->argv[0], &length);
	if (!data)
		return LOOMCTL_EXIT_USAGE;
	/* --name goes as ?name= (it names an RSpec too, which has no name
	 * of its own). */
	char path[512], *name = NULL;
	if (call->name && !(name = curl_easy_escape(NULL, call->name, 0))) {
		free(data);
		loomctl_fail(what, "out of memory");
		return LOOMCTL_EXIT_USAGE;
	}
	if ((size_t)snprintf(path, sizeof(path), "/v1/vnets%s%s%s%s",
			     dry_run ? "?dry_run=1" :
			     call->wait ? "?wait=1" : "",
			     name ? (dry_run || call->wait ? "&" : "?") : "",
			     name ? "name=" : "", name ? name : "") >=
	    sizeof(path)) {
		curl_free(name);
		free(data);
		loomctl_fail(what, "NAME too long");
		return LOOMCTL_EXIT_USAGE;
	}
	curl_free(name);
	struct http_reply reply;
	int result = http_call(call, what, "POST", path, data, length,
			       request_type, &reply);
	free(data);
	if (result == LOOMCTL_EXIT_OK) {
		json_t *body = reply.json;
		if (call->json) {
			output_json(body);
		} else if (dry_run) {
			char vnet_name[128];
			printf("valid: VNet '%s' can be embedded now (nothing "
			       "reserved)\n\n",
			       output_value(json_object_get(
						    json_object_get(body,
								    "request"),
						    "name"),
					    vnet_name, sizeof(vnet_name)));
			output_mapping(json_object_get(body, "mapping"));
		} else {
			output_status(body);
			if (json_object_get(body, "mapping") &&
			    !json_object_get(body, "slivers")) {
				printf("\n");
				output_mapping(json_object_get(body,
							       "mapping"));
			}
		}
	}
	http_reply_free(&reply);
	return result;
}

int loomctl_create(const struct loomctl_invocation *call)
{
	return post_request(call, false);
}

int loomctl_validate(const struct loomctl_invocation *call)
{
	return post_request(call, true);
}

int loomctl_list(const struct loomctl_invocation *call)
{
	if (!need_arguments(call, 0, "no arguments"))
		return LOOMCTL_EXIT_USAGE;
	struct http_reply reply;
	int result = http_call(call, "list", "GET", "/v1/vnets", NULL, 0, NULL,
			       &reply);
	if (result == LOOMCTL_EXIT_OK && call->json)
		output_json(reply.json);
	else if (result == LOOMCTL_EXIT_OK)
		output_vnets(reply.json);
	http_reply_free(&reply);
	return result;
}

/* GET of a VNet's route (status, manifest); prints with `view`. */
static int vnet_get(const struct loomctl_invocation *call, const char *suffix,
		    void (*view)(json_t *))
{
	if (!need_arguments(call, 1, "VNET (an id or a name)"))
		return LOOMCTL_EXIT_USAGE;
	char path[1200], what[1100];
	snprintf(what, sizeof(what), "%s %s", call->command, call->argv[0]);
	if (ref_path("/v1/vnets/", call->argv[0], suffix, path, sizeof(path))) {
		loomctl_fail(what, "VNET too long");
		return LOOMCTL_EXIT_USAGE;
	}
	struct http_reply reply;
	int result = http_call(call, what, "GET", path, NULL, 0, NULL, &reply);
	if (result == LOOMCTL_EXIT_OK) {
		if (reply.json && call->json)
			output_json(reply.json);
		else if (reply.json)
			view(reply.json);
		else /* the RSpec manifest: XML as it came */
			fwrite(reply.data ? reply.data : "", 1, reply.length,
			       stdout);
	}
	http_reply_free(&reply);
	return result;
}

int loomctl_status(const struct loomctl_invocation *call)
{
	return vnet_get(call, "", output_status);
}

int loomctl_describe(const struct loomctl_invocation *call)
{
	return vnet_get(call, call->rspec ? "/manifest?format=rspec" :
					    "/manifest",
			output_manifest);
}

/* TIME of renew: Unix seconds, RFC 3339 (sent as it is; the InP reads
 * it), or +DURATION from now (s, m, h, d, w; no unit: seconds). Returns
 * the JSON value for "lease_end", or NULL if TIME is none of these. */
static json_t *lease_end_parse(const char *text)
{
	char *end;
	if (text[0] == '+') {
		errno = 0;
		double value = strtod(text + 1, &end);
		static const struct {
			const char *unit;
			double seconds;
		} units[] = { { "", 1 },	 { "s", 1 },	 { "m", 60 },
			      { "h", 3600 }, { "d", 86400 }, { "w", 604800 } };
		if (errno || end == text + 1 || !(value >= 0) ||
		    !isdigit((unsigned char)text[1]))
			return NULL;
		for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
			if (strcmp(end, units[u].unit) == 0) {
				double seconds = value * units[u].seconds;
				if (seconds > 1e11)
					return NULL;
				return json_integer((json_int_t)time(NULL) +
						    (json_int_t)seconds);
			}
		return NULL;
	}
	if (isdigit((unsigned char)text[0])) {
		errno = 0;
		long long value = strtoll(text, &end, 10);
		if (!errno && !*end)
			return json_integer(value);
		/* RFC 3339: YYYY-MM-DDTHH:MM:SS... with a zone; the InP
		 * checks the rest. */
		int year, month, day, hour, minute;
		if (sscanf(text, "%4d-%2d-%2d%*[Tt ]%2d:%2d", &year, &month,
			   &day, &hour, &minute) == 5)
			return json_string(text);
	}
	return NULL;
}

int loomctl_renew(const struct loomctl_invocation *call)
{
	if (!need_arguments(call, 2, "VNET TIME"))
		return LOOMCTL_EXIT_USAGE;
	char path[1200], what[1100];
	snprintf(what, sizeof(what), "renew %s", call->argv[0]);
	json_t *lease_end = lease_end_parse(call->argv[1]);
	if (!lease_end) {
		loomctl_fail(what,
			     "'%s' is not a time: Unix seconds, RFC 3339 "
			     "(2031-06-30T18:00:00Z) or +DURATION (+2h, +3d)",
			     call->argv[1]);
		return LOOMCTL_EXIT_USAGE;
	}
	if (ref_path("/v1/vnets/", call->argv[0], "/renew", path,
		     sizeof(path))) {
		json_decref(lease_end);
		loomctl_fail(what, "VNET too long");
		return LOOMCTL_EXIT_USAGE;
	}
	struct http_reply reply;
	int result = http_call_json(call, what, "POST", path,
				    json_pack("{s:o}", "lease_end", lease_end),
				    &reply);
	if (result == LOOMCTL_EXIT_OK) {
		if (call->json) {
			output_json(reply.json);
		} else {
			char lease[40];
			printf("VNet %s: lease ends %s\n", call->argv[0],
			       output_time(json_object_get(reply.json,
							   "lease_end"),
					   lease, sizeof(lease)));
		}
	}
	http_reply_free(&reply);
	return result;
}

int loomctl_delete(const struct loomctl_invocation *call)
{
	if (!need_arguments(call, 1, "VNET (an id or a name)"))
		return LOOMCTL_EXIT_USAGE;
	char path[1200], what[1100];
	snprintf(what, sizeof(what), "delete %s", call->argv[0]);
	if (ref_path("/v1/vnets/", call->argv[0], "", path, sizeof(path))) {
		loomctl_fail(what, "VNET too long");
		return LOOMCTL_EXIT_USAGE;
	}
	struct http_reply reply;
	int result = http_call(call, what, "DELETE", path, NULL, 0, NULL,
			       &reply);
	if (result == LOOMCTL_EXIT_OK) {
		char id[32], name[128], state[32];
		if (call->json)
			output_json(reply.json);
		else
			printf("VNet %s '%s': %s\n",
			       output_value(json_object_get(reply.json, "id"),
					    id, sizeof(id)),
			       output_value(json_object_get(reply.json, "name"),
					    name, sizeof(name)),
			       output_value(json_object_get(reply.json,
							    "state"),
					    state, sizeof(state)));
	}
	http_reply_free(&reply);
	return result;
}

/* console VNET NODE: asks the InP how to enter a host node (its
 * namespace on this machine) and runs that command in place of loomctl. */
int loomctl_console(const struct loomctl_invocation *call)
{
	if (!need_arguments(call, 2, "VNET NODE"))
		return LOOMCTL_EXIT_USAGE;
	char path[2400], what[2100];
	snprintf(what, sizeof(what), "console %s %s", call->argv[0],
		 call->argv[1]);
	char node_part[1100];
	char *escaped = curl_easy_escape(NULL, call->argv[1], 0);
	snprintf(node_part, sizeof(node_part), "/console/%s",
		 escaped ? escaped : "");
	curl_free(escaped);
	if (ref_path("/v1/vnets/", call->argv[0], node_part, path,
		     sizeof(path))) {
		loomctl_fail(what, "VNET or NODE too long");
		return LOOMCTL_EXIT_USAGE;
	}
	struct http_reply reply;
	int result = http_call(call, what, "GET", path, NULL, 0, NULL, &reply);
	if (result != LOOMCTL_EXIT_OK || call->json) {
		if (result == LOOMCTL_EXIT_OK)
			output_json(reply.json);
		http_reply_free(&reply);
		return result;
	}
	json_t *command = json_object_get(reply.json, "command");
	size_t count = json_array_size(command);
	char **arguments = calloc(count + 1, sizeof(*arguments));
	for (size_t i = 0; arguments && i < count; i++) {
		const char *argument =
			json_string_value(json_array_get(command, i));
		if (!argument) {
			free(arguments);
			arguments = NULL;
		} else {
			arguments[i] = (char *)argument;
		}
	}
	if (!count || !arguments) {
		loomctl_fail(what, "the InP's reply has no command");
		free(arguments);
		http_reply_free(&reply);
		return LOOMCTL_EXIT_SERVER;
	}
	if (geteuid() != 0) {
		const char *namespace_name = json_string_value(
			json_object_get(reply.json, "namespace"));
		loomctl_fail(what, "entering namespace %s needs root; run as "
				   "root, or --json to see the command",
			     namespace_name ? namespace_name : "?");
		free(arguments);
		http_reply_free(&reply);
		return LOOMCTL_EXIT_USAGE;
	}
	fflush(stdout);
	execvp(arguments[0], arguments);
	loomctl_fail(what, "cannot run %s: %s", arguments[0], strerror(errno));
	free(arguments);
	http_reply_free(&reply);
	return LOOMCTL_EXIT_USAGE;
}

/* ---- tenants ------------------------------------------------------------- */

static void print_token(json_t *body, const char *tenant)
{
	const char *token = json_string_value(json_object_get(body, "token"));
	printf("token of tenant %s (shown once, keep it):\n%s\n", tenant,
	       token ? token : "-");
}

int loomctl_tenant(const struct loomctl_invocation *call)
{
	const char *action = call->argc ? call->argv[0] : "";
	struct http_reply reply;
	char path[1200], what[1100];
	int result;
	snprintf(what, sizeof(what), "tenant %s%s%s", action,
		 call->argc > 1 ? " " : "", call->argc > 1 ? call->argv[1] : "");
	if (strcmp(action, "list") == 0 && call->argc == 1) {
		result = http_call(call, what, "GET", "/v1/tenants", NULL, 0,
				   NULL, &reply);
		if (result == LOOMCTL_EXIT_OK && call->json)
			output_json(reply.json);
		else if (result == LOOMCTL_EXIT_OK)
			output_tenants(reply.json);
		http_reply_free(&reply);
		return result;
	}
	if (call->argc != 2 || (strcmp(action, "add") && strcmp(action, "remove") &&
				strcmp(action, "token"))) {
		fprintf(stderr, "loomctl tenant: expected add NAME [--operator], "
				"remove NAME, list or token NAME (see loomctl "
				"tenant --help)\n");
		return LOOMCTL_EXIT_USAGE;
	}
	const char *name = call->argv[1];
	if (strcmp(action, "add") == 0) {
		result = http_call_json(
			call, what, "POST", "/v1/tenants",
			json_pack("{s:s, s:s}", "name", name, "role",
				  call->operator_role ? "operator" : "sp"),
			&reply);
		if (result == LOOMCTL_EXIT_OK && call->json) {
			output_json(reply.json);
		} else if (result == LOOMCTL_EXIT_OK) {
			char id[32], role[16];
			printf("tenant %s: id %s, role %s\n", name,
			       output_value(json_object_get(reply.json, "id"),
					    id, sizeof(id)),
			       output_value(json_object_get(reply.json, "role"),
					    role, sizeof(role)));
			print_token(reply.json, name);
		}
		http_reply_free(&reply);
		return result;
	}
	if (ref_path("/v1/tenants/", name,
		     strcmp(action, "token") == 0 ? "/tokens" : "", path,
		     sizeof(path))) {
		loomctl_fail(what, "NAME too long");
		return LOOMCTL_EXIT_USAGE;
	}
	if (strcmp(action, "remove") == 0) {
		result = http_call(call, what, "DELETE", path, NULL, 0, NULL,
				   &reply);
		if (result == LOOMCTL_EXIT_OK && call->json)
			output_json(reply.json);
		else if (result == LOOMCTL_EXIT_OK)
			printf("tenant %s removed\n", name);
	} else {
		result = http_call(call, what, "POST", path, NULL, 0, NULL,
				   &reply);
		if (result == LOOMCTL_EXIT_OK && call->json)
			output_json(reply.json);
		else if (result == LOOMCTL_EXIT_OK)
			print_token(reply.json, name);
	}
	http_reply_free(&reply);
	return result;
}

/* ---- the substrate ------------------------------------------------------- */

static int substrate_svg(const struct loomctl_invocation *call)
{
	struct http_reply reply;
	int result = http_call(call, "substrate svg", "GET", "/v1/substrate/svg",
			       NULL, 0, NULL, &reply);
	if (result != LOOMCTL_EXIT_OK) {
		http_reply_free(&reply);
		return result;
	}
	FILE *out = stdout;
	if (call->output && strcmp(call->output, "-") != 0) {
		out = fopen(call->output, "wb");
		if (!out) {
			loomctl_fail("substrate svg", "%s: %s", call->output,
				     strerror(errno));
			http_reply_free(&reply);
			return LOOMCTL_EXIT_USAGE;
		}
	}
	bool ok = fwrite(reply.data ? reply.data : "", 1, reply.length, out) ==
		  reply.length;
	if (out != stdout)
		ok = fclose(out) == 0 && ok;
	if (!ok) {
		loomctl_fail("substrate svg", "%s: cannot write",
			     call->output ? call->output : "stdout");
		result = LOOMCTL_EXIT_USAGE;
	}
	http_reply_free(&reply);
	return result;
}

int loomctl_substrate(const struct loomctl_invocation *call)
{
	const char *action = call->argc ? call->argv[0] : "";
	struct http_reply reply;
	int result;
	if (strcmp(action, "show") == 0 && call->argc == 1) {
		result = http_call(call, "substrate show", "GET",
				   "/v1/substrate", NULL, 0, NULL, &reply);
		if (result == LOOMCTL_EXIT_OK && call->json)
			output_json(reply.json);
		else if (result == LOOMCTL_EXIT_OK)
			output_substrate(reply.json);
		http_reply_free(&reply);
		return result;
	}
	if (strcmp(action, "svg") == 0 && call->argc == 1)
		return substrate_svg(call);
	bool link = strcmp(action, "link") == 0;
	if (call->argc != 3 || (!link && strcmp(action, "node")) ||
	    (strcmp(call->argv[2], "up") && strcmp(call->argv[2], "down"))) {
		fprintf(stderr, "loomctl substrate: expected show, node ID "
				"up|down, link ID up|down or svg [-o FILE] (see "
				"loomctl substrate --help)\n");
		return LOOMCTL_EXIT_USAGE;
	}
	char path[1200], what[1100];
	snprintf(what, sizeof(what), "substrate %s %s %s", action,
		 call->argv[1], call->argv[2]);
	if (ref_path(link ? "/v1/substrate/links/" : "/v1/substrate/nodes/",
		     call->argv[1], "", path, sizeof(path))) {
		loomctl_fail(what, "ID too long");
		return LOOMCTL_EXIT_USAGE;
	}
	result = http_call_json(call, what, "POST", path,
				json_pack("{s:s}", "state", call->argv[2]),
				&reply);
	if (result == LOOMCTL_EXIT_OK && call->json) {
		output_json(reply.json);
	} else if (result == LOOMCTL_EXIT_OK) {
		char state[16];
		printf("substrate %s %s: %s\n", action, call->argv[1],
		       output_value(json_object_get(reply.json, "state"), state,
				    sizeof(state)));
	}
	http_reply_free(&reply);
	return result;
}

/* ---- health, whoami ------------------------------------------------------ */

int loomctl_health(const struct loomctl_invocation *call)
{
	if (!need_arguments(call, 0, "no arguments"))
		return LOOMCTL_EXIT_USAGE;
	struct http_reply reply;
	int result = http_call(call, "health", "GET", "/v1/health", NULL, 0,
			       NULL, &reply);
	if (result == LOOMCTL_EXIT_OK && call->json) {
		output_json(reply.json);
	} else if (result == LOOMCTL_EXIT_OK) {
		char status[32], version[64];
		printf("%s (loom-inp %s at %s)\n",
		       output_value(json_object_get(reply.json, "status"),
				    status, sizeof(status)),
		       output_value(json_object_get(reply.json, "version"),
				    version, sizeof(version)),
		       call->url);
	}
	http_reply_free(&reply);
	return result;
}

int loomctl_whoami(const struct loomctl_invocation *call)
{
	if (!need_arguments(call, 0, "no arguments"))
		return LOOMCTL_EXIT_USAGE;
	struct http_reply reply;
	int result = http_call(call, "whoami", "GET", "/v1/whoami", NULL, 0,
			       NULL, &reply);
	if (result == LOOMCTL_EXIT_OK && call->json) {
		output_json(reply.json);
	} else if (result == LOOMCTL_EXIT_OK) {
		char tenant[128], role[16];
		printf("tenant %s, role %s\n",
		       output_value(json_object_get(reply.json, "tenant"),
				    tenant, sizeof(tenant)),
		       output_value(json_object_get(reply.json, "role"), role,
				    sizeof(role)));
	}
	http_reply_free(&reply);
	return result;
}
