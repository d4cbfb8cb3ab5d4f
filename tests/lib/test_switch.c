/* See test_switch.h. */
#include "test_switch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

#define TEST_SWITCH_MAX 16
#define TEST_SWITCH_START_MS 30000
#define TEST_SWITCH_STOP_MS 20000
#define TEST_SWITCH_NAME_MAX 32

struct test_switch {
	char name[TEST_SWITCH_NAME_MAX + 1];
	char dir[80];
	char prefix[96];
	char socket[100];
	char config_path[192];
	char log_path[192];
	char *token;
	pid_t pid;       /* 0 = not running */
	struct switch_client *client;
	char error[1024];
	char *log;
	char **paths;    /* strings returned by test_switch_path */
	size_t n_paths;
};

/* Every switch not yet destroyed, for the exit and signal handlers. */
static struct test_switch *live[TEST_SWITCH_MAX];
static unsigned serial;
static bool handlers_installed;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec pause = { ms / 1000, (long)(ms % 1000) * 1000000 };
	while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
		;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *path)
{
	if (path[0])
		nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Kills and reaps the process; removes its files. Used by destroy and by
 * the exit and signal handlers. */
static void switch_cleanup(struct test_switch *sw)
{
	if (sw->client) {
		switch_client_close(sw->client);
		sw->client = NULL;
	}
	if (sw->pid > 0) {
		kill(sw->pid, SIGKILL);
		waitpid(sw->pid, NULL, 0);
		sw->pid = 0;
	}
	remove_tree(sw->dir);
	char runtime[256];
	snprintf(runtime, sizeof(runtime), "/var/run/dpdk/%s", sw->prefix);
	remove_tree(runtime);
}

static void cleanup_all(void)
{
	for (unsigned i = 0; i < TEST_SWITCH_MAX; i++)
		if (live[i])
			switch_cleanup(live[i]);
}

static void on_signal(int signo)
{
	/* Dying anyway: clean what we can, then die of the same signal. */
	cleanup_all();
	signal(signo, SIG_DFL);
	raise(signo);
}

static void install_handlers(void)
{
	if (handlers_installed)
		return;
	handlers_installed = true;
	atexit(cleanup_all);
	struct sigaction action;
	memset(&action, 0, sizeof(action));
	action.sa_handler = on_signal;
	sigemptyset(&action.sa_mask);
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGHUP, &action, NULL);
	/* The switch's control socket may close under us. */
	signal(SIGPIPE, SIG_IGN);
}

struct test_switch *test_switch_create(const char *test_name)
{
	install_handlers();
	struct test_switch *sw = calloc(1, sizeof(*sw));
	if (!sw) {
		fprintf(stderr, "test_switch: out of memory\n");
		exit(1);
	}
	size_t n = 0;
	for (const char *c = test_name; *c && n < TEST_SWITCH_NAME_MAX; c++)
		sw->name[n++] = (char)((*c == '/' || *c == ' ') ? '_' : *c);
	unsigned id = serial++;
	snprintf(sw->dir, sizeof(sw->dir), "/tmp/loom-test-%s-%d-%u", sw->name,
		 (int)getpid(), id);
	snprintf(sw->prefix, sizeof(sw->prefix), "loomtest-%s-%d-%u", sw->name,
		 (int)getpid(), id);
	snprintf(sw->socket, sizeof(sw->socket), "%.80s/control.sock", sw->dir);
	snprintf(sw->config_path, sizeof(sw->config_path), "%s/switch.yaml",
		 sw->dir);
	snprintf(sw->log_path, sizeof(sw->log_path), "%s/switch.log", sw->dir);
	remove_tree(sw->dir);
	if (mkdir(sw->dir, 0700) != 0) {
		fprintf(stderr, "test_switch: mkdir %s: %s\n", sw->dir,
			strerror(errno));
		exit(1);
	}
	unsigned slot;
	for (slot = 0; slot < TEST_SWITCH_MAX && live[slot]; slot++)
		;
	if (slot == TEST_SWITCH_MAX) {
		fprintf(stderr, "test_switch: more than %d live switches\n",
			TEST_SWITCH_MAX);
		remove_tree(sw->dir);
		exit(1);
	}
	live[slot] = sw;
	return sw;
}

void test_switch_destroy(struct test_switch *sw)
{
	if (!sw)
		return;
	switch_cleanup(sw);
	for (unsigned i = 0; i < TEST_SWITCH_MAX; i++)
		if (live[i] == sw)
			live[i] = NULL;
	for (size_t i = 0; i < sw->n_paths; i++)
		free(sw->paths[i]);
	free(sw->paths);
	free(sw->token);
	free(sw->log);
	free(sw);
}

int test_switch_teardown(void **state)
{
	test_switch_destroy(*state);
	*state = NULL;
	return 0;
}

const char *test_switch_dir(const struct test_switch *sw)
{
	return sw->dir;
}

const char *test_switch_socket(const struct test_switch *sw)
{
	return sw->socket;
}

const char *test_switch_prefix(const struct test_switch *sw)
{
	return sw->prefix;
}

pid_t test_switch_pid(const struct test_switch *sw)
{
	return sw->pid;
}

const char *test_switch_path(struct test_switch *sw, const char *file)
{
	char *path;
	if (asprintf(&path, "%s/%s", sw->dir, file) < 0)
		abort();
	char **paths = realloc(sw->paths, (sw->n_paths + 1) * sizeof(*paths));
	if (!paths)
		abort();
	sw->paths = paths;
	sw->paths[sw->n_paths++] = path;
	return path;
}

void test_switch_set_token(struct test_switch *sw, const char *token)
{
	free(sw->token);
	sw->token = token ? strdup(token) : NULL;
}

int test_switch_write_pcap(struct test_switch *sw, const char *file,
			   const struct frame_list *frames)
{
	return pcap_write_frames(test_switch_path(sw, file), frames);
}

int test_switch_write_empty_pcap(struct test_switch *sw, const char *file)
{
	struct frame_list empty;
	frame_list_init(&empty);
	int rc = pcap_write_frames(test_switch_path(sw, file), &empty);
	frame_list_free(&empty);
	return rc;
}

int test_switch_write_inputs(struct test_switch *sw,
			     const struct frame_list *inputs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char file[32];
		snprintf(file, sizeof(file), "p%u.in.pcap", i);
		if (test_switch_write_pcap(sw, file, &inputs[i]) != 0)
			return -1;
	}
	return 0;
}

int test_switch_read_pcap(struct test_switch *sw, const char *file,
			  struct frame_list *frames)
{
	return pcap_read_frames(test_switch_path(sw, file), frames);
}

bool test_switch_output_equal(struct test_switch *sw, const char *file,
			      const struct frame_list *expected, bool ordered)
{
	struct frame_list got;
	frame_list_init(&got);
	if (test_switch_read_pcap(sw, file, &got) != 0) {
		printf("# %s: cannot read the output\n", file);
		frame_list_free(&got);
		return false;
	}
	static char report[32768];
	bool equal = ordered ? frame_lists_equal(&got, expected, report,
						 sizeof(report))
			     : frame_lists_equal_unordered(&got, expected, report,
							   sizeof(report));
	if (!equal) {
		printf("# %s: %zu frames, %zu expected\n", file, got.count,
		       expected->count);
		for (char *line = strtok(report, "\n"); line;
		     line = strtok(NULL, "\n"))
			printf("#   %s\n", line);
		fflush(stdout);
	}
	frame_list_free(&got);
	return equal;
}

/* ---- configuration ------------------------------------------------------- */

static bool has_section(const char *text, const char *key)
{
	size_t n = strlen(key);
	for (const char *line = text; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, key, n) == 0 && line[n] == ':')
			return true;
	}
	return false;
}

/* Replaces @DIR@, @PREFIX@ and @SOCKET@; returns a new string. */
static char *substitute(const struct test_switch *sw, const char *text)
{
	static const char *const tokens[] = { "@DIR@", "@PREFIX@", "@SOCKET@" };
	const char *values[] = { sw->dir, sw->prefix, sw->socket };
	size_t size = strlen(text) + 1;
	for (const char *c = text; *c; c++)
		if (*c == '@')
			size += 256;
	char *out = malloc(size);
	if (!out)
		abort();
	size_t used = 0;
	while (*text) {
		bool replaced = false;
		for (int t = 0; t < 3 && !replaced; t++) {
			size_t n = strlen(tokens[t]);
			if (strncmp(text, tokens[t], n) == 0) {
				used += (size_t)snprintf(out + used, size - used, "%s",
							 values[t]);
				text += n;
				replaced = true;
			}
		}
		if (!replaced)
			out[used++] = *text++;
	}
	out[used] = '\0';
	return out;
}

static int write_config(struct test_switch *sw, const char *config_text)
{
	char *body = substitute(sw, config_text);
	FILE *file = fopen(sw->config_path, "w");
	if (!file) {
		free(body);
		snprintf(sw->error, sizeof(sw->error), "%s: %s", sw->config_path,
			 strerror(errno));
		return -1;
	}
	if (!has_section(body, "eal"))
		fprintf(file, "eal:\n  file_prefix: %s\n  memory_mb: 128\n",
			sw->prefix);
	if (!has_section(body, "control"))
		fprintf(file, "control:\n  socket: %s\n", sw->socket);
	fputs(body, file);
	free(body);
	return fclose(file) == 0 ? 0 : -1;
}

static int spawn(struct test_switch *sw)
{
	const char *build = getenv("LOOM_BUILD_DIR");
	char binary[512];
	snprintf(binary, sizeof(binary), "%s/datapath/loom-switch",
		 build ? build : ".");
	if (access(binary, X_OK) != 0) {
		snprintf(sw->error, sizeof(sw->error), "%s: %s (is LOOM_BUILD_DIR set?)",
			 binary, strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(sw->error, sizeof(sw->error), "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* Never outlive the test binary. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		int log = open(sw->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int null = open("/dev/null", O_RDONLY);
		if (log >= 0) {
			dup2(log, 1);
			dup2(log, 2);
		}
		if (null >= 0)
			dup2(null, 0);
		char *argv[] = { binary, "--config", sw->config_path, NULL };
		execv(binary, argv);
		_exit(127);
	}
	sw->pid = pid;
	return 0;
}

/* Reaps the child if it exited; returns its raw status or -1 if running. */
static int reap(struct test_switch *sw, bool block)
{
	if (sw->pid <= 0)
		return -1;
	int status;
	pid_t done = waitpid(sw->pid, &status, block ? 0 : WNOHANG);
	if (done == sw->pid) {
		sw->pid = 0;
		return status;
	}
	return -1;
}

int test_switch_start(struct test_switch *sw, const char *config_text)
{
	if (write_config(sw, config_text) != 0 || spawn(sw) != 0) {
		printf("# test_switch: %s\n", sw->error);
		return -1;
	}
	uint64_t deadline = now_ms() + TEST_SWITCH_START_MS;
	while (now_ms() < deadline) {
		int status = reap(sw, false);
		if (status != -1) {
			snprintf(sw->error, sizeof(sw->error),
				 "loom-switch exited during start (status %d)",
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			printf("# test_switch: %s\n", sw->error);
			test_switch_print_log(sw);
			return -1;
		}
		char err[256];
		sw->client = switch_client_connect(sw->socket, sw->token, 0, err,
						   sizeof(err));
		if (sw->client) {
			json_t *version = test_switch_call(sw, "version", NULL);
			if (version) {
				json_decref(version);
				return 0;
			}
			switch_client_close(sw->client);
			sw->client = NULL;
		}
		sleep_ms(20);
	}
	snprintf(sw->error, sizeof(sw->error),
		 "loom-switch did not answer within %d s", TEST_SWITCH_START_MS / 1000);
	printf("# test_switch: %s\n", sw->error);
	test_switch_print_log(sw);
	switch_cleanup(sw);
	return -1;
}

int test_switch_run_to_exit(struct test_switch *sw, const char *config_text,
			    unsigned timeout_ms)
{
	if (write_config(sw, config_text) != 0 || spawn(sw) != 0) {
		printf("# test_switch: %s\n", sw->error);
		return -1;
	}
	uint64_t deadline = now_ms() + timeout_ms;
	while (now_ms() < deadline) {
		int status = reap(sw, false);
		if (status != -1)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		sleep_ms(10);
	}
	snprintf(sw->error, sizeof(sw->error), "loom-switch still runs after %u ms",
		 timeout_ms);
	kill(sw->pid, SIGKILL);
	reap(sw, true);
	return -1;
}

/* ---- requests ---------------------------------------------------------------- */

json_t *test_switch_call(struct test_switch *sw, const char *command,
			 json_t *arguments)
{
	sw->error[0] = '\0';
	if (!sw->client) {
		snprintf(sw->error, sizeof(sw->error), "not connected");
		json_decref(arguments);
		return NULL;
	}
	json_t *result = switch_client_call(sw->client, command, arguments,
					    sw->error, sizeof(sw->error));
	json_decref(arguments);
	return result;
}

json_t *test_switch_callf(struct test_switch *sw, const char *command,
			  const char *format, ...)
{
	va_list args;
	va_start(args, format);
	json_error_t error;
	json_t *arguments = json_vpack_ex(&error, 0, format, args);
	va_end(args);
	if (!arguments) {
		snprintf(sw->error, sizeof(sw->error), "bad pack format: %s",
			 error.text);
		return NULL;
	}
	return test_switch_call(sw, command, arguments);
}

json_t *test_switch_raw(struct test_switch *sw, const char *line)
{
	/* switch_client speaks only well-formed requests: a plain socket. */
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", sw->socket);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
		snprintf(sw->error, sizeof(sw->error), "connect: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	size_t length = strlen(line);
	bool ok = write(fd, line, length) == (ssize_t)length &&
		  write(fd, "\n", 1) == 1;
	char reply[65536];
	size_t used = 0;
	uint64_t deadline = now_ms() + 10000;
	while (ok && used < sizeof(reply) - 1 && now_ms() < deadline) {
		ssize_t n = read(fd, reply + used, sizeof(reply) - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		if (memchr(reply, '\n', used))
			break;
	}
	close(fd);
	reply[used] = '\0';
	json_error_t error;
	json_t *object = json_loads(reply, JSON_DISABLE_EOF_CHECK, &error);
	if (!object)
		snprintf(sw->error, sizeof(sw->error), "no JSON reply: %s", error.text);
	return object;
}

const char *test_switch_error(const struct test_switch *sw)
{
	return sw->error;
}

/* ---- counters ---------------------------------------------------------------- */

json_t *test_switch_counters(struct test_switch *sw)
{
	return test_switch_call(sw, "counters", NULL);
}

static const json_t *counters_find(const json_t *counters, const char *path)
{
	const char *first = strchr(path, '.');
	const char *last = strrchr(path, '.');
	if (!first)
		return NULL;
	char section[128], name[256];
	snprintf(section, sizeof(section), "%.*s", (int)(first - path), path);
	const json_t *object = json_object_get(counters, section);
	if (first == last)
		return json_object_get(object, first + 1);
	snprintf(name, sizeof(name), "%.*s", (int)(last - first - 1), first + 1);
	return json_object_get(json_object_get(object, name), last + 1);
}

uint64_t counters_value(const json_t *counters, const char *path)
{
	const json_t *value = counters_find(counters, path);
	if (!json_is_integer(value)) {
		fprintf(stderr, "test_switch: no counter %s\n", path);
		printf("# test_switch: no counter %s\n", path);
		fflush(stdout);
		abort();
	}
	return (uint64_t)json_integer_value(value);
}

uint64_t test_switch_counter(struct test_switch *sw, const char *path)
{
	json_t *counters = test_switch_counters(sw);
	if (!counters) {
		printf("# test_switch: counters: %s\n", sw->error);
		fflush(stdout);
		abort();
	}
	uint64_t value = counters_value(counters, path);
	json_decref(counters);
	return value;
}

/* What must stop changing: everything but the workers' loop counts. */
static json_t *traffic_counters(struct test_switch *sw)
{
	json_t *counters = test_switch_counters(sw);
	if (counters) {
		json_object_del(counters, "workers");
		json_object_del(counters, "members");
	}
	return counters;
}

int test_switch_wait_idle(struct test_switch *sw, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	json_t *previous = NULL;
	unsigned stable = 0;
	while (now_ms() < deadline) {
		json_t *current = traffic_counters(sw);
		if (!current) {
			json_decref(previous);
			return -1;
		}
		if (previous && json_equal(previous, current))
			stable++;
		else
			stable = 0;
		json_decref(previous);
		previous = current;
		if (stable >= 6) {
			json_decref(previous);
			return 0;
		}
		sleep_ms(25);
	}
	json_decref(previous);
	snprintf(sw->error, sizeof(sw->error), "counters still changing after %u ms",
		 timeout_ms);
	return -1;
}

int test_switch_wait_counter(struct test_switch *sw, const char *path,
			     uint64_t value, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	for (;;) {
		json_t *counters = test_switch_counters(sw);
		if (!counters)
			return -1;
		uint64_t got = counters_value(counters, path);
		json_decref(counters);
		if (got >= value)
			return 0;
		if (now_ms() >= deadline) {
			snprintf(sw->error, sizeof(sw->error),
				 "%s is %llu, not %llu, after %u ms", path,
				 (unsigned long long)got, (unsigned long long)value,
				 timeout_ms);
			printf("# test_switch: %s\n", sw->error);
			return -1;
		}
		sleep_ms(10);
	}
}

int test_switch_wait_rx(struct test_switch *sw, const char *port,
			uint64_t packets, unsigned timeout_ms)
{
	uint64_t start = now_ms();
	char path[128];
	snprintf(path, sizeof(path), "ports.%s.rx_packets", port);
	if (test_switch_wait_counter(sw, path, packets, timeout_ms) != 0)
		return -1;
	uint64_t spent = now_ms() - start;
	uint64_t left = spent < timeout_ms ? timeout_ms - spent : 0;
	return test_switch_wait_idle(sw, (unsigned)(left < 2000 ? 2000 : left));
}

/* ---- stopping ------------------------------------------------------------------ */

bool test_switch_running(struct test_switch *sw)
{
	reap(sw, false);
	return sw->pid > 0;
}

int test_switch_stop(struct test_switch *sw)
{
	if (sw->client) {
		switch_client_close(sw->client);
		sw->client = NULL;
	}
	if (sw->pid <= 0) {
		snprintf(sw->error, sizeof(sw->error), "not running");
		return -1;
	}
	kill(sw->pid, SIGTERM);
	uint64_t deadline = now_ms() + TEST_SWITCH_STOP_MS;
	while (now_ms() < deadline) {
		int status = reap(sw, false);
		if (status != -1) {
			if (WIFEXITED(status)) {
				if (WEXITSTATUS(status) != 0)
					test_switch_print_log(sw);
				return WEXITSTATUS(status);
			}
			snprintf(sw->error, sizeof(sw->error),
				 "loom-switch died of signal %d", WTERMSIG(status));
			printf("# test_switch: %s\n", sw->error);
			test_switch_print_log(sw);
			return -1;
		}
		sleep_ms(10);
	}
	snprintf(sw->error, sizeof(sw->error),
		 "loom-switch did not stop within %d s of SIGTERM: killed",
		 TEST_SWITCH_STOP_MS / 1000);
	printf("# test_switch: %s\n", sw->error);
	test_switch_print_log(sw);
	kill(sw->pid, SIGKILL);
	reap(sw, true);
	return -1;
}

const char *test_switch_log(struct test_switch *sw)
{
	free(sw->log);
	sw->log = NULL;
	FILE *file = fopen(sw->log_path, "r");
	if (!file) {
		sw->log = strdup("");
		return sw->log;
	}
	size_t size = 0;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), file)) > 0) {
		char *grown = realloc(sw->log, size + n + 1);
		if (!grown)
			break;
		sw->log = grown;
		memcpy(sw->log + size, chunk, n);
		size += n;
	}
	fclose(file);
	if (!sw->log)
		sw->log = strdup("");
	else
		sw->log[size] = '\0';
	return sw->log;
}

void test_switch_print_log(struct test_switch *sw)
{
	const char *log = test_switch_log(sw);
	printf("# --- loom-switch log (%s) ---\n", sw->log_path);
	for (const char *line = log; *line;) {
		const char *end = strchr(line, '\n');
		int n = end ? (int)(end - line) : (int)strlen(line);
		printf("#   %.*s\n", n, line);
		line += n + (end ? 1 : 0);
	}
	fflush(stdout);
}

bool test_process_running(const char *needle)
{
	DIR *proc = opendir("/proc");
	if (!proc)
		return false;
	bool found = false;
	struct dirent *entry;
	pid_t self = getpid();
	while (!found && (entry = readdir(proc))) {
		char *end;
		long pid = strtol(entry->d_name, &end, 10);
		if (*end || pid <= 0 || pid == self)
			continue;
		char path[64], cmdline[4096];
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, cmdline, sizeof(cmdline) - 1);
		close(fd);
		if (n <= 0)
			continue;
		for (ssize_t i = 0; i < n; i++)
			if (cmdline[i] == '\0')
				cmdline[i] = ' ';
		cmdline[n] = '\0';
		/* A zombie child still shows: only count live processes. */
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		FILE *stat = fopen(path, "r");
		char state = '?';
		if (stat) {
			if (fscanf(stat, "%*d (%*[^)]) %c", &state) != 1)
				state = '?';
			fclose(stat);
		}
		if (state != 'Z' && strstr(cmdline, needle))
			found = true;
	}
	closedir(proc);
	return found;
}
