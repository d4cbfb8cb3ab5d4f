/* control: Loom's control plane. It never touches packets: it talks to
 * each substrate node's loom-switch through the switch's control socket.
 *
 * Section 1: the switch client. A connection to one loom-switch control
 * socket; requests and replies are JSON objects, one per line (see
 * datapath/control_socket.c for the commands). Used by loomctl, the tests
 * and (later) the InP daemon's provisioning.
 */
#ifndef LOOM_CONTROL_H
#define LOOM_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct switch_client;

/* Connects to the socket at path; token (may be NULL) is added to every
 * request. Waits up to timeout_ms for the socket to appear (a switch that
 * is still starting). Returns NULL with a reason in err. */
struct switch_client *switch_client_connect(const char *path, const char *token,
					    unsigned timeout_ms, char *err,
					    size_t err_size);
void switch_client_close(struct switch_client *client);

/* Sends {"command": command, ...arguments} (arguments may be NULL; it is
 * not consumed) and waits for the reply. Returns the reply's "result" (a
 * new reference) or NULL with the switch's error (or a transport error) in
 * err. */
json_t *switch_client_call(struct switch_client *client, const char *command,
			   json_t *arguments, char *err, size_t err_size);

/* One request on a fresh connection. */
json_t *switch_call(const char *path, const char *token, const char *command,
		    json_t *arguments, char *err, size_t err_size);

#endif
