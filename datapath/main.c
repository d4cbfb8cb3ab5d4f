/* loom-switch: the switch daemon that one substrate node runs.
 *
 *   loom-switch --config FILE     run until SIGINT/SIGTERM
 *   loom-switch --check FILE      validate the configuration and exit
 *
 * Exit status: 0 after a clean stop, 1 when the switch cannot start (the
 * reason on stderr; nothing is left running or open), 2 for a bad command
 * line or configuration.
 */
#include "datapath.h"

#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_version.h>

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

/* The EAL leaves its runtime directory behind; a stopped switch should
 * not. */
static void remove_runtime_directory(const char *file_prefix)
{
	char path[SWITCH_PATH_MAX + 32];
	snprintf(path, sizeof(path), "/var/run/dpdk/%s", file_prefix);
	nftw(path, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: loom-switch --config FILE [--quiet]\n"
		"       loom-switch --check FILE\n"
		"\n"
		"Loom's DPDK fast-path switch: bridge domains with MAC learning and\n"
		"flooding over ports made from DPDK devargs, programmed through a\n"
		"control socket (JSON, one request per line; see the README).\n"
		"\n"
		"  -c, --config FILE   run with this YAML configuration\n"
		"  -n, --check FILE    only validate FILE and print what it defines\n"
		"  -q, --quiet         no summary on exit\n"
		"  -h, --help          this help\n"
		"  -V, --version       version\n"
		"\n"
		"Stops on SIGINT or SIGTERM, closing every port (pcap outputs are\n"
		"complete) and printing what it did.\n");
}

static void print_summary(struct loom_switch *sw)
{
	uint64_t drops[VSWITCH_DROP_MAX];
	switch_sum_drops(sw, drops);
	printf("loom-switch: summary\n");
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++) {
		if (!sw->ports[p].present)
			continue;
		uint64_t c[VSWITCH_PORT_COUNTER_MAX];
		switch_sum_port(sw, p, c);
		printf("  port %-12s rx %8llu packets %10llu bytes   tx %8llu packets %10llu bytes\n",
		       sw->ports[p].name, (unsigned long long)c[VSWITCH_PORT_rx_packets],
		       (unsigned long long)c[VSWITCH_PORT_rx_bytes],
		       (unsigned long long)c[VSWITCH_PORT_tx_packets],
		       (unsigned long long)c[VSWITCH_PORT_tx_bytes]);
	}
	for (size_t b = 0; b < sw->config.n_bds; b++) {
		uint64_t c[VSWITCH_BD_COUNTER_MAX];
		switch_sum_bd(sw, switch_bd_id(sw, sw->config.bds[b].name), c);
		printf("  bridge domain %-12s %llu packets: %llu unicast, %llu flooded "
		       "(%llu copies), %llu dropped; learned %llu, moved %llu, "
		       "%u MACs known\n",
		       sw->config.bds[b].name, (unsigned long long)c[VSWITCH_BD_packets],
		       (unsigned long long)c[VSWITCH_BD_unicast],
		       (unsigned long long)c[VSWITCH_BD_flooded],
		       (unsigned long long)c[VSWITCH_BD_flood_copies],
		       (unsigned long long)c[VSWITCH_BD_drops],
		       (unsigned long long)c[VSWITCH_BD_learned],
		       (unsigned long long)c[VSWITCH_BD_moved],
		       fdb_count_bd(sw->fdb, switch_bd_id(sw, sw->config.bds[b].name)));
	}
	for (unsigned i = 0; i < VSWITCH_DROP_MAX; i++)
		if (drops[i])
			printf("  dropped %llu: %s (%s)\n", (unsigned long long)drops[i],
			       vswitch_drop_names[i], vswitch_drop_descriptions[i]);
	for (unsigned w = 0; w < sw->n_workers; w++) {
		const struct worker *worker = sw->workers[w];
		if (worker->packets)
			printf("  worker %u: %llu packets, %.1f busy cycles per packet\n",
			       w, (unsigned long long)worker->packets,
			       (double)worker->busy_cycles / (double)worker->packets);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", required_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL;
	bool check_only = false, quiet = false;
	int option;
	while ((option = getopt_long(argc, argv, "c:n:qhV", options, NULL)) != -1) {
		switch (option) {
		case 'c':
			config_path = optarg;
			break;
		case 'n':
			config_path = optarg;
			check_only = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("loom-switch %s (%s, linked %s)\n", LOOM_VERSION,
			       rte_version(), LOOM_DPDK_LINKED);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!config_path || optind != argc) {
		usage(stderr);
		return 2;
	}

	struct switch_config config;
	struct load_error error;
	memset(&error, 0, sizeof(error));
	if (switch_config_load_file(&config, config_path, &error) != 0) {
		char message[1024];
		load_error_format(&error, message, sizeof(message));
		fprintf(stderr, "loom-switch: %s\n", message);
		return 2;
	}
	if (check_only) {
		size_t members = 0;
		for (size_t b = 0; b < config.n_bds; b++)
			members += config.bds[b].n_members;
		printf("%s: valid: %zu ports, %zu bridge domains, %zu members\n",
		       config_path, config.n_ports, config.n_bds, members);
		switch_config_free(&config);
		return 0;
	}

	/* Signals are taken by the control loop's signalfd: block them before
	 * the EAL makes its threads, which inherit the mask. */
	sigset_t signals;
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	char err[1024];
	if (datapath_eal_start(&config, argv[0], err, sizeof(err)) != 0) {
		fprintf(stderr, "loom-switch: %s\n", err);
		switch_config_free(&config);
		return 1;
	}
	char file_prefix[SWITCH_NAME_MAX];
	snprintf(file_prefix, sizeof(file_prefix), "%s", config.eal.file_prefix);
	struct loom_switch *sw = switch_create(&config, err, sizeof(err));
	if (!sw) {
		fprintf(stderr, "loom-switch: %s\n", err);
		switch_config_free(&config);
		rte_eal_cleanup();
		remove_runtime_directory(file_prefix);
		return 1;
	}
	switch_config_free(&config);
	if (control_socket_open(sw, err, sizeof(err)) != 0) {
		fprintf(stderr, "loom-switch: %s\n", err);
		switch_destroy(sw);
		rte_eal_cleanup();
		remove_runtime_directory(file_prefix);
		return 1;
	}
	telemetry_register(sw);
	fprintf(stderr,
		"loom-switch: ready: %u worker(s), control socket %s (pid %d)\n",
		sw->n_workers, sw->config.control.socket, (int)getpid());

	control_loop(sw);
	/* Stop the workers first (they drain their tx buffers) so the
	 * summary is final. */
	for (unsigned w = 0; w < sw->n_workers; w++)
		sw->workers[w]->stop = true;
	rte_eal_mp_wait_lcore();
	if (!quiet)
		print_summary(sw);
	switch_destroy(sw);
	if (!quiet)
		fprintf(stderr, "loom-switch: stopped\n");
	rte_eal_cleanup();
	remove_runtime_directory(file_prefix);
	return 0;
}
