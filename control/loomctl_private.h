/* What loomctl's files share (loomctl is a program: nothing outside it
 * includes this).
 *
 *   loomctl.c         the dispatcher: global options, the command table,
 *                     help, and `loomctl switch` (a loom-switch socket)
 *   loomctl_api.c     the InP's HTTP API through libcurl, and every
 *                     command that talks to loom-inp
 *   loomctl_output.c  human output: aligned tables, times, the describe
 *                     tree
 *
 * One process, one thread, one call after another: nothing here is shared
 * between threads. */
#ifndef LOOM_LOOMCTL_PRIVATE_H
#define LOOM_LOOMCTL_PRIVATE_H

#include <stdbool.h>
#include <stdio.h>

#include "control.h"

/* Exit statuses, documented by `loomctl --help` and docs/loomctl.md. */
#define foreach_loomctl_exit                                                 \
	_(OK, 0, "success")                                                  \
	_(REFUSED, 1, "refused by the InP (4xx other than 404)")             \
	_(USAGE, 2, "usage error (or a local precondition, e.g. console "    \
		    "without root)")                                         \
	_(UNREACHABLE, 3, "cannot reach the InP, or a transport error")      \
	_(NOT_FOUND, 4, "not found (404)")                                   \
	_(SERVER, 5, "the InP's internal error (5xx)")

enum loomctl_exit {
#define _(name, value, text) LOOMCTL_EXIT_##name = value,
	foreach_loomctl_exit
#undef _
};

/* One invocation: the global options and the command's own, parsed once
 * by loomctl.c. Written by the dispatcher, read by the commands. */
struct loomctl_invocation {
	const char *command;    /* "create", "tenant", ... */
	char url[1024];         /* no trailing slash */
	char token[512];        /* empty: none */
	const char *cacert;     /* a CA file for https://, or NULL */
	bool json;              /* print the server's JSON */
	bool wait;              /* create --wait */
	const char *name;       /* create --name */
	bool rspec;             /* describe --rspec */
	bool operator_role;     /* tenant add --operator */
	const char *output;     /* substrate svg -o FILE */
	int argc;               /* positional arguments after the command */
	char **argv;
};

/* ---- commands (loomctl_api.c) ------------------------------------------- */

/* Each returns an enum loomctl_exit. */
#define foreach_loomctl_api_command                                          \
	_(create)                                                            \
	_(validate)                                                          \
	_(list)                                                              \
	_(status)                                                            \
	_(describe)                                                          \
	_(renew)                                                             \
	_(delete)                                                            \
	_(console)                                                           \
	_(tenant)                                                            \
	_(substrate)                                                         \
	_(health)                                                            \
	_(whoami)

#define _(name) int loomctl_##name(const struct loomctl_invocation *call);
foreach_loomctl_api_command
#undef _

/* Prints "loomctl: WHAT: MESSAGE" on stderr (one line). */
void loomctl_fail(const char *what, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- output (loomctl_output.c) ------------------------------------------ */

/* A table printed with aligned columns; every cell is copied. */
struct output_table;

struct output_table *output_table_new(unsigned columns, ...);
/* Appends one row of `columns` cells (NULL prints as "-"). */
void output_table_row(struct output_table *table, ...);
void output_table_print(struct output_table *table, FILE *out);
void output_table_free(struct output_table *table);

/* Unix seconds as "2031-06-30 18:00:00Z" (UTC); "-" for 0 or absent. */
const char *output_time(json_t *seconds, char *buf, size_t size);
/* A JSON value as short text: strings bare, numbers as numbers, null "-". */
const char *output_value(json_t *value, char *buf, size_t size);
/* Pretty JSON on stdout. */
void output_json(json_t *value);

/* The human views. */
void output_vnets(json_t *list);
void output_tenants(json_t *list);
void output_status(json_t *status);
void output_manifest(json_t *manifest);
void output_mapping(json_t *mapping);
void output_substrate(json_t *substrate);

#endif
