/* loomctl: the command line of Loom for service providers and the
 * operator. Today it speaks to one loom-switch:
 *
 *   loomctl switch -s SOCKET [-t TOKEN] [--json] COMMAND [NAME=VALUE ...]
 *
 * Each NAME=VALUE becomes an argument of the request; VALUE is taken as
 * JSON when it parses as JSON (numbers, objects, true), else as a string;
 * VALUE @FILE reads JSON from FILE. Exit status: 0 done, 1 the switch said
 * no (the reason on stderr), 2 bad usage, 3 cannot reach the switch.
 */
#include "control.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: loomctl switch -s SOCKET [-t TOKEN] [--json] COMMAND [NAME=VALUE ...]\n"
		"\n"
		"Talks to a loom-switch control socket. COMMAND is one of the switch's\n"
		"commands (`loomctl switch -s SOCKET help` lists them), e.g.\n"
		"  loomctl switch -s /run/loom-switch.sock show-bridge-domains\n"
		"  loomctl switch -s S bd-add 'bd={\"name\":\"b1\",\"members\":[{\"port\":\"p0\"}]}'\n"
		"  loomctl switch -s S fdb-show bd=b1\n"
		"  loomctl switch -s S apply config=@desired.json\n"
		"VALUE is JSON when it parses as JSON, else a string; @FILE reads JSON.\n"
		"\n"
		"  -s, --socket PATH   the switch's control socket\n"
		"  -t, --token TOKEN   the switch's token (or LOOM_SWITCH_TOKEN)\n"
		"      --json          print the raw JSON result (default: indented)\n"
		"  -h, --help          this help\n"
		"  -V, --version       version\n"
		"\n"
		"Exit status: 0 done, 1 refused by the switch, 2 usage, 3 unreachable.\n");
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
			usage(stdout);
			return 0;
		default:
			usage(stderr);
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

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("loomctl %s\n", LOOM_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "switch"))
		return command_switch(argc - 1, argv + 1);
	fprintf(stderr, "loomctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
