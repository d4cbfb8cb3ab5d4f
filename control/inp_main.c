/* loom-inp: the InP daemon. Reads its configuration, serves the HTTP API
 * (control/inp.c) until SIGINT or SIGTERM, then stops cleanly. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

#ifndef LOOM_VERSION
#define LOOM_VERSION "unknown"
#endif

static void usage(FILE *stream)
{
	fprintf(stream,
		"usage: loom-inp --config FILE\n"
		"The InP daemon: embeds service providers' VNet requests\n"
		"(Loom XML or GENI RSpec v3) onto the substrate, reserves\n"
		"CPU, bandwidth and slice tags in its store, provisions every\n"
		"loom-switch on the way, and serves the HTTP API of\n"
		"docs/api.md (loomctl is its client).\n\n"
		"  --config FILE   YAML configuration; every key is shown in\n"
		"                  control/examples/inp.yaml (substrate, store,\n"
		"                  listen, operator_token_file, tls, lease,\n"
		"                  switches, hosts, log_level)\n"
		"  --help          this text\n"
		"  --version       the version\n\n"
		"Logs: one JSON object per line on stderr. SIGINT or SIGTERM\n"
		"stops it; its state is in the store, so a restart (even after\n"
		"kill -9) re-applies every live VNet.\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL;
	int option;
	while ((option = getopt_long(argc, argv, "c:hV", options, NULL)) !=
	       -1) {
		switch (option) {
		case 'c': config_path = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("loom-inp %s\n", LOOM_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!config_path || optind != argc) {
		usage(stderr);
		return 2;
	}

	struct inp_config config;
	struct load_error load_error;
	if (inp_config_load(config_path, &config, &load_error)) {
		char message[1024];
		load_error_format(&load_error, message, sizeof(message));
		fprintf(stderr, "loom-inp: %s\n", message);
		return 1;
	}

	/* The signals are blocked before the server's thread starts (which
	 * inherits the mask) and taken here with sigwait: no handler runs
	 * inside libmicrohttpd. A shell starts background jobs with SIGINT
	 * ignored, and an ignored signal is discarded rather than kept for
	 * sigwait: restore the default first. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigset_t signals;
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	char err[512];
	struct inp_server *server = inp_server_start(&config, err, sizeof(err));
	if (!server) {
		fprintf(stderr, "loom-inp: %s\n", err);
		return 1;
	}
	fprintf(stderr, "loom-inp: listening on %s:%u\n",
		config.listen_address, inp_server_port(server));
	int signal_number;
	sigwait(&signals, &signal_number);
	fprintf(stderr, "loom-inp: %s, stopping\n", strsignal(signal_number));
	inp_server_stop(server);
	return 0;
}
