"""End to end under Designate 2025.1 (trixie's 20.0.0, in the chroot): msdns-agent consumes the pool's catalog zone.

The pool's target is `fake` with options host/port = the agent, so the real worker's NOTIFYs (for
the catalog on every member create/delete, for a member on its update) go to the agent, which must
answer them. Checked: the replay tool reads Designate's real catalog; zones created through the API
appear on "Microsoft DNS" (the simulator's state) within seconds and go ACTIVE; no NOTIFY of the
worker goes unanswered; a recordset added reaches the agent as a member NOTIFY and starts a Refresh;
a deleted zone disappears; a restart of the agent (with changes made while it was down) loses
nothing; 200 zones created at once all arrive, and the time until the last is present is reported.
"""
import concurrent.futures
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Agent, Designate, check, require_catalog_consumer, check_readme, free_port, require, run, say, wait_for, workdir  # noqa: E402

CATALOG = 'catalog.example.'
BULK = int(os.environ.get('DESIGNATE_BULK_ZONES', '200'))


def main():
    require('2025.1')
    check_readme('pools-2025.1.yaml')
    work = workdir('2025.1')
    say('work directory ' + work)
    agent_port = free_port()
    d = Designate('2025.1', work, 'pools-2025.1.yaml', agent_port=agent_port, catalog=CATALOG)
    agent = Agent(work, agent_port, masters='127.0.0.1:%d' % d.mdns_port,
                  catalog=(CATALOG, '127.0.0.1:%d' % d.mdns_port))
    present = lambda names: all(n in agent.zones() for n in names)  # noqa: E731
    try:
        agent.start()
        d.start()
        require_catalog_consumer(agent)
        api = d.api

        # The agent's own transfer code against the real catalog (the replay tool, changing nothing).
        z0 = api.create_zone('first.example.')
        r = subprocess.run([os.environ['MSDNS_REPLAY'], 'catalog', CATALOG, '--server', '127.0.0.1',
                            '--port', str(d.mdns_port), '--timeout', '20'], capture_output=True, text=True, timeout=60)
        say('replay catalog:\n' + r.stdout.strip())
        check(r.returncode == 0 and 'first.example' in r.stdout,
              "msdns-agent-replay reads Designate's catalog as valid, with its member")

        # Create: members appear on Microsoft DNS; the worker's NOTIFYs are answered; zones go ACTIVE.
        names = ['a.example', 'b.example', 'c.example']
        t = time.monotonic()
        zones = {n: api.create_zone(n + '.') for n in names}
        zones['first.example'] = z0
        wait_for(lambda: present(names + ['first.example']), 60, 'the members on Microsoft DNS')
        say('4 members on Microsoft DNS %.1f s after the create requests' % (time.monotonic() - t))
        for n, z in zones.items():
            api.wait_status(z['id'], 'ACTIVE', 60)
        say('and ACTIVE after %.1f s' % (time.monotonic() - t))
        ms = agent.zones()
        for n in zones:
            check(ms[n]['type'] == 'Secondary' and ms[n]['masters'] == '127.0.0.1',
                  '%s is a secondary of mDNS on Microsoft DNS' % n)
        check('Timeout on NOTIFY' not in d.text(), "no NOTIFY of Designate's worker went unanswered")
        check('Sent NOTIFY to host=127.0.0.1:%d for zone_name=%s' % (agent_port, CATALOG) in d.text(),
              "the worker sent its catalog NOTIFYs to the agent")
        check('NOTIFY catalog.example from 127.0.0.1' in agent.text(), "the agent answered the worker's catalog NOTIFYs")

        # Update: a recordset -> the worker's NOTIFY for the member -> a Refresh (zone transfer).
        a = zones['a.example']
        refresh0 = agent.count('Refresh', 'a.example')
        api.add_recordset(a['id'], 'www.a.example.', 'A', ['192.0.2.10'])
        wait_for(lambda: agent.count('Refresh', 'a.example') > refresh0, 60, 'a Refresh of a.example after the update')
        check(True, 'the recordset update reached the agent as a member NOTIFY and started a Refresh')
        api.wait_status(a['id'], 'ACTIVE', 60)

        # Delete: the member leaves the catalog and Microsoft DNS.
        t = time.monotonic()
        api.delete_zone(zones['b.example']['id'])
        wait_for(lambda: 'b.example' not in agent.zones(), 60, 'b.example to leave Microsoft DNS')
        say('b.example gone from Microsoft DNS %.1f s after the API request' % (time.monotonic() - t))
        # the zone leaves Microsoft DNS before the operation's end is recorded: wait for the record
        wait_for(lambda: ('Delete', 'b.example', 0) in agent.calls(), 30, 'the end of the Delete of b.example')
        check(('Delete', 'b.example', 0) in agent.calls(), 'a Delete run exited 0')
        check(present(['a.example', 'c.example', 'first.example']), 'the other members stay')

        # Restart: the agent is stopped, a member is added and one removed meanwhile; after the
        # restart both changes are applied, nothing else changes, and ownership survived (a member
        # deleted afterwards is still deleted).
        kept = ['a.example', 'first.example']
        mtime = {n: os.stat(agent.zone_file(n)).st_mtime_ns for n in kept}
        deletes0 = agent.count('Delete')
        agent.stop()
        zones['d.example'] = api.create_zone('d.example.')
        api.delete_zone(zones['c.example']['id'])
        wait_for(lambda: not any(z['name'] == 'c.example.' and z['action'] != 'DELETE' for z in api.zones()), 30,
                 'c.example pending delete in Designate')
        agent.start()
        wait_for(lambda: 'd.example' in agent.zones() and 'c.example' not in agent.zones(), 90,
                 'the changes made while the agent was down')
        wait_for(lambda: agent.count('Delete') > deletes0 and ('Create', 'd.example', 0) in agent.calls(), 30,
                 'the end of the Delete of c.example and the Create of d.example')
        check(present(kept) and all(os.stat(agent.zone_file(n)).st_mtime_ns == mtime[n]
                                    for n in kept),
              'the members from before the restart are still there, not recreated')
        check(agent.count('Delete') - deletes0 == 1, 'the restart deleted exactly the one removed member')
        api.delete_zone(zones['first.example']['id'])
        wait_for(lambda: 'first.example' not in agent.zones(), 60, 'first.example deleted after the restart')
        check(True, 'ownership survived the restart: a member created before it is deleted after it')

        # 200 zones created at once (8 API clients in parallel).
        bulk = ['bulk%03d.example' % i for i in range(BULK)]
        t = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            ids = list(ex.map(lambda n: api.create_zone(n + '.')['id'], bulk))
        t_api = time.monotonic() - t
        wait_for(lambda: present(bulk), 900, 'all %d zones on Microsoft DNS' % BULK, interval=0.5)
        t_all = time.monotonic() - t
        say('FIGURE: %d zones created through the API in %.1f s; the last present on Microsoft DNS %.1f s after the first request'
            % (BULK, t_api, t_all))
        check(all(agent.zones()[n]['type'] == 'Secondary' for n in bulk), 'all %d bulk zones arrived as secondaries' % BULK)
        wait_for(lambda: sum(1 for z in api.zones() if z['name'].startswith('bulk') and z['status'] == 'ACTIVE') == BULK,
                 900, 'all %d bulk zones ACTIVE' % BULK, interval=2)
        check(True, 'all %d bulk zones ACTIVE in Designate' % BULK)
        check(d.proc.alive() and agent.proc.alive(), 'Designate and the agent are still running')
        agent.check_answers()
        del ids
    finally:
        agent.stop()
        d.cleanup()
        say('logs: %s, %s' % (d.log, agent.log))


if __name__ == '__main__':
    run(main)
