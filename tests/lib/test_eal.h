/* test_eal: the EAL for unit tests.
 *
 * The EAL can start only once per process, so each test binary calls
 * test_eal_start() once (from a cmocka group setup) and gets a private
 * runtime: no hugepages, no PCI, no shared config, its own file prefix
 * (the binary's name and pid), no telemetry socket. An mbuf pool is built
 * so packet code is tested on real mbufs. The runtime directory is removed
 * at exit. */
#ifndef LOOM_TEST_EAL_H
#define LOOM_TEST_EAL_H

#include <stddef.h>
#include <stdint.h>

struct rte_mempool;
struct rte_mbuf;

/* Starts the EAL (memory in MiB; 0 means 64) and builds the pool.
 * Extra EAL arguments (e.g. "--vdev=net_ring0") may be passed, NULL-ended.
 * Aborts the test binary on failure: nothing can run without it. */
void test_eal_start(const char *test_name, unsigned memory_mb, ...);

/* The pool built by test_eal_start(): 8191 mbufs of 2 KiB data room. */
struct rte_mempool *test_eal_pool(void);

/* An mbuf holding a copy of the given bytes. */
struct rte_mbuf *test_mbuf_from_bytes(const void *bytes, size_t length);

/* Mbufs currently available in the pool: tests compare it before and after
 * to prove nothing leaked. */
unsigned test_eal_pool_available(void);

#endif
