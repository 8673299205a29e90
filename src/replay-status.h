/* msdns-agent-replay status: fetch the agent's /status over HTTP and print it as a short table. */
#ifndef MSDNS_REPLAY_STATUS_H
#define MSDNS_REPLAY_STATUS_H

#include <stddef.h>
#include <stdio.h>

/* Exit statuses. */
enum { STATUS_OK = 0, STATUS_UNHEALTHY = 1, STATUS_NO_ANSWER = 2, STATUS_USAGE = 64 };

/* The command line after "status": --server IP, --port N, --timeout S, --json. Returns an exit status. */
int replay_status_main(int argc, char **argv);
/* Print the /status document doc[0..len) as a table to out. Returns STATUS_OK when healthy,
 * STATUS_UNHEALTHY when not, STATUS_NO_ANSWER when doc is not a status document. */
int replay_status_print(FILE *out, const char *doc, size_t len);

#endif
