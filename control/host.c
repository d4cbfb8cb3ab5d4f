/* Host nodes: a network namespace per `host` virtual node, joined to its
 * substrate node's switch by veth pairs (control.h, "Host nodes").
 *
 * Everything is done by running iproute2's `ip` and `ethtool` with argv
 * arrays through posix_spawnp (no shell, nothing to quote; safe in the
 * daemon's threads, unlike a fork of a big process). Their stderr is
 * captured for the error text. Creation undoes what it made when a step
 * fails; deletion treats "already gone" as done.
 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOST_NETNS_DIRECTORY "/run/netns/"
#define HOST_ARGV_MAX 24
#define HOST_OUTPUT_MAX 4096
#define HOST_IFNAME_MAX 15 /* IFNAMSIZ - 1 */

extern char **environ;

static void error_set(char *err, size_t err_size, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static void error_set(char *err, size_t err_size, const char *format, ...)
{
	if (!err || !err_size)
		return;
	va_list args;
	va_start(args, format);
	vsnprintf(err, err_size, format, args);
	va_end(args);
}

/* ---- running commands ---------------------------------------------------- */

/* What a command printed (stdout or stderr, as asked), NUL-terminated. */
struct command_output {
	char text[HOST_OUTPUT_MAX];
	size_t length;
};

/* Runs argv[0] (searched in PATH) with stdin from /dev/null; captures
 * stderr, or stdout when want_stdout (stderr then goes to /dev/null).
 * Returns the exit status (0..255), 128 + signal, or -1 when it could not
 * be started (output then holds why). */
static int command_run(const char *const argv[], bool want_stdout,
		       struct command_output *output)
{
	output->length = 0;
	output->text[0] = '\0';
	int pipe_fds[2];
	if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
		snprintf(output->text, sizeof(output->text), "pipe: %s",
			 strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&actions, want_stdout ? 2 : 1,
					 "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1],
					 want_stdout ? 1 : 2);
	pid_t pid;
	int spawned = posix_spawnp(&pid, argv[0], &actions, NULL,
				   (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(pipe_fds[1]);
	if (spawned != 0) {
		close(pipe_fds[0]);
		snprintf(output->text, sizeof(output->text),
			 "cannot run %s: %s", argv[0], strerror(spawned));
		return -1;
	}
	for (;;) {
		char buffer[512];
		ssize_t n = read(pipe_fds[0], buffer, sizeof(buffer));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t room = sizeof(output->text) - 1 - output->length;
		size_t take = (size_t)n < room ? (size_t)n : room;
		memcpy(output->text + output->length, buffer, take);
		output->length += take;
	}
	output->text[output->length] = '\0';
	close(pipe_fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(output->text, sizeof(output->text),
				 "waitpid: %s", strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* The command line as text, for error messages. */
static void command_format(const char *const argv[], char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; argv[i] && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i ? " " : "",
				 argv[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Runs a command that must succeed; on failure err says "COMMAND: stderr"
 * and -1 is returned. */
static int command_must(const char *const argv[], char *err, size_t err_size)
{
	struct command_output output;
	int status = command_run(argv, false, &output);
	if (status == 0)
		return 0;
	char line[512];
	command_format(argv, line, sizeof(line));
	while (output.length && (output.text[output.length - 1] == '\n' ||
				 output.text[output.length - 1] == ' '))
		output.text[--output.length] = '\0';
	if (status < 0)
		error_set(err, err_size, "%s: %s", line, output.text);
	else if (output.length)
		error_set(err, err_size, "%s: %s", line, output.text);
	else
		error_set(err, err_size, "%s: exit status %d", line, status);
	return -1;
}

/* Runs a command whose failure does not matter (clean-up). */
static void command_try(const char *const argv[])
{
	struct command_output output;
	(void)command_run(argv, false, &output);
}

/* ---- names --------------------------------------------------------------- */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* [A-Za-z0-9_.-]{1,max}, not "." or ".." (file names in /run/netns, and
 * Linux interface names). A leading '-' would read as an option. */
static bool name_valid(const char *name, size_t max)
{
	if (!name || !name[0] || name[0] == '-' || strlen(name) > max)
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *c = name; *c; c++)
		if (!name_char(*c))
			return false;
	return true;
}

static bool netns_given(const char *netns)
{
	return netns && netns[0];
}

bool host_exists(const char *namespace_name)
{
	if (!name_valid(namespace_name, HOST_NAMESPACE_SIZE - 1))
		return false;
	char path[sizeof(HOST_NETNS_DIRECTORY) + HOST_NAMESPACE_SIZE];
	snprintf(path, sizeof(path), "%s%s", HOST_NETNS_DIRECTORY,
		 namespace_name);
	struct stat st;
	return stat(path, &st) == 0;
}

static uint32_t fnv1a(const char *text)
{
	uint32_t hash = 2166136261u;
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		hash ^= *c;
		hash *= 16777619u;
	}
	return hash;
}

int host_namespace_name(const char *prefix, int64_t vnet, const char *node,
			char *out, size_t size)
{
	if (!prefix || !node || !out || size < HOST_NAMESPACE_SIZE)
		return -1;
	char full[512];
	snprintf(full, sizeof(full), "%s-v%lld-%s", prefix, (long long)vnet,
		 node);
	for (char *c = full; *c; c++)
		if (!name_char(*c))
			*c = '_';
	size_t length = strlen(full);
	if (length <= HOST_NAMESPACE_SIZE - 1) {
		memcpy(out, full, length + 1);
		return 0;
	}
	/* Cut: keep the start and add a hash of the whole name. */
	const size_t keep = HOST_NAMESPACE_SIZE - 1 - 9;
	snprintf(out, size, "%.*s-%08x", (int)keep, full, fnv1a(full));
	return 0;
}

/* ---- ip, in a namespace or here ------------------------------------------ */

/* argv of `ip [-n NETNS] ARGS...` (NETNS NULL or "": ours). */
struct ip_command {
	const char *argv[HOST_ARGV_MAX];
	int count;
};

static void ip_begin(struct ip_command *command, const char *netns)
{
	command->count = 0;
	command->argv[command->count++] = "ip";
	if (netns_given(netns)) {
		command->argv[command->count++] = "-n";
		command->argv[command->count++] = netns;
	}
	command->argv[command->count] = NULL;
}

static void ip_add(struct ip_command *command, const char *argument)
{
	if (command->count < HOST_ARGV_MAX - 1) {
		command->argv[command->count++] = argument;
		command->argv[command->count] = NULL;
	}
}

static bool link_exists(const char *netns, const char *name)
{
	struct ip_command command;
	ip_begin(&command, netns);
	ip_add(&command, "link");
	ip_add(&command, "show");
	ip_add(&command, "dev");
	ip_add(&command, name);
	struct command_output output;
	return command_run(command.argv, false, &output) == 0;
}

static void link_delete(const char *netns, const char *name)
{
	struct ip_command command;
	ip_begin(&command, netns);
	ip_add(&command, "link");
	ip_add(&command, "delete");
	ip_add(&command, "dev");
	ip_add(&command, name);
	command_try(command.argv);
}

/* ethtool in a namespace: ip netns exec NETNS ethtool -K DEV ... off */
static int offloads_off(const char *netns, const char *dev, char *err,
			size_t err_size)
{
	const char *in_netns[] = { "ip", "netns", "exec", netns, "ethtool",
				   "-K", dev, "tx", "off", "rx", "off", "tso",
				   "off", "gso", "off", "gro", "off", NULL };
	const char *here[] = { "ethtool", "-K", dev, "tx", "off", "rx", "off",
			       "tso", "off", "gso", "off", "gro", "off", NULL };
	return command_must(netns_given(netns) ? in_netns : here, err,
			    err_size);
}

static int kill_namespace_processes(const char *namespace_name)
{
	const char *argv[] = { "ip", "netns", "pids", namespace_name, NULL };
	struct command_output output;
	if (command_run(argv, true, &output) != 0)
		return 0; /* gone, or nothing to list */
	int killed = 0;
	char *save = NULL;
	for (char *word = strtok_r(output.text, " \n", &save); word;
	     word = strtok_r(NULL, " \n", &save)) {
		char *end;
		long pid = strtol(word, &end, 10);
		if (*end || pid <= 1)
			continue;
		if (kill((pid_t)pid, SIGKILL) == 0)
			killed++;
	}
	return killed;
}

static void namespace_delete(const char *namespace_name)
{
	if (!host_exists(namespace_name))
		return;
	kill_namespace_processes(namespace_name);
	const char *argv[] = { "ip", "netns", "delete", namespace_name, NULL };
	command_try(argv);
}

/* ---- create and delete --------------------------------------------------- */

static int interfaces_check(const struct host_interface *interfaces,
			    uint32_t count, char *err, size_t err_size)
{
	for (uint32_t i = 0; i < count; i++) {
		const struct host_interface *interface = &interfaces[i];
		if (!name_valid(interface->name, HOST_IFNAME_MAX)) {
			error_set(err, err_size,
				  "interface %u: name '%s': 1 to %d of "
				  "[A-Za-z0-9_.-]", i,
				  interface->name ? interface->name : "(null)",
				  HOST_IFNAME_MAX);
			return -1;
		}
		if (!name_valid(interface->veth, HOST_IFNAME_MAX)) {
			error_set(err, err_size,
				  "interface %s: veth '%s': 1 to %d of "
				  "[A-Za-z0-9_.-]", interface->name,
				  interface->veth ? interface->veth : "(null)",
				  HOST_IFNAME_MAX);
			return -1;
		}
		if (interface->mtu && (interface->mtu < 68 ||
				       interface->mtu > 65535)) {
			error_set(err, err_size, "interface %s: mtu %u: 68 to "
				  "65535", interface->name, interface->mtu);
			return -1;
		}
		if (interface->address_count && !interface->addresses) {
			error_set(err, err_size, "interface %s: no addresses",
				  interface->name);
			return -1;
		}
		for (uint32_t j = 0; j < i; j++) {
			if (!strcmp(interfaces[j].name, interface->name) ||
			    !strcmp(interfaces[j].veth, interface->veth)) {
				error_set(err, err_size,
					  "interfaces %u and %u share a name",
					  j, i);
				return -1;
			}
		}
	}
	return 0;
}

/* One interface: the pair, its MAC, MTU, addresses, offloads, up. */
static int interface_create(const char *namespace_name,
			    const char *switch_netns,
			    const struct host_interface *interface,
			    bool *created, char *err, size_t err_size)
{
	char mtu[16], mac[18];
	snprintf(mtu, sizeof(mtu), "%u",
		 interface->mtu ? interface->mtu : 1500);
	/* ip link add name VETH [netns SW] type veth peer name NAME netns NS:
	 * the kernel makes each end in its namespace, so a name clash in
	 * either fails the whole command and nothing is made. */
	struct ip_command command;
	ip_begin(&command, NULL);
	ip_add(&command, "link");
	ip_add(&command, "add");
	ip_add(&command, "name");
	ip_add(&command, interface->veth);
	if (netns_given(switch_netns)) {
		ip_add(&command, "netns");
		ip_add(&command, switch_netns);
	}
	ip_add(&command, "mtu");
	ip_add(&command, mtu);
	ip_add(&command, "type");
	ip_add(&command, "veth");
	ip_add(&command, "peer");
	ip_add(&command, "name");
	ip_add(&command, interface->name);
	ip_add(&command, "netns");
	ip_add(&command, namespace_name);
	ip_add(&command, "mtu");
	ip_add(&command, mtu);
	if (command_must(command.argv, err, err_size))
		return -1;
	*created = true;

	if (interface->has_mac) {
		vnet_mac_format(interface->mac, mac, sizeof(mac));
		const char *argv[] = { "ip", "-n", namespace_name, "link",
				       "set", "dev", interface->name,
				       "address", mac, NULL };
		if (command_must(argv, err, err_size))
			return -1;
	}
	for (uint32_t i = 0; i < interface->address_count; i++) {
		const struct vnet_address *address = &interface->addresses[i];
		char text[64];
		vnet_address_format(address, text, sizeof(text));
		/* IPv6 without DAD: usable at once, as an IPv4 address is. */
		const char *argv[] = { "ip", "-n", namespace_name, "address",
				       "add", text, "dev", interface->name,
				       address->family == AF_INET6 ? "nodad"
								   : NULL,
				       NULL };
		if (command_must(argv, err, err_size))
			return -1;
	}
	if (offloads_off(namespace_name, interface->name, err, err_size) ||
	    offloads_off(switch_netns, interface->veth, err, err_size))
		return -1;
	const char *inside_up[] = { "ip", "-n", namespace_name, "link", "set",
				    "dev", interface->name, "up", NULL };
	if (command_must(inside_up, err, err_size))
		return -1;
	ip_begin(&command, switch_netns);
	ip_add(&command, "link");
	ip_add(&command, "set");
	ip_add(&command, "dev");
	ip_add(&command, interface->veth);
	ip_add(&command, "up");
	return command_must(command.argv, err, err_size);
}

int host_create(const char *namespace_name, const char *switch_netns,
		const struct host_interface *interfaces, uint32_t count,
		char *err, size_t err_size)
{
	if (!name_valid(namespace_name, HOST_NAMESPACE_SIZE - 1)) {
		error_set(err, err_size, "namespace '%s': 1 to %d of "
			  "[A-Za-z0-9_.-]", namespace_name ? namespace_name
							   : "(null)",
			  HOST_NAMESPACE_SIZE - 1);
		return -1;
	}
	if (netns_given(switch_netns) &&
	    !name_valid(switch_netns, HOST_NAMESPACE_SIZE - 1)) {
		error_set(err, err_size, "switch namespace '%s': 1 to %d of "
			  "[A-Za-z0-9_.-]", switch_netns,
			  HOST_NAMESPACE_SIZE - 1);
		return -1;
	}
	if (netns_given(switch_netns) &&
	    !strcmp(switch_netns, namespace_name)) {
		error_set(err, err_size, "namespace '%s' is the switch's",
			  namespace_name);
		return -1;
	}
	if (count && !interfaces) {
		error_set(err, err_size, "no interfaces");
		return -1;
	}
	if (interfaces_check(interfaces, count, err, err_size))
		return -1;
	if (netns_given(switch_netns) && !host_exists(switch_netns)) {
		error_set(err, err_size, "switch namespace '%s' does not exist",
			  switch_netns);
		return -1;
	}

	/* A stale namespace of that name (a daemon that died half-way):
	 * replaced. Its veths die with it (a pair goes as a whole). */
	namespace_delete(namespace_name);
	const char *add[] = { "ip", "netns", "add", namespace_name, NULL };
	if (command_must(add, err, err_size))
		return -1;
	const char *lo_up[] = { "ip", "-n", namespace_name, "link", "set",
				"dev", "lo", "up", NULL };
	if (command_must(lo_up, err, err_size))
		goto undo;
	for (uint32_t i = 0; i < count; i++) {
		bool created = false;
		if (interface_create(namespace_name, switch_netns,
				     &interfaces[i], &created, err, err_size)) {
			/* Only what this call made goes: a clash left the
			 * interface that was there. */
			if (created)
				link_delete(switch_netns, interfaces[i].veth);
			for (uint32_t j = 0; j < i; j++)
				link_delete(switch_netns, interfaces[j].veth);
			goto undo;
		}
	}
	return 0;

undo:
	namespace_delete(namespace_name);
	return -1;
}

int host_delete(const char *namespace_name, const char *switch_netns,
		const struct host_interface *interfaces, uint32_t count,
		char *err, size_t err_size)
{
	if (!name_valid(namespace_name, HOST_NAMESPACE_SIZE - 1)) {
		error_set(err, err_size, "namespace '%s': 1 to %d of "
			  "[A-Za-z0-9_.-]", namespace_name ? namespace_name
							   : "(null)",
			  HOST_NAMESPACE_SIZE - 1);
		return -1;
	}
	if (count && !interfaces) {
		error_set(err, err_size, "no interfaces");
		return -1;
	}
	if (host_exists(namespace_name)) {
		kill_namespace_processes(namespace_name);
		const char *argv[] = { "ip", "netns", "delete", namespace_name,
				       NULL };
		if (command_must(argv, err, err_size) &&
		    host_exists(namespace_name))
			return -1;
	}
	/* Deleting one end of a veth deletes the pair; the switch side may
	 * outlive the namespace's name while a process held it. */
	bool switch_ns_there = !netns_given(switch_netns) ||
			       host_exists(switch_netns);
	for (uint32_t i = 0; switch_ns_there && i < count; i++) {
		const char *veth = interfaces[i].veth;
		if (!name_valid(veth, HOST_IFNAME_MAX) ||
		    !link_exists(switch_netns, veth))
			continue;
		struct ip_command command;
		ip_begin(&command, switch_netns);
		ip_add(&command, "link");
		ip_add(&command, "delete");
		ip_add(&command, "dev");
		ip_add(&command, veth);
		if (command_must(command.argv, err, err_size) &&
		    link_exists(switch_netns, veth))
			return -1;
	}
	return 0;
}
