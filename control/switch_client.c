/* The switch client: see control.h. */
#include "control.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CLIENT_REPLY_MAX (64u << 20)
#define CLIENT_REPLY_TIMEOUT_MS 30000

struct switch_client {
	int fd;
	char *token;
	char *buffer;
	size_t used;
	size_t size;
	int reply_timeout_ms;
};

struct switch_client *switch_client_connect(const char *path, const char *token,
					    unsigned timeout_ms, char *err,
					    size_t err_size)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(address.sun_path)) {
		snprintf(err, err_size, "socket path too long: %s", path);
		return NULL;
	}
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", path);
	unsigned waited = 0;
	int fd = -1;
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(err, err_size, "socket: %s", strerror(errno));
			return NULL;
		}
		if (connect(fd, (struct sockaddr *)&address, sizeof(address)) == 0)
			break;
		int error = errno;
		close(fd);
		if (waited >= timeout_ms ||
		    (error != ENOENT && error != ECONNREFUSED)) {
			snprintf(err, err_size, "cannot connect to %s: %s", path,
				 strerror(error));
			return NULL;
		}
		struct timespec pause = { 0, 20 * 1000000 };
		nanosleep(&pause, NULL);
		waited += 20;
	}
	struct switch_client *client = calloc(1, sizeof(*client));
	if (!client) {
		close(fd);
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	client->fd = fd;
	client->reply_timeout_ms = CLIENT_REPLY_TIMEOUT_MS;
	client->token = token ? strdup(token) : NULL;
	return client;
}

void switch_client_set_timeout(struct switch_client *client,
			       unsigned timeout_ms)
{
	client->reply_timeout_ms = timeout_ms ? (int)timeout_ms :
						CLIENT_REPLY_TIMEOUT_MS;
}

void switch_client_close(struct switch_client *client)
{
	if (!client)
		return;
	close(client->fd);
	free(client->token);
	free(client->buffer);
	free(client);
}

static int send_all(int fd, const char *data, size_t length)
{
	while (length) {
		ssize_t n = send(fd, data, length, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		length -= (size_t)n;
	}
	return 0;
}

/* Reads one line (the reply); returns its length or -1. */
static long read_line(struct switch_client *client, char *err, size_t err_size)
{
	for (;;) {
		char *newline = client->used ? memchr(client->buffer, '\n', client->used)
					     : NULL;
		if (newline)
			return newline - client->buffer;
		if (client->size - client->used < 4096) {
			size_t size = client->size ? client->size * 2 : 65536;
			if (size > CLIENT_REPLY_MAX) {
				snprintf(err, err_size, "reply too long");
				return -1;
			}
			char *buffer = realloc(client->buffer, size);
			if (!buffer) {
				snprintf(err, err_size, "out of memory");
				return -1;
			}
			client->buffer = buffer;
			client->size = size;
		}
		struct pollfd pfd = { .fd = client->fd, .events = POLLIN };
		int ready = poll(&pfd, 1, client->reply_timeout_ms);
		if (ready == 0) {
			snprintf(err, err_size, "no reply from the switch within %d ms",
				 client->reply_timeout_ms);
			return -1;
		}
		ssize_t n = read(client->fd, client->buffer + client->used,
				 client->size - client->used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, err_size, "the switch closed the connection");
			return -1;
		}
		client->used += (size_t)n;
	}
}

json_t *switch_client_call(struct switch_client *client, const char *command,
			   json_t *arguments, char *err, size_t err_size)
{
	json_t *request = arguments ? json_deep_copy(arguments) : json_object();
	if (!json_is_object(request)) {
		json_decref(request);
		snprintf(err, err_size, "arguments must be a JSON object");
		return NULL;
	}
	json_object_set_new(request, "command", json_string(command));
	if (client->token)
		json_object_set_new(request, "token", json_string(client->token));
	char *text = json_dumps(request, JSON_COMPACT);
	json_decref(request);
	if (!text) {
		snprintf(err, err_size, "cannot encode the request");
		return NULL;
	}
	int rc = send_all(client->fd, text, strlen(text));
	free(text);
	if (rc != 0 || send_all(client->fd, "\n", 1) != 0) {
		snprintf(err, err_size, "cannot send to the switch: %s",
			 strerror(errno));
		return NULL;
	}
	long length = read_line(client, err, err_size);
	if (length < 0)
		return NULL;
	json_error_t parse_error;
	json_t *reply = json_loadb(client->buffer, (size_t)length, 0, &parse_error);
	client->used -= (size_t)length + 1;
	memmove(client->buffer, client->buffer + length + 1, client->used);
	if (!reply) {
		snprintf(err, err_size, "malformed reply: %s", parse_error.text);
		return NULL;
	}
	json_t *result = NULL;
	if (json_is_true(json_object_get(reply, "ok"))) {
		result = json_object_get(reply, "result");
		result = result ? json_incref(result) : json_null();
	} else {
		const char *message = json_string_value(json_object_get(reply, "error"));
		snprintf(err, err_size, "%s", message ? message : "request failed");
	}
	json_decref(reply);
	return result;
}

json_t *switch_call(const char *path, const char *token, const char *command,
		    json_t *arguments, char *err, size_t err_size)
{
	struct switch_client *client = switch_client_connect(path, token, 0, err,
							     err_size);
	if (!client)
		return NULL;
	json_t *result = switch_client_call(client, command, arguments, err,
					    err_size);
	switch_client_close(client);
	return result;
}
