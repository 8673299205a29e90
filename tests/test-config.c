/* Tests of the config module: every key, every error with file:line, designate.conf compatibility. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "testutil.h"

static char errbuf[8192];

/* Load text; the problems printed land in errbuf. Returns the error count. */
static int
load(struct config *c, const char *text)
{
	FILE *f = tmpfile();
	size_t n;
	int rc;

	ck_assert_ptr_nonnull(f);
	rc = config_load_string(c, text, "t.conf", f);
	rc += config_validate(c, "t.conf", f);
	rewind(f);
	n = fread(errbuf, 1, sizeof errbuf - 1, f);
	errbuf[n] = '\0';
	fclose(f);
	return rc;
}

#define ck_assert_err_has(s) ck_assert_msg(strstr(errbuf, s) != NULL, "'%s' not in: %s", s, errbuf)

START_TEST(defaults)
{
	struct config c;
	char t[64];

	ck_assert_int_eq(load(&c, "[service:agent]\nmasters = 192.0.2.1\n"), 0);
	ck_assert_str_eq(errbuf, "");
	ck_assert_uint_eq(c.agent.n_listen, 1);
	ck_assert_str_eq(netaddr_text(&c.agent.listen[0], t, sizeof t), "0.0.0.0:5358");
	ck_assert_int_eq(c.agent.tcp_backlog, 100);
	ck_assert(c.agent.tcp_recv_timeout == 0.5);
	ck_assert(c.agent.notify_delay == 0);
	ck_assert_int_eq(c.agent.backend_driver, CONFIG_BACKEND_MSDNS);
	ck_assert_str_eq(c.msdns.execution_policy, "RemoteSigned");
	ck_assert_int_eq(c.msdns.delete_unmanaged_zones, 0);
	ck_assert_int_eq(c.msdns.max_concurrent, 4);
	ck_assert_uint_eq(c.agent.n_masters, 1);
	ck_assert_uint_eq(c.agent.masters[0].port, 53);
}
END_TEST

START_TEST(every_key)
{
	struct config c;
	char t[64];
	const char *text =
	    "[DEFAULT]\n"
	    "debug = True\n"
	    "log_file = C:\\ProgramData\\msdns-agent\\agent.log\n"
	    "policy_file = C:\\etc\\designate\\policy.json\n"
	    "[service:agent]\n"
	    "listen = 127.0.0.1:5400, [::1]:5401 , 10.0.0.1\n"
	    "masters = 192.0.2.1:53, [2001:db8::1]:53\n"
	    "allow_notify = 192.0.2.1, 198.51.100.0/24, 2001:db8::/32\n"
	    "notify_delay = 2.5\n"
	    "tcp_backlog = 50\n"
	    "tcp_recv_timeout = 1.5\n"
	    "tcp_max_connections = 10\n"
	    "transfer_source = 192.0.2.9\n"
	    "backend_driver = fake\n"
	    "[backend:agent:msdns]\n"
	    "powershell = C:\\Program Files\\PowerShell\\powershell.exe\n"
	    "script = C:\\msdns agent\\msdns-zone.ps1\n"
	    "execution_policy = bypass\n"
	    "operation_timeout = 30\n"
	    "max_concurrent = 8\n"
	    "max_queued = 5000\n"
	    "delete_unmanaged_zones = yes\n"
	    "[storage:sqlalchemy]\n"
	    "connection = mysql+pymysql://designate:secret@localhost/designate\n";

	ck_assert_int_eq(load(&c, text), 0);
	ck_assert_str_eq(errbuf, "");
	ck_assert_int_eq(c.def.debug, 1);
	ck_assert_str_eq(c.def.log_file, "C:\\ProgramData\\msdns-agent\\agent.log");
	ck_assert_uint_eq(c.agent.n_listen, 3);
	ck_assert_str_eq(netaddr_text(&c.agent.listen[0], t, sizeof t), "127.0.0.1:5400");
	ck_assert_str_eq(netaddr_text(&c.agent.listen[1], t, sizeof t), "[::1]:5401");
	ck_assert_str_eq(netaddr_text(&c.agent.listen[2], t, sizeof t), "10.0.0.1:5358");
	ck_assert_uint_eq(c.agent.n_masters, 2);
	ck_assert_str_eq(netaddr_text(&c.agent.masters[1], t, sizeof t), "[2001:db8::1]:53");
	ck_assert_uint_eq(c.agent.n_allow_notify, 3);
	ck_assert_uint_eq(c.agent.allow_notify[1].bits, 24);
	ck_assert(c.agent.notify_delay == 2.5);
	ck_assert_int_eq(c.agent.tcp_backlog, 50);
	ck_assert(c.agent.tcp_recv_timeout == 1.5);
	ck_assert_int_eq(c.agent.tcp_max_connections, 10);
	ck_assert_str_eq(c.agent.transfer_source, "192.0.2.9");
	ck_assert_int_eq(c.agent.backend_driver, CONFIG_BACKEND_FAKE);
	ck_assert_str_eq(c.msdns.powershell, "C:\\Program Files\\PowerShell\\powershell.exe");
	ck_assert_str_eq(c.msdns.script, "C:\\msdns agent\\msdns-zone.ps1");
	ck_assert_str_eq(c.msdns.execution_policy, "Bypass");
	ck_assert(c.msdns.operation_timeout == 30);
	ck_assert_int_eq(c.msdns.max_concurrent, 8);
	ck_assert_int_eq(c.msdns.max_queued, 5000);
	ck_assert_int_eq(c.msdns.delete_unmanaged_zones, 1);
}
END_TEST

struct bad {
	const char *text;
	const char *message;   /* expected in the output, with file:line */
};

static const struct bad bad_values[] = {
	{ "[service:agent]\nlisten = 127.0.0.1:99999\n", "t.conf:2: error: listen: '127.0.0.1:99999'" },
	{ "[service:agent]\nlisten = localhost:5358\n", "t.conf:2: error: listen: 'localhost:5358'" },
	{ "[service:agent]\nlisten = ,\n", "t.conf:2: error: listen: empty list" },
	{ "[service:agent]\n\nmasters = 192.0.2.1:x\n", "t.conf:3: error: masters: '192.0.2.1:x'" },
	{ "[service:agent]\nallow_notify = 10.0.0.0/33\n", "t.conf:2: error: allow_notify: '10.0.0.0/33'" },
	{ "[service:agent]\nallow_notify = 10.0.0.1, bad\n", "t.conf:2: error: allow_notify: 'bad'" },
	{ "[service:agent]\nnotify_delay = -1\n", "t.conf:2: error: notify_delay: '-1'" },
	{ "[service:agent]\nnotify_delay = 1s\n", "t.conf:2: error: notify_delay: '1s'" },
	{ "[service:agent]\ntcp_backlog = 0\n", "t.conf:2: error: tcp_backlog: '0'" },
	{ "[service:agent]\ntcp_recv_timeout = 0\n", "t.conf:2: error: tcp_recv_timeout: '0'" },
	{ "[service:agent]\ntcp_max_connections = many\n", "t.conf:2: error: tcp_max_connections: 'many'" },
	{ "[service:agent]\ntransfer_source = host\n", "t.conf:2: error: transfer_source: 'host'" },
	{ "[service:agent]\nbackend_driver = bind9\n", "t.conf:2: error: backend_driver: 'bind9'" },
	{ "[service:agent]\nhost = ::x\n", "t.conf:2: error: host: '::x'" },
	{ "[service:agent]\nport = 70000\n", "t.conf:2: error: port: '70000'" },
	{ "[DEFAULT]\ndebug = maybe\n", "t.conf:2: error: debug: 'maybe'" },
	{ "[backend:agent:msdns]\nexecution_policy = Open\n", "t.conf:2: error: execution_policy: 'Open'" },
	{ "[backend:agent:msdns]\noperation_timeout = 0\n", "t.conf:2: error: operation_timeout: '0'" },
	{ "[backend:agent:msdns]\nmax_concurrent = 0\n", "t.conf:2: error: max_concurrent: '0'" },
	{ "[backend:agent:msdns]\nmax_concurrent = 65\n", "t.conf:2: error: max_concurrent: '65'" },
	{ "[backend:agent:msdns]\nmax_queued = 1e3\n", "t.conf:2: error: max_queued: '1e3'" },
	{ "[backend:agent:msdns]\ndelete_unmanaged_zones = 2\n", "t.conf:2: error: delete_unmanaged_zones: '2'" },
	{ "[service:agent]\nbackend_driver = fake\n[broken\n", "t.conf:3: error: syntax error" },
	{ "[service:agent]\nbackend_driver = fake\njust words\n", "t.conf:3: error: syntax error" },
	{ "[service:agent]\nbackend_driver = msdns\n", "t.conf: error: [service:agent] masters: Missing agent AXFR masters" },
};

START_TEST(bad_value)
{
	struct config c;
	const struct bad *b = &bad_values[_i];

	ck_assert_int_ge(load(&c, b->text), 1);
	ck_assert_err_has(b->message);
}
END_TEST

START_TEST(warnings_do_not_fail)
{
	struct config c;

	ck_assert_int_eq(load(&c, "[service:agent]\nbackend_driver = fake\nbogus = 1\nworkers = 4\n"
	    "masters = 192.0.2.1:5354\n[backend:agent:msdns]\nfoo = bar\n"), 0);
	ck_assert_err_has("t.conf:3: warning: unknown key 'bogus' in [service:agent]");
	ck_assert_err_has("t.conf:4: warning: workers: has no effect");
	ck_assert_err_has("t.conf:5: warning: masters: '192.0.2.1:5354': Microsoft DNS transfers zones from port 53");
	ck_assert_err_has("t.conf:7: warning: unknown key 'foo' in [backend:agent:msdns]");
}
END_TEST

START_TEST(deprecated_host_port)
{
	struct config c;
	char t[64];

	ck_assert_int_eq(load(&c, "[service:agent]\nbackend_driver = fake\nlisten = 10.0.0.1:1\n"
	    "host = 127.0.0.2\nport = 5400\n"), 0);
	ck_assert_err_has("t.conf:4: warning: host: deprecated");
	ck_assert_uint_eq(c.agent.n_listen, 1);
	ck_assert_str_eq(netaddr_text(&c.agent.listen[0], t, sizeof t), "127.0.0.2:5400");
	ck_assert_int_eq(load(&c, "[service:agent]\nbackend_driver = fake\nport = 5400\n"), 0);
	ck_assert_str_eq(netaddr_text(&c.agent.listen[0], t, sizeof t), "0.0.0.0:5400");
}
END_TEST

START_TEST(long_lines)
{
	struct config c;
	char text[4096];
	size_t o;

	/* a long line in another section is none of our business */
	o = (size_t)snprintf(text, sizeof text, "[service:agent]\nbackend_driver = fake\n[oslo_messaging]\nurl = ");
	memset(text + o, 'x', 1000);
	o += 1000;
	snprintf(text + o, sizeof text - o, "\n[service:agent]\ntcp_backlog = 7\n");
	ck_assert_msg(load(&c, text) == 0, "errors: %s", errbuf);
	ck_assert_int_eq(c.agent.tcp_backlog, 7);
	/* in ours it is an error with its line */
	o = (size_t)snprintf(text, sizeof text, "[service:agent]\nbackend_driver = fake\nallow_notify = ");
	while (o < 1500)
		o += (size_t)snprintf(text + o, sizeof text - o, "192.0.2.1,");
	snprintf(text + o, sizeof text - o, "\n");
	ck_assert_int_ge(load(&c, text), 1);
	ck_assert_err_has("t.conf:3: error: allow_notify: line too long");
}
END_TEST

START_TEST(allow_notify_matching)
{
	struct config c;
	struct netaddr a;

	ck_assert_int_eq(load(&c, "[service:agent]\nbackend_driver = fake\n"), 0);
	netaddr_parse_ip("6.6.6.6", &a);
	ck_assert_int_eq(config_allowed(&c, &a), 1);   /* empty list: everyone */
	ck_assert_int_eq(load(&c, "[service:agent]\nbackend_driver = fake\n"
	    "allow_notify = 0.0.0.0, 198.51.100.0/25, 2001:db8::/32\n"), 0);
	ck_assert_int_eq(config_allowed(&c, &a), 0);
	netaddr_parse_ip("0.0.0.0", &a);
	ck_assert_int_eq(config_allowed(&c, &a), 1);   /* plain IPs are exact matches */
	netaddr_parse_ip("0.0.0.1", &a);
	ck_assert_int_eq(config_allowed(&c, &a), 0);
	netaddr_parse_ip("198.51.100.127", &a);
	ck_assert_int_eq(config_allowed(&c, &a), 1);
	netaddr_parse_ip("198.51.100.128", &a);
	ck_assert_int_eq(config_allowed(&c, &a), 0);
	netaddr_parse_ip("::ffff:198.51.100.1", &a);
	ck_assert_int_eq(config_allowed(&c, &a), 1);   /* IPv4-mapped */
	netaddr_parse_ip("2001:db8:ffff::1", &a);
	ck_assert_int_eq(config_allowed(&c, &a), 1);
	netaddr_parse_ip("2001:db9::1", &a);
	ck_assert_int_eq(config_allowed(&c, &a), 0);
}
END_TEST

START_TEST(missing_file)
{
	struct config c;
	FILE *f = tmpfile();
	size_t n;

	ck_assert_int_eq(config_load(&c, "/nonexistent/msdns-agent.conf", f), 1);
	rewind(f);
	n = fread(errbuf, 1, sizeof errbuf - 1, f);
	errbuf[n] = '\0';
	fclose(f);
	ck_assert_err_has("/nonexistent/msdns-agent.conf: error: cannot open");
}
END_TEST

/* metrics_listen: empty is off; an address needs a port. */
START_TEST(metrics_listen_values)
{
	struct config c;
	FILE *f = tmpfile();
	static const char *const bad[] = { "127.0.0.1", "localhost:9358", "127.0.0.1:0", "[::1]", "1.2.3.4:99999" };
	size_t i;

	ck_assert_int_eq(config_load_string(&c, "[service:agent]\nmetrics_listen = 127.0.0.1:9358\n", "m.conf", f), 0);
	ck_assert_int_eq(c.agent.metrics_listen_set, 1);
	ck_assert_uint_eq(c.agent.metrics_listen.port, 9358);
	ck_assert_int_eq(config_load_string(&c, "[service:agent]\nmetrics_listen = [::1]:19358\n", "m.conf", f), 0);
	ck_assert_int_eq(c.agent.metrics_listen.family, AF_INET6);
	ck_assert_int_eq(config_load_string(&c, "[service:agent]\nmetrics_listen =\n", "m.conf", f), 0);
	ck_assert_int_eq(c.agent.metrics_listen_set, 0);
	ck_assert_int_eq(config_load_string(&c, "[service:agent]\n", "m.conf", f), 0);
	ck_assert_int_eq(c.agent.metrics_listen_set, 0);
	fclose(f);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[128], want[160];
		size_t n;

		f = tmpfile();
		snprintf(text, sizeof text, "[service:agent]\n\nmetrics_listen = %s\n", bad[i]);
		ck_assert_int_eq(config_load_string(&c, text, "m.conf", f), 1);
		rewind(f);
		n = fread(errbuf, 1, sizeof errbuf - 1, f);
		errbuf[n] = '\0';
		fclose(f);
		snprintf(want, sizeof want, "m.conf:3: error: metrics_listen: '%s' is not", bad[i]);
		ck_assert_msg(strstr(errbuf, want) != NULL, "%s", errbuf);
	}
}
END_TEST

/* etc/msdns-agent.conf.sample parses cleanly and names every key the parser knows. */
START_TEST(sample_documents_every_key)
{
	static const char *const keys[] = { "debug", "log_file", "listen", "host", "port", "masters", "allow_notify",
		"notify_delay", "tcp_backlog", "tcp_recv_timeout", "tcp_max_connections", "transfer_source",
		"backend_driver", "powershell", "script", "execution_policy", "operation_timeout", "max_concurrent",
		"max_queued", "delete_unmanaged_zones", "metrics_listen" };
	struct config c;
	FILE *f = tmpfile();
	char *text = tu_read_file(tu_program("MSDNS_SAMPLE"));
	size_t i;

	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(config_load(&c, tu_program("MSDNS_SAMPLE"), f) + config_validate(&c, "sample", f), 0);
	fclose(f);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char needle[64];

		snprintf(needle, sizeof needle, "\n#%s = ", keys[i]);
		if (strstr(text, needle) == NULL)
			snprintf(needle, sizeof needle, "\n%s = ", keys[i]);
		ck_assert_msg(strstr(text, needle) != NULL, "the sample does not document %s", keys[i]);
	}
	free(text);
}
END_TEST

/* The sample is what the key table writes: documentation and defaults cannot drift from the parser. */
START_TEST(sample_is_the_table)
{
	char *text = tu_read_file(tu_program("MSDNS_SAMPLE")), *gen;
	FILE *f = tmpfile();
	struct config c;
	long n;

	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(f);
	config_write_sample(f);
	n = ftell(f);
	ck_assert_int_gt(n, 0);
	gen = calloc(1, (size_t)n + 1);
	rewind(f);
	ck_assert_uint_eq(fread(gen, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	ck_assert_msg(strcmp(text, gen) == 0, "etc/msdns-agent.conf.sample differs from the table's sample "
	    "(regenerate it with msdns-agent --sample-config):\n%s", gen);
	ck_assert_int_eq(config_defaults(&c), 0);
	/* the table's defaults are what the parser makes of the sample's commented values */
	ck_assert_int_eq(c.msdns.max_concurrent, 4);
	ck_assert_int_eq(c.agent.backend_driver, CONFIG_BACKEND_MSDNS);
	ck_assert_str_eq(c.msdns.execution_policy, "RemoteSigned");
	free(gen);
	free(text);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_key);
	tcase_add_loop_test(tc, bad_value, 0, (int)(sizeof bad_values / sizeof bad_values[0]));
	tcase_add_test(tc, warnings_do_not_fail);
	tcase_add_test(tc, deprecated_host_port);
	tcase_add_test(tc, long_lines);
	tcase_add_test(tc, allow_notify_matching);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, metrics_listen_values);
	tcase_add_test(tc, sample_documents_every_key);
	tcase_add_test(tc, sample_is_the_table);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
