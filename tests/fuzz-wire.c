/* Fuzz target: any bytes through the parser, the protocol decision, the reply builder and the printer. */
#include <stdint.h>
#include <stdio.h>

#include "agent.h"
#include "config.h"
#include "replay.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	static FILE *sink;
	struct wire_msg m;
	struct agent_verdict v;
	struct netaddr peer;
	uint8_t out[WIRE_OUR_PAYLOAD];
	int ok = wire_parse(data, size, &m) == 0;

	if (sink == NULL) {
		config_defaults(&cfg);
		sink = tmpfile();
	}
	netaddr_parse_ip("192.0.2.1", &peer);
	agent_classify(&cfg, ok ? &m : NULL, &peer, &v);
	if (ok && v.kind != AGENT_DROP && wire_build_reply(&m, WIRE_RCODE_REFUSED, 1, out, sizeof out) == 0)
		__builtin_trap();   /* every accepted request fits a reply */
	if (sink) {
		rewind(sink);
		replay_print(sink, data, size);
	}
	return 0;
}
