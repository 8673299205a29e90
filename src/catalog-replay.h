/* msdns-agent-replay catalog: transfer a catalog and print what the agent makes of it, changing nothing. */
#ifndef MSDNS_CATALOG_REPLAY_H
#define MSDNS_CATALOG_REPLAY_H

/* Exit statuses of the catalog command. */
enum { CATALOG_REPLAY_VALID = 0, CATALOG_REPLAY_BROKEN = 1, CATALOG_REPLAY_NO_TRANSFER = 2,
	CATALOG_REPLAY_USAGE = 64 };

/* Run "catalog NAME [options]" (argv[0] is "catalog"). Returns the exit status. */
int catalog_replay_main(int argc, char **argv);

#endif
