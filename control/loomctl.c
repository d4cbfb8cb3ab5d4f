/* loomctl: the command line of Loom for service providers and the
 * operator. It speaks loom-inp's HTTP API (docs/api.md; the calls are in
 * loomctl_api.c) and, for `loomctl switch`, one loom-switch's control
 * socket:
 *
 *   loomctl [--url URL] [--token TOKEN | --token-file FILE] [--json]
 *           [--cacert FILE] COMMAND [ARGUMENTS]
 *   loomctl switch -s SOCKET [-t TOKEN] [--json] COMMAND [NAME=VALUE ...]
 *
 * This file is the dispatcher: the command table (one line per command,
 * with its usage and help), the options, the token, and `switch`. The
 * global options may also follow the command. docs/loomctl.md is the
 * manual; the exit statuses are foreach_loomctl_exit's. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "loomctl_private.h"

#define LOOMCTL_DEFAULT_URL "http://127.0.0.1:7480"

/* The command-specific options a command accepts (bits). */
#define foreach_loomctl_flag                                                 \
	_(WAIT, "wait", no_argument, "--wait")                               \
	_(NAME, "name", required_argument, "--name NAME")                    \
	_(RSPEC, "rspec", no_argument, "--rspec")                            \
	_(OPERATOR, "operator", no_argument, "--operator")                   \
	_(OUTPUT, "output", required_argument, "-o FILE")

enum loomctl_flag_index {
#define _(name, long_name, has_argument, text) LOOMCTL_FLAG_INDEX_##name,
	foreach_loomctl_flag
#undef _
};

enum loomctl_flag {
#define _(name, long_name, has_argument, text)                               \
	LOOMCTL_FLAG_##name = 1u << LOOMCTL_FLAG_INDEX_##name,
	foreach_loomctl_flag
#undef _
};

/* Every command of the InP: name, handler, the flags it takes, its usage
 * and its help (printed by `loomctl COMMAND --help`). */
#define foreach_loomctl_command                                              \
	_(create, LOOMCTL_FLAG_WAIT | LOOMCTL_FLAG_NAME,                     \
	  "create FILE [--wait] [--name NAME]",                              \
	  "Reserve a VNet from an XML request (Loom's format or a GENI\n"    \
	  "RSpec v3); FILE '-' reads stdin. Prints the VNet's status.\n"     \
	  "  --wait       return once every sliver is ready or failed\n"     \
	  "               (the InP waits at most 30 s)\n"                    \
	  "  --name NAME  name the VNet NAME, whatever the request says\n"   \
	  "               (a GENI RSpec has no name of its own)\n")           \
	_(validate, LOOMCTL_FLAG_NAME, "validate FILE [--name NAME]",        \
	  "Check a request and show where it would be embedded now, "        \
	  "reserving\nnothing (a dry run). FILE '-' reads stdin.\n"          \
	  "  --name NAME  as create --name\n")                                \
	_(list, 0, "list", "List your VNets: id, name, state, lease end.\n") \
	_(status, 0, "status VNET",                                          \
	  "A VNet's state and its slivers (VNET is an id or a name).\n")     \
	_(describe, LOOMCTL_FLAG_RSPEC, "describe VNET [--rspec]",           \
	  "A VNet's manifest as a tree: each node on its substrate node\n"   \
	  "with its interfaces, each link with its hops (kind and tag).\n"   \
	  "  --rspec      the GENI manifest RSpec (XML) instead\n")          \
	_(renew, 0, "renew VNET TIME",                                       \
	  "Move a VNet's lease end to TIME: Unix seconds, RFC 3339\n"        \
	  "(2031-06-30T18:00:00Z) or +DURATION from now (+90m, +2h, "        \
	  "+3d, +1w).\n")                                                    \
	_(delete, 0, "delete VNET",                                          \
	  "Release a VNet (deleting it again gives the same answer).\n")     \
	_(console, 0, "console VNET NODE",                                   \
	  "Open a shell in a host node's namespace: asks the InP for the\n"  \
	  "command and runs it here (needs root on the substrate node's\n"   \
	  "machine). With --json, prints the InP's answer instead.\n")       \
	_(tenant, LOOMCTL_FLAG_OPERATOR,                                     \
	  "tenant add NAME [--operator] | remove NAME | list | token NAME",  \
	  "The operator's tenants.\n"                                        \
	  "  add NAME [--operator]  a service provider (or another\n"        \
	  "                         operator); prints its token, once\n"     \
	  "  remove NAME            (refused while it has VNets)\n"          \
	  "  list                   every tenant\n"                          \
	  "  token NAME             a new token for the tenant, printed "    \
	  "once\n")                                                          \
	_(substrate, LOOMCTL_FLAG_OUTPUT,                                    \
	  "substrate show | node ID up|down | link ID up|down | svg [-o "    \
	  "FILE]",                                                           \
	  "The operator's view of the substrate.\n"                          \
	  "  show               nodes and links with what is used\n"         \
	  "  node ID up|down    mark a node; down re-embeds the VNets on it\n" \
	  "  link ID up|down    mark a link; likewise\n"                     \
	  "  svg [-o FILE]      the substrate with every VNet's embedding\n" \
	  "                     and utilization, as SVG (default stdout)\n") \
	_(health, 0, "health",                                               \
	  "Whether the InP answers (needs no token).\n")                     \
	_(whoami, 0, "whoami", "The tenant and role of your token.\n")

struct loomctl_command {
	const char *name;
	int (*run)(const struct loomctl_invocation *call);
	unsigned flags;
	const char *usage;
	const char *help;
};

static const struct loomctl_command commands[] = {
#define _(name, flags, usage, help)                                           \
	{ #name, loomctl_##name, flags, usage, help },
	foreach_loomctl_command
#undef _
};

static const char switch_help[] =
	"usage: loomctl switch -s SOCKET [-t TOKEN] [--json] COMMAND "
	"[NAME=VALUE ...]\n"
	"\n"
	"Talks to a loom-switch control socket. COMMAND is one of the switch's\n"
	"commands (`loomctl switch -s SOCKET help` lists them), e.g.\n"
	"  loomctl switch -s /run/loom-switch.sock show-bridge-domains\n"
	"  loomctl switch -s S bd-add \\\n"
	"    'bd={\"name\":\"b1\",\"members\":[{\"port\":\"p0\"}]}'\n"
	"  loomctl switch -s S fdb-show bd=b1\n"
	"  loomctl switch -s S apply config=@desired.json\n"
	"VALUE is JSON when it parses as JSON, else a string; @FILE reads JSON.\n"
	"\n"
	"  -s, --socket PATH   the switch's control socket\n"
	"  -t, --token TOKEN   the switch's token (or LOOM_SWITCH_TOKEN)\n"
	"      --json          print the raw JSON result (default: indented)\n"
	"  -h, --help          this help\n"
	"\n"
	"Exit status: 0 done, 1 refused by the switch, 2 usage, 3 unreachable.\n";

static void usage(FILE *out)
{
	fprintf(out,
		"usage: loomctl [OPTIONS] COMMAND [ARGUMENTS]\n"
		"\n"
		"Loom's command line: service providers reserve virtual networks\n"
		"(VNets) from loom-inp, the operator administers tenants and the\n"
		"substrate. `loomctl COMMAND --help` explains one command.\n"
		"\n"
		"Commands:\n");
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		fprintf(out, "  %s\n", commands[c].usage);
	fprintf(out,
		"  switch -s SOCKET COMMAND [NAME=VALUE ...]  (a loom-switch)\n"
		"\n"
		"Options (before or after the command):\n"
		"  --url URL          the InP (or LOOM_URL; default "
		LOOMCTL_DEFAULT_URL ")\n"
		"  --token TOKEN      your API token (or LOOM_TOKEN)\n"
		"  --token-file FILE  read the token from FILE (or "
		"LOOM_TOKEN_FILE)\n"
		"  --cacert FILE      CA certificate(s) for an https:// URL\n"
		"  --json             print the InP's JSON (errors too, on stdout)\n"
		"  -h, --help         this help\n"
		"  -V, --version      loomctl's version\n"
		"\n"
		"VNET is a VNet's id or name. Errors are one line on stderr:\n"
		"  loomctl: WHAT: MESSAGE\n"
		"\n"
		"Exit status:\n");
#define _(name, value, text) fprintf(out, "  %d  %s\n", value, text);
	foreach_loomctl_exit
#undef _
}

static void command_help(const struct loomctl_command *command, FILE *out)
{
	fprintf(out, "usage: loomctl [OPTIONS] %s\n\n%s", command->usage,
		command->help);
	fprintf(out, "\nOPTIONS: --url, --token, --token-file, --cacert, --json "
		     "(see loomctl --help).\n");
}

static json_t *parse_value(const char *text, char *err, size_t err_size)
{
	if (text[0] == '@') {
		json_error_t error;
		json_t *value = json_load_file(text + 1, 0, &error);
		if (!value)
			snprintf(err, err_size, "%s:%d:%d: %s", text + 1, error.line,
				 error.column, error.text);
		return value;
	}
	json_t *value = json_loads(text, JSON_DECODE_ANY, NULL);
	return value ? value : json_string(text);
}

static int command_switch(int argc, char **argv)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "token", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket_path = NULL;
	const char *token = getenv("LOOM_SWITCH_TOKEN");
	bool raw = false;
	int option;
	optind = 1;
	while ((option = getopt_long(argc, argv, "+s:t:h", options, NULL)) != -1) {
		switch (option) {
		case 's':
			socket_path = optarg;
			break;
		case 't':
			token = optarg;
			break;
		case 'j':
			raw = true;
			break;
		case 'h':
			fputs(switch_help, stdout);
			return 0;
		default:
			fputs(switch_help, stderr);
			return 2;
		}
	}
	if (!socket_path || optind >= argc) {
		fprintf(stderr, "loomctl switch: need -s SOCKET and a COMMAND\n");
		return 2;
	}
	const char *command = argv[optind++];
	json_t *arguments = json_object();
	char err[1024];
	for (; optind < argc; optind++) {
		char *equals = strchr(argv[optind], '=');
		if (!equals || equals == argv[optind]) {
			fprintf(stderr, "loomctl switch: '%s' is not NAME=VALUE\n",
				argv[optind]);
			json_decref(arguments);
			return 2;
		}
		*equals = '\0';
		json_t *value = parse_value(equals + 1, err, sizeof(err));
		if (!value) {
			fprintf(stderr, "loomctl switch: %s\n", err);
			json_decref(arguments);
			return 2;
		}
		json_object_set_new(arguments, argv[optind], value);
	}
	struct switch_client *client = switch_client_connect(socket_path, token, 0,
							     err, sizeof(err));
	if (!client) {
		fprintf(stderr, "loomctl switch: %s\n", err);
		json_decref(arguments);
		return 3;
	}
	json_t *result = switch_client_call(client, command, arguments, err,
					    sizeof(err));
	switch_client_close(client);
	json_decref(arguments);
	if (!result) {
		fprintf(stderr, "loomctl switch: %s\n", err);
		return 1;
	}
	char *text = json_dumps(result, raw ? JSON_COMPACT | JSON_ENCODE_ANY
					    : JSON_INDENT(2) | JSON_ENCODE_ANY);
	printf("%s\n", text ? text : "null");
	free(text);
	json_decref(result);
	return 0;
}

/* The token: --token, --token-file, LOOM_TOKEN, LOOM_TOKEN_FILE, in this
 * order. A file holds the token on its first line. */
static int token_read(const char *path, char *out, size_t size)
{
	FILE *file = fopen(path, "r");
	if (!file) {
		loomctl_fail(path, "cannot read the token: %s", strerror(errno));
		return -1;
	}
	if (!fgets(out, (int)size, file))
		out[0] = '\0';
	fclose(file);
	out[strcspn(out, " \t\r\n")] = '\0';
	if (!out[0]) {
		loomctl_fail(path, "no token in the file");
		return -1;
	}
	return 0;
}

enum {
	OPTION_URL = 256,
	OPTION_TOKEN,
	OPTION_TOKEN_FILE,
	OPTION_CACERT,
	OPTION_JSON,
	OPTION_FLAG = 512, /* + enum loomctl_flag_index */
};

static const struct option options[] = {
	{ "url", required_argument, NULL, OPTION_URL },
	{ "token", required_argument, NULL, OPTION_TOKEN },
	{ "token-file", required_argument, NULL, OPTION_TOKEN_FILE },
	{ "cacert", required_argument, NULL, OPTION_CACERT },
	{ "json", no_argument, NULL, OPTION_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
#define _(name, long_name, has_argument, text)                               \
	{ long_name, has_argument, NULL,                                     \
	  OPTION_FLAG + LOOMCTL_FLAG_INDEX_##name },
	foreach_loomctl_flag
#undef _
	{ NULL, 0, NULL, 0 },
};

static const char *const flag_texts[] = {
#define _(name, long_name, has_argument, text) text,
	foreach_loomctl_flag
#undef _
};

/* Parses everything but the command's positional arguments, which are
 * left in call->argv. Returns -1 (exit with *status) or 0. */
static int parse(int argc, char **argv, struct loomctl_invocation *call,
		 const struct loomctl_command **found, int *status)
{
	const char *url = getenv("LOOM_URL");
	const char *token = getenv("LOOM_TOKEN");
	const char *token_file = getenv("LOOM_TOKEN_FILE");
	bool token_given = false, help = false;
	unsigned flags_used = 0;
	int option;
	memset(call, 0, sizeof(*call));
	*found = NULL;
	/* "-" (stdin) and "+2h" are positional: getopt leaves them so. */
	while ((option = getopt_long(argc, argv, "ho:V", options, NULL)) !=
	       -1) {
		switch (option) {
		case OPTION_URL: url = optarg; break;
		case OPTION_TOKEN:
			token = optarg;
			token_file = NULL;
			token_given = true;
			break;
		case OPTION_TOKEN_FILE:
			token_file = optarg;
			if (!token_given)
				token = NULL;
			break;
		case OPTION_CACERT: call->cacert = optarg; break;
		case OPTION_JSON: call->json = true; break;
		case 'h': help = true; break;
		case 'V':
			printf("loomctl %s\n", LOOM_VERSION);
			*status = LOOMCTL_EXIT_OK;
			return -1;
		case 'o':
			option = OPTION_FLAG + LOOMCTL_FLAG_INDEX_OUTPUT;
			/* fall through */
		default:
			if (option < OPTION_FLAG) {
				*status = LOOMCTL_EXIT_USAGE;
				fprintf(stderr, "(loomctl --help lists the "
						"options)\n");
				return -1;
			}
			flags_used |= 1u << (option - OPTION_FLAG);
			if (option == OPTION_FLAG + LOOMCTL_FLAG_INDEX_WAIT)
				call->wait = true;
			else if (option == OPTION_FLAG + LOOMCTL_FLAG_INDEX_NAME)
				call->name = optarg;
			else if (option == OPTION_FLAG + LOOMCTL_FLAG_INDEX_RSPEC)
				call->rspec = true;
			else if (option ==
				 OPTION_FLAG + LOOMCTL_FLAG_INDEX_OPERATOR)
				call->operator_role = true;
			else
				call->output = optarg;
			break;
		}
	}
	if (optind >= argc) {
		usage(help ? stdout : stderr);
		*status = help ? LOOMCTL_EXIT_OK : LOOMCTL_EXIT_USAGE;
		return -1;
	}
	call->command = argv[optind];
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(commands[c].name, call->command) == 0)
			*found = &commands[c];
	if (!*found) {
		fprintf(stderr, "loomctl: unknown command '%s' (loomctl --help "
				"lists them)\n",
			call->command);
		*status = LOOMCTL_EXIT_USAGE;
		return -1;
	}
	if (help) {
		command_help(*found, stdout);
		*status = LOOMCTL_EXIT_OK;
		return -1;
	}
	unsigned refused = flags_used & ~(*found)->flags;
	if (refused) {
		unsigned index = (unsigned)__builtin_ctz(refused);
		fprintf(stderr, "loomctl %s: %s does not apply (loomctl %s "
				"--help)\n",
			call->command, flag_texts[index], call->command);
		*status = LOOMCTL_EXIT_USAGE;
		return -1;
	}
	call->argc = argc - optind - 1;
	call->argv = argv + optind + 1;

	snprintf(call->url, sizeof(call->url), "%s",
		 url && *url ? url : LOOMCTL_DEFAULT_URL);
	size_t length = strlen(call->url);
	while (length && call->url[length - 1] == '/')
		call->url[--length] = '\0';
	if (token && *token) {
		if ((size_t)snprintf(call->token, sizeof(call->token), "%s",
				     token) >= sizeof(call->token)) {
			fprintf(stderr, "loomctl: the token is too long\n");
			*status = LOOMCTL_EXIT_USAGE;
			return -1;
		}
	} else if (token_file && *token_file &&
		   token_read(token_file, call->token, sizeof(call->token))) {
		*status = LOOMCTL_EXIT_USAGE;
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "switch") == 0)
		return command_switch(argc - 1, argv + 1);
	struct loomctl_invocation call;
	const struct loomctl_command *command;
	int status;
	if (parse(argc, argv, &call, &command, &status))
		return status;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "loomctl: cannot start libcurl\n");
		return LOOMCTL_EXIT_UNREACHABLE;
	}
	status = command->run(&call);
	curl_global_cleanup();
	return status;
}
