/* Starting the EAL from the configuration. The EAL can start only once per
 * process; loom-switch does it before anything else. */
#include "datapath.h"

#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>

#define EAL_MAX_ARGS (SWITCH_EAL_ARGS_MAX + 16)

int datapath_eal_start(const struct switch_config *config, const char *argv0,
		       char *err, size_t err_size)
{
	static char memory[16], prefix[SWITCH_NAME_MAX + 16], lcores[80];
	char *argv[EAL_MAX_ARGS];
	int argc = 0;
	const struct eal_config *eal = &config->eal;

	argv[argc++] = (char *)argv0;
	/* The loader always fills lcores (default "0-<workers>"). */
	snprintf(lcores, sizeof(lcores), "%s", eal->lcores);
	/* A core list ("0-1") pins lcore n to CPU n; the --lcores form
	 * ("0@0,1@1,2@0") maps lcores to CPUs, several to one. */
	argv[argc++] = strpbrk(lcores, "@()") ? "--lcores" : "-l";
	argv[argc++] = lcores;
	snprintf(memory, sizeof(memory), "%u", eal->memory_mb);
	argv[argc++] = "-m";
	argv[argc++] = memory;
	if (eal->no_huge)
		argv[argc++] = "--no-huge";
	if (eal->no_pci)
		argv[argc++] = "--no-pci";
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", eal->file_prefix);
	argv[argc++] = prefix;
	argv[argc++] = "--log-level=lib.eal:warning";
	for (unsigned i = 0; i < eal->n_args && argc < EAL_MAX_ARGS - 1; i++)
		argv[argc++] = (char *)eal->args[i];
	argv[argc] = NULL;

	if (rte_eal_init(argc, argv) < 0) {
		snprintf(err, err_size, "EAL initialization failed: %s",
			 rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}
