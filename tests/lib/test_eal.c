/* See test_eal.h. */
#include "test_eal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define TEST_EAL_MAX_ARGS 32

static struct rte_mempool *test_pool;
static char test_prefix[64];

static void test_eal_stop(void)
{
	if (test_pool)
		rte_mempool_free(test_pool);
	test_pool = NULL;
	rte_eal_cleanup();
	char path[128];
	snprintf(path, sizeof(path), "/var/run/dpdk/%s", test_prefix);
	/* Best effort: with --no-shconf little or nothing is left there. */
	char command[192];
	snprintf(command, sizeof(command), "rm -rf '%s'", path);
	if (system(command) != 0)
		fprintf(stderr, "test_eal: could not remove %s\n", path);
}

void test_eal_start(const char *test_name, unsigned memory_mb, ...)
{
	static char memory[16];
	static char prefix_arg[96];
	char *argv[TEST_EAL_MAX_ARGS];
	int argc = 0;

	if (memory_mb == 0)
		memory_mb = 64;
	snprintf(memory, sizeof(memory), "%u", memory_mb);
	snprintf(test_prefix, sizeof(test_prefix), "%s-%d", test_name, (int)getpid());
	snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=%s", test_prefix);

	argv[argc++] = (char *)test_name;
	argv[argc++] = "--no-huge";
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-shconf";
	argv[argc++] = "--no-telemetry";
	argv[argc++] = "--log-level=lib.eal:error";
	argv[argc++] = "-l";
	argv[argc++] = "0";
	argv[argc++] = "-m";
	argv[argc++] = memory;
	argv[argc++] = prefix_arg;

	va_list extra;
	va_start(extra, memory_mb);
	const char *arg;
	while ((arg = va_arg(extra, const char *)) && argc < TEST_EAL_MAX_ARGS - 1)
		argv[argc++] = (char *)arg;
	va_end(extra);
	argv[argc] = NULL;

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "test_eal: rte_eal_init failed for %s\n", test_name);
		exit(1);
	}
	test_pool = rte_pktmbuf_pool_create("test_pool", 8191, 256, 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!test_pool) {
		fprintf(stderr, "test_eal: cannot create mbuf pool\n");
		exit(1);
	}
	atexit(test_eal_stop);
}

struct rte_mempool *test_eal_pool(void)
{
	return test_pool;
}

struct rte_mbuf *test_mbuf_from_bytes(const void *bytes, size_t length)
{
	struct rte_mbuf *mbuf = rte_pktmbuf_alloc(test_pool);
	if (!mbuf)
		return NULL;
	char *data = rte_pktmbuf_append(mbuf, (uint16_t)length);
	if (!data) {
		rte_pktmbuf_free(mbuf);
		return NULL;
	}
	memcpy(data, bytes, length);
	return mbuf;
}

unsigned test_eal_pool_available(void)
{
	return rte_mempool_avail_count(test_pool);
}
