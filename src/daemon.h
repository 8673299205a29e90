/* The running agent: event loop, backend, queue, protocol and sockets, and their orderly stop. */
#ifndef MSDNS_DAEMON_H
#define MSDNS_DAEMON_H

struct config;
struct event_base;
struct daemon;

/* Build every part from cfg and bind the sockets. Returns NULL on failure (logged). */
struct daemon *daemon_new(const struct config *cfg);
struct event_base *daemon_base(struct daemon *d);
/* Run the event loop until daemon_stop() has finished. Returns 0, or 1 when in-flight work had to be
 * abandoned at the stop deadline. */
int daemon_run(struct daemon *d);
/* Stop accepting, answer what is in flight (bounded by operation_timeout), then end daemon_run(); a
 * second call abandons what is still in flight at once. Safe from any thread once threading is on. */
void daemon_stop(struct daemon *d);
void daemon_free(struct daemon *d);
/* The longest a stop takes with cfg (ms): operation_timeout, the grace before abandoning, the grace to
 * flush replies, and a margin. The daemon keeps to it; the SCM flow announces it as the wait hint. */
unsigned long daemon_stop_budget_ms(const struct config *cfg);

#endif
