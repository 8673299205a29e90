"""The upgrade path: zones Designate 2022.2 created through the agent protocol are adopted, not recreated,
when the same agent (same Microsoft DNS) is pointed at a Designate 2025.1 catalog listing them.

2022.2 (host) creates the zones through the agent protocol; it is stopped. 2025.1 (chroot, on the
same loopback address, so the zones' masters stay 127.0.0.1) gets the same zones through its API;
the agent restarts with a [catalog:NAME] section. Adopted means: no Delete of them ever, the zone
records on Microsoft DNS unchanged (serial kept), the catalog's Create answered "done" without a
new zone; and owned from then on: a zone deleted in 2025.1 is deleted from Microsoft DNS.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Agent, Designate, check, require_catalog_consumer, free_port, require, run, say, wait_for, workdir  # noqa: E402

CATALOG = 'catalog.example.'
NAMES = ['u1.example', 'u2.example', 'u3.example']


def main():
    require('2022.2')
    require('2025.1')
    work = workdir('upgrade')
    say('work directory ' + work)
    agent_port = free_port()

    old = Designate('2022.2', work, 'pools-2022.2.yaml', agent_port=agent_port)
    agent = Agent(work, agent_port, masters='127.0.0.1:%d' % old.mdns_port)
    new = None
    try:
        agent.start()
        old.start()
        for n in NAMES:
            z = old.api.create_zone(n + '.')
            old.api.wait_status(z['id'], 'ACTIVE', 90)
        wait_for(lambda: all(agent.count('Refresh', n) >= 1 for n in NAMES), 30, 'the NOTIFYs after CREATE')
        before = {n: agent.zones()[n] for n in NAMES}
        mtime = {n: zone_file_mtime(agent, n) for n in NAMES}
        check(all(z['type'] == 'Secondary' and z['masters'] == '127.0.0.1' and z['serial'] for z in before.values()),
              'Designate 2022.2 created %s through the agent protocol' % NAMES)
        old.stop()
        agent.stop()
        calls_before = len(agent.calls())

        new = Designate('2025.1', work, 'pools-2025.1.yaml', agent_port=agent_port, catalog=CATALOG)
        agent = Agent(work, agent_port, masters='127.0.0.1:%d' % new.mdns_port,
                      catalog=(CATALOG, '127.0.0.1:%d' % new.mdns_port))
        mark = len(agent.text())
        agent.start()
        require_catalog_consumer(agent)
        new.start()
        t = time.monotonic()
        ids = {n: new.api.create_zone(n + '.')['id'] for n in NAMES}
        for n in NAMES:
            new.api.wait_status(ids[n], 'ACTIVE', 60)
        after_calls = lambda: agent.calls()[calls_before:]  # noqa: E731
        wait_for(lambda: all(('Create', n, 0) in after_calls() for n in NAMES), 60, "the catalog's Create of each zone")
        say('adopted %.1f s after the creates in 2025.1' % (time.monotonic() - t))
        check(not any(c[0] == 'Delete' for c in agent.calls()), 'no zone was deleted at any point')
        check(all(agent.saw_fact('Create', n, 'result=exists', since=mark) for n in NAMES),
              "the catalog's Create found each zone already there as ours (result=exists)")
        now = agent.zones()
        for n in NAMES:
            check(now[n]['type'] == 'Secondary' and int(now[n]['serial']) >= int(before[n]['serial'])
                  and now[n]['zonefile'] == before[n]['zonefile'] and zone_file_mtime(agent, n) == mtime[n],
                  '%s kept its zone on Microsoft DNS (serial %s -> %s), not recreated' % (n, before[n]['serial'], now[n]['serial']))

        new.api.delete_zone(ids['u1.example'])
        wait_for(lambda: 'u1.example' not in agent.zones(), 60, 'u1.example deleted through the catalog')
        check(present(agent, ['u2.example', 'u3.example']), 'the adopted zones are owned: one deleted in 2025.1 is deleted, the others stay')
        agent.check_answers()
    finally:
        agent.stop()
        old.cleanup()
        if new:
            new.cleanup()
        say('logs in ' + work)


def zone_file_mtime(agent, name):
    """The simulator's zone file (written when a zone is created): unchanged = not recreated."""
    return os.stat(agent.zone_file(name)).st_mtime_ns


def present(agent, names):
    z = agent.zones()
    return all(n in z for n in names)


if __name__ == '__main__':
    run(main)
