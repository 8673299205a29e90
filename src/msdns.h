/* The PowerShell contract (docs/powershell-contract.md): command lines, worker lines, exit codes (pure). */
#ifndef MSDNS_MSDNS_H
#define MSDNS_MSDNS_H

#include <stddef.h>

#include "zoneop.h"

#define MSDNS_ARGV_MAX 24
#define MSDNS_LINE_MAX 1024      /* a request line fits; longer worker lines are not the contract's */

/* The script's exit codes: the one definition (the simulator tests/pssim.c uses it too). */
enum msdns_exit {
	MSDNS_EXIT_OK = 0,           /* done (Get: present; List: the zones were printed) */
	MSDNS_EXIT_FAILED = 1,       /* anything else */
	MSDNS_EXIT_ABSENT = 2,       /* the zone does not exist */
	MSDNS_EXIT_NOT_OURS = 3,     /* present but not a file-backed secondary of the masters */
	MSDNS_EXIT_BAD_ARGS = 4,     /* the script rejected its arguments */
	MSDNS_EXIT_UNREACHABLE = 5,  /* DNS Server unreachable or access denied */
};

/* What runs the script: pointers into the caller's configuration. */
struct msdns_program {
	const char *powershell;
	const char *script;
	const char *execution_policy;
};

/* Fill argv (NULL-terminated, pointing into p, op and masters) with the command line running op once;
 * masters: the comma-separated IPs to pass for Create/Delete ("" = none). Returns the argument count. */
size_t msdns_argv(const struct msdns_program *p, const struct zoneop *op, const char *masters,
    const char *argv[MSDNS_ARGV_MAX]);
/* Fill argv with the command line of a persistent worker (-Serve). Returns the argument count. */
size_t msdns_serve_argv(const struct msdns_program *p, const char *argv[MSDNS_ARGV_MAX]);
/* Write the worker request line for op with seq ("<seq> <Operation> <zone|-> <masters|-> <flags|->\n",
 * masters as for msdns_argv). Returns its length, or 0 when it does not fit in len or a field is not
 * acceptable (a space or control character, seq out of 1..2^31). */
size_t msdns_request_line(char *out, size_t len, unsigned long seq, const struct zoneop *op, const char *masters);

enum msdns_line_kind {
	MSDNS_LINE_READY,    /* "msdns-ready 1" */
	MSDNS_LINE_FACT,     /* "<seq> fact <text>": seq and text set */
	MSDNS_LINE_EXIT,     /* "<seq> exit <code>": seq and code set */
	MSDNS_LINE_BAD,      /* "<seq> exit ..." or "<seq> fact" malformed: a protocol break */
	MSDNS_LINE_STRAY,    /* anything else: logged, never an answer */
};

struct msdns_line {
	enum msdns_line_kind kind;
	unsigned long seq;
	int code;
	const char *text;    /* FACT: into the parsed line, not NUL-terminated */
	size_t text_len;
};

/* Classify one worker stdout line (without its LF; a trailing CR is ignored). */
void msdns_parse_line(const char *line, size_t len, struct msdns_line *out);
struct msdns_zone {              /* one List fact, parsed */
	char name[ZONE_NAME_MAX];    /* lower case, no trailing dot */
	char type[12];               /* Primary, Secondary, Stub, Forwarder */
	int ds_integrated;
	char masters[512];           /* comma-separated IPs, "" when none */
};

/* Parse a List fact ("zone=<name> type=<type> ds=<0|1> masters=<ip,ip|->", fields in any order) into z.
 * Returns 0, or -1 when a field is missing, repeated, unknown or not acceptable. */
int msdns_parse_zone(const char *text, size_t len, struct msdns_zone *z);
/* Parse a List fact and append its zone to *l (created on the first zone). Returns NULL, or why the List's
 * output cannot be used (a bad line, more than ZONEOP_LIST_MAX zones, out of memory). */
const char *msdns_list_fact(struct zoneop_list **l, const char *text, size_t len);
/* The result of the script's exit code; *why is a sentence for the log, or NULL. */
enum zoneop_result msdns_exit_result(long code, const char **why);

#endif
