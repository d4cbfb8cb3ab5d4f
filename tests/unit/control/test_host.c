/* Host nodes (control/host.c) against the real kernel: a namespace with two
 * interfaces whose MACs, addresses, MTU and offloads are visible inside,
 * the switch sides in a second namespace that stands for the switch's (a
 * ping across one pair proves the ends are joined); delete removes it all
 * and is idempotent; a stale namespace (with a process in it) is
 * replaced; a name clash half-way leaves nothing of the attempt and keeps
 * the interface that was there; the name builder sanitizes and cuts.
 * Needs root (namespaces): without it the kernel cases are skipped. Every
 * name starts with "th<pid>", and the group teardown removes them all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "control.h"

static char prefix[16];       /* th<pid> */
static char switch_ns[32];    /* th<pid>-sw: stands for the switch's */
static char host_ns[HOST_NAMESPACE_SIZE];
static char veth_a[24], veth_b[24], veth_here[24], peer_other[24];

/* Runs a command line built from fixed words and the names above (no
 * input from outside the test); returns its exit status. */
static int shell(const char *format, ...) __attribute__((format(printf, 1, 2)));
static int shell(const char *format, ...)
{
	char line[512];
	va_list args;
	va_start(args, format);
	vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	int status = system(line);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Like shell, with stdout into out. */
static int capture(char *out, size_t size, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
static int capture(char *out, size_t size, const char *format, ...)
{
	char line[512];
	va_list args;
	va_start(args, format);
	vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	out[0] = '\0';
	FILE *pipe = popen(line, "r");
	if (!pipe)
		return -1;
	size_t length = fread(out, 1, size - 1, pipe);
	out[length] = '\0';
	int status = pclose(pipe);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool link_in(const char *netns, const char *name)
{
	if (netns && netns[0])
		return shell("ip -n %s link show dev %s >/dev/null 2>&1", netns,
			     name) == 0;
	return shell("ip link show dev %s >/dev/null 2>&1", name) == 0;
}

static bool root(void)
{
	return geteuid() == 0 && shell("command -v ip >/dev/null && "
				       "command -v ethtool >/dev/null") == 0;
}

static void remove_everything(void)
{
	shell("ip netns delete %s 2>/dev/null", host_ns);
	shell("ip netns delete %s 2>/dev/null", switch_ns);
	shell("ip link delete dev %s 2>/dev/null", veth_here);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(prefix, sizeof(prefix), "th%d", (int)(getpid() % 10000000));
	snprintf(switch_ns, sizeof(switch_ns), "%s-sw", prefix);
	snprintf(veth_a, sizeof(veth_a), "%sa", prefix);
	snprintf(veth_b, sizeof(veth_b), "%sb", prefix);
	snprintf(veth_here, sizeof(veth_here), "%sc", prefix);
	snprintf(peer_other, sizeof(peer_other), "%sx", prefix);
	if (host_namespace_name(prefix, 7, "web/1", host_ns, sizeof(host_ns)))
		return -1;
	if (root()) {
		remove_everything();
		if (shell("ip netns add %s", switch_ns))
			return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (root())
		remove_everything();
	return 0;
}

/* Two interfaces: eth0 with a MAC, an IPv4 and an IPv6 address; eth1
 * with an IPv4 address and MTU 1400. */
static struct vnet_address eth0_addresses[2], eth1_addresses[1];
static struct host_interface interfaces[2];

static void address_set(struct vnet_address *address, int family,
			const char *text, uint8_t prefix_length)
{
	memset(address, 0, sizeof(*address));
	address->family = family;
	address->prefix_length = prefix_length;
	assert_int_equal(inet_pton(family, text, address->bytes), 1);
}

static void interfaces_init(void)
{
	address_set(&eth0_addresses[0], AF_INET, "198.18.7.1", 24);
	address_set(&eth0_addresses[1], AF_INET6, "2001:db8:7::1", 64);
	address_set(&eth1_addresses[0], AF_INET, "198.19.7.1", 24);
	memset(interfaces, 0, sizeof(interfaces));
	interfaces[0] = (struct host_interface){
		.name = "eth0", .veth = veth_a, .peer = "unused0",
		.has_mac = true, .mac = { 0x02, 0, 0, 0, 0x07, 0x01 },
		.address_count = 2, .addresses = eth0_addresses,
	};
	interfaces[1] = (struct host_interface){
		.name = "eth1", .veth = veth_b, .address_count = 1,
		.addresses = eth1_addresses, .mtu = 1400,
	};
}

static void test_namespace_name(void **state)
{
	(void)state;
	char out[HOST_NAMESPACE_SIZE];
	assert_int_equal(host_namespace_name("loom", 12, "a b/c", out,
					     sizeof(out)), 0);
	assert_string_equal(out, "loom-v12-a_b_c");
	assert_int_equal(host_namespace_name("loom", 3, "web-1.x_y", out,
					     sizeof(out)), 0);
	assert_string_equal(out, "loom-v3-web-1.x_y");
	/* Too small a buffer, NULL arguments. */
	char small[16];
	assert_int_equal(host_namespace_name("loom", 1, "a", small,
					     sizeof(small)), -1);
	assert_int_equal(host_namespace_name(NULL, 1, "a", out, sizeof(out)),
			 -1);
	assert_int_equal(host_namespace_name("loom", 1, NULL, out, sizeof(out)),
			 -1);
	/* Long node ids are cut to 63 characters and stay distinct. */
	char long_a[128], long_b[128], cut_a[HOST_NAMESPACE_SIZE],
		cut_b[HOST_NAMESPACE_SIZE];
	memset(long_a, 'n', sizeof(long_a) - 1);
	long_a[sizeof(long_a) - 1] = '\0';
	memcpy(long_b, long_a, sizeof(long_b));
	long_b[100] = 'm';
	assert_int_equal(host_namespace_name("loom", 1, long_a, cut_a,
					     sizeof(cut_a)), 0);
	assert_int_equal(host_namespace_name("loom", 1, long_b, cut_b,
					     sizeof(cut_b)), 0);
	assert_int_equal(strlen(cut_a), HOST_NAMESPACE_SIZE - 1);
	assert_int_equal(strlen(cut_b), HOST_NAMESPACE_SIZE - 1);
	assert_memory_equal(cut_a, "loom-v1-nnn", 11);
	assert_string_not_equal(cut_a, cut_b);
	/* The same input gives the same name. */
	assert_int_equal(host_namespace_name("loom", 1, long_a, cut_b,
					     sizeof(cut_b)), 0);
	assert_string_equal(cut_a, cut_b);
}

static void test_refuses_bad_names(void **state)
{
	(void)state;
	char err[256] = "";
	interfaces_init();
	struct host_interface bad = interfaces[0];
	bad.name = "eth0/1";
	assert_int_equal(host_create(host_ns, switch_ns, &bad, 1, err,
				     sizeof(err)), -1);
	assert_non_null(strstr(err, "eth0/1"));
	bad = interfaces[0];
	bad.veth = "a-name-of-16-chr";
	assert_int_equal(host_create(host_ns, switch_ns, &bad, 1, err,
				     sizeof(err)), -1);
	assert_int_equal(host_create("../etc", switch_ns, interfaces, 2, err,
				     sizeof(err)), -1);
	assert_int_equal(host_create("-x", switch_ns, interfaces, 2, err,
				     sizeof(err)), -1);
	/* Two interfaces of one name. */
	struct host_interface twice[2] = { interfaces[0], interfaces[0] };
	twice[1].veth = veth_b;
	assert_int_equal(host_create(host_ns, switch_ns, twice, 2, err,
				     sizeof(err)), -1);
	assert_false(host_exists(host_ns));
}

static void test_create_and_delete(void **state)
{
	(void)state;
	if (!root())
		skip();
	char err[512] = "", out[4096];
	interfaces_init();
	assert_false(host_exists(host_ns));
	if (host_create(host_ns, switch_ns, interfaces, 2, err, sizeof(err)))
		fail_msg("host_create: %s", err);
	assert_true(host_exists(host_ns));

	/* Inside: names, MAC, addresses, MTU, up, offloads off, lo up. */
	assert_int_equal(capture(out, sizeof(out),
				 "ip -n %s -o link show dev eth0", host_ns), 0);
	assert_non_null(strstr(out, "02:00:00:00:07:01"));
	assert_non_null(strstr(out, "mtu 1500"));
	assert_non_null(strstr(out, "state UP"));
	assert_int_equal(capture(out, sizeof(out),
				 "ip -n %s -o address show dev eth0", host_ns),
			 0);
	assert_non_null(strstr(out, "198.18.7.1/24"));
	/* nodad: usable at once (the kernel's link-local one may still be
	 * tentative, so only our address's line is looked at). */
	char *v6 = strstr(out, "2001:db8:7::1/64");
	assert_non_null(v6);
	char *v6_end = strchr(v6, '\n');
	if (v6_end)
		*v6_end = '\0';
	assert_null(strstr(v6, "tentative"));
	assert_int_equal(capture(out, sizeof(out),
				 "ip -n %s -o address show dev eth1", host_ns),
			 0);
	assert_non_null(strstr(out, "198.19.7.1/24"));
	assert_int_equal(capture(out, sizeof(out),
				 "ip -n %s -o link show dev eth1", host_ns), 0);
	assert_non_null(strstr(out, "mtu 1400"));
	assert_int_equal(capture(out, sizeof(out),
				 "ip -n %s -o link show dev lo", host_ns), 0);
	assert_non_null(strstr(out, "UP"));
	assert_int_equal(capture(out, sizeof(out),
				 "ip netns exec %s ethtool -k eth0", host_ns),
			 0);
	assert_non_null(strstr(out, "tx-checksumming: off"));
	assert_non_null(strstr(out, "generic-segmentation-offload: off"));
	/* The peers' temporary names never appear anywhere. */
	assert_false(link_in(host_ns, "unused0"));
	assert_false(link_in(switch_ns, "unused0"));
	assert_false(link_in(NULL, "unused0"));

	/* The switch sides: in the switch's namespace, not here. */
	assert_true(link_in(switch_ns, veth_a));
	assert_true(link_in(switch_ns, veth_b));
	assert_false(link_in(NULL, veth_a));
	assert_int_equal(capture(out, sizeof(out),
				 "ip -n %s -o link show dev %s", switch_ns,
				 veth_b), 0);
	assert_non_null(strstr(out, "mtu 1400"));
	assert_non_null(strstr(out, ",UP"));
	assert_int_equal(capture(out, sizeof(out),
				 "ip netns exec %s ethtool -k %s", switch_ns,
				 veth_a), 0);
	assert_non_null(strstr(out, "tx-checksumming: off"));

	/* The pair is joined: the switch side answers a ping from eth0. */
	assert_int_equal(shell("ip -n %s address add 198.18.7.2/24 dev %s",
			       switch_ns, veth_a), 0);
	assert_int_equal(shell("ip netns exec %s ping -c 1 -W 2 198.18.7.2 "
			       ">/dev/null", host_ns), 0);

	/* Delete: all gone; again: nothing to do, still 0. */
	assert_int_equal(host_delete(host_ns, switch_ns, interfaces, 2, err,
				     sizeof(err)), 0);
	assert_false(host_exists(host_ns));
	assert_false(link_in(switch_ns, veth_a));
	assert_false(link_in(switch_ns, veth_b));
	assert_int_equal(host_delete(host_ns, switch_ns, interfaces, 2, err,
				     sizeof(err)), 0);
	/* Even when the switch's namespace is gone too. */
	assert_int_equal(host_delete(host_ns, "th-none-such", interfaces, 2,
				     err, sizeof(err)), 0);
}

/* The switch side stays in the caller's namespace without switch_netns. */
static void test_switch_side_here(void **state)
{
	(void)state;
	if (!root())
		skip();
	char err[512] = "";
	interfaces_init();
	struct host_interface here = interfaces[1];
	here.veth = veth_here;
	if (host_create(host_ns, NULL, &here, 1, err, sizeof(err)))
		fail_msg("host_create: %s", err);
	assert_true(link_in(NULL, veth_here));
	assert_true(link_in(host_ns, "eth1"));
	assert_int_equal(host_delete(host_ns, "", &here, 1, err, sizeof(err)),
			 0);
	assert_false(link_in(NULL, veth_here));
	assert_false(host_exists(host_ns));
}

/* A clash on the second interface's switch side: the first interface
 * and the namespace go, the interface that was there stays. */
static void test_failure_leaves_nothing(void **state)
{
	(void)state;
	if (!root())
		skip();
	char err[512] = "";
	interfaces_init();
	assert_int_equal(shell("ip -n %s link add name %s type veth peer name "
			       "%s", switch_ns, veth_b, peer_other), 0);
	assert_int_equal(host_create(host_ns, switch_ns, interfaces, 2, err,
				     sizeof(err)), -1);
	print_message("# error: %s\n", err);
	assert_non_null(strstr(err, "ip link add name"));
	assert_non_null(strstr(err, veth_b));
	assert_non_null(strstr(err, "exists"));
	assert_false(host_exists(host_ns));
	assert_false(link_in(switch_ns, veth_a));
	assert_true(link_in(switch_ns, veth_b));
	assert_true(link_in(switch_ns, peer_other));
	assert_int_equal(shell("ip -n %s link delete dev %s", switch_ns,
			       veth_b), 0);

	/* A switch namespace that does not exist: refused up front. */
	assert_int_equal(host_create(host_ns, "th-none-such", interfaces, 2,
				     err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not exist"));
	assert_false(host_exists(host_ns));
}

/* A stale namespace of the same name, with a process in it, is replaced
 * (the process is killed: the namespace must really go). */
static void test_replaces_stale(void **state)
{
	(void)state;
	if (!root())
		skip();
	char err[512] = "";
	interfaces_init();
	assert_int_equal(shell("ip netns add %s", host_ns), 0);
	assert_int_equal(shell("ip -n %s link add name stale0 type veth peer "
			       "name stale1", host_ns), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		execlp("ip", "ip", "netns", "exec", host_ns, "sleep", "60",
		       (char *)NULL);
		_exit(127);
	}
	/* Until the sleep runs in the namespace. */
	char out[256];
	for (int i = 0; i < 100; i++) {
		capture(out, sizeof(out), "ip netns pids %s", host_ns);
		if (out[0])
			break;
		usleep(20000);
	}
	assert_true(out[0] != '\0');
	if (host_create(host_ns, switch_ns, interfaces, 1, err, sizeof(err)))
		fail_msg("host_create: %s", err);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_false(link_in(host_ns, "stale0"));
	assert_true(link_in(host_ns, "eth0"));
	assert_int_equal(host_delete(host_ns, switch_ns, interfaces, 1, err,
				     sizeof(err)), 0);
	assert_false(host_exists(host_ns));
	assert_false(link_in(switch_ns, veth_a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_namespace_name),
		cmocka_unit_test(test_refuses_bad_names),
		cmocka_unit_test(test_create_and_delete),
		cmocka_unit_test(test_switch_side_here),
		cmocka_unit_test(test_failure_leaves_nothing),
		cmocka_unit_test(test_replaces_stale),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
