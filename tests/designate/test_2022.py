"""End to end under Designate 2022.2 (bookworm's 15.0.2): the real worker drives msdns-agent over the agent protocol.

CREATE and DELETE come from Designate's own agent backend, NOTIFY from its worker; Microsoft DNS is
the PowerShell simulator's state. Checked: zones go ACTIVE and exist as our secondaries; a recordset
added through the API reaches the agent as a NOTIFY and starts a Refresh; a DELETE the worker counts
as done (its debug line: Designate 15 marks the zone DELETED whatever the agent answered) removes the
zone; a zone that is not ours is refused and survives Designate's delete.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Agent, Designate, check, check_readme, free_port, require, run, say, wait_for, workdir  # noqa: E402


def main():
    require('2022.2')
    check_readme('pools-2022.2.yaml')
    work = workdir('2022.2')
    say('work directory ' + work)
    agent_port = free_port()
    d = Designate('2022.2', work, 'pools-2022.2.yaml', agent_port=agent_port)
    agent = Agent(work, agent_port, masters='127.0.0.1:%d' % d.mdns_port)
    # A primary zone that already exists on Microsoft DNS: not ours, whatever Designate asks.
    os.makedirs(os.path.join(agent.state, 'zones'), exist_ok=True)
    with open(os.path.join(agent.state, 'zones', 'primary.example'), 'w') as f:
        f.write('type=Primary\nmasters=\ndsintegrated=false\nserial=7\nzonefile=primary.example.dns\n')
    try:
        agent.start()
        d.start()
        api = d.api

        # Create: the worker's CREATE, then its NOTIFY; the SOA poll of mDNS makes the zone ACTIVE.
        names = ['a.example', 'b.example', 'c.example']
        t = time.monotonic()
        zones = {n: api.create_zone(n + '.') for n in names}
        for n in names:
            api.wait_status(zones[n]['id'], 'ACTIVE', 90)
        say('3 zones ACTIVE %.1f s after the create requests' % (time.monotonic() - t))
        ms = agent.zones()
        for n in names:
            z = ms.get(n)
            check(z is not None and z['type'] == 'Secondary' and z['masters'] == '127.0.0.1',
                  '%s is on Microsoft DNS as a secondary of mDNS (%s)' % (n, z))
            check(agent.count('Create', n) >= 1 and ('Create', n, 0) in agent.calls(),
                  '%s was created by a Create run that exited 0' % n)
            wait_for(lambda: agent.count('Refresh', n) >= 1, 30, 'the NOTIFY after CREATE of ' + n)
        check(all(z['action'] == 'NONE' for z in api.zones() if z['name'] in [n + '.' for n in names]),
              "Designate has no action pending for them")

        # Update: a recordset added through the API -> serial bump -> the worker's NOTIFY -> Refresh.
        a = zones['a.example']
        serial0 = api.zone(a['id'])['serial']
        refresh0 = agent.count('Refresh', 'a.example')
        api.add_recordset(a['id'], 'www.a.example.', 'A', ['192.0.2.10'])
        z = wait_for(lambda: (lambda z: z if z['serial'] > serial0 and z['status'] == 'ACTIVE' else None)(
            api.zone(a['id'])), 60, 'a.example to be ACTIVE with a new serial', interval=0.25)
        say('a.example serial %d -> %d' % (serial0, z['serial']))
        wait_for(lambda: agent.count('Refresh', 'a.example') > refresh0, 30, 'a Refresh of a.example after the update')
        check(agent.count('Refresh', 'a.example') > refresh0, 'the recordset update reached the agent as a NOTIFY and started a Refresh')
        check('NOTIFY a.example from 127.0.0.1' in agent.text(), "the agent logged the worker's NOTIFY")

        # Delete: the worker's own line says the agent's answer counted as done.
        t = time.monotonic()
        api.delete_zone(a['id'])
        wait_for(lambda: 'Successfully performed DELETE for zone_name=a.example.' in d.text(), 60,
                 "the worker's 'Successfully performed DELETE' for a.example")
        say('DELETE of a.example done %.1f s after the API request' % (time.monotonic() - t))
        check('a.example' not in agent.zones(), 'a.example is gone from Microsoft DNS')
        check(('Delete', 'a.example', 0) in agent.calls(), 'a Delete run exited 0')
        gone = lambda z: z is None or z['status'] == 'DELETED'  # noqa: E731
        wait_for(lambda: gone(api.zone(a['id'])), 60, 'a.example to leave the API')
        for n in ('b.example', 'c.example'):
            check(api.zone(zones[n]['id'])['status'] == 'ACTIVE' and n in agent.zones(),
                  '%s is still ACTIVE and on Microsoft DNS' % n)

        # A zone Microsoft DNS already has as a primary: CREATE is refused (SERVFAIL), the zone goes
        # ERROR; Designate's DELETE is refused too and the primary survives.
        p = api.create_zone('primary.example.')
        wait_for(lambda: api.zone(p['id'])['status'] == 'ERROR', 90, 'primary.example to go ERROR')
        check(('Create', 'primary.example', 3) in agent.calls(), 'Create of the existing primary exited 3 (not ours)')
        api.delete_zone(p['id'])
        wait_for(lambda: 'Failed to DELETE zone_name=primary.example.' in d.text(), 60,
                 "the worker's failed DELETE of primary.example")
        check('Successfully performed DELETE for zone_name=primary.example.' not in d.text(),
              'the worker does not count the refused DELETE as done')
        z = agent.zones().get('primary.example')
        check(z is not None and z['type'] == 'Primary' and z['serial'] == '7',
              'the primary zone is untouched on Microsoft DNS')
        check(agent.count('Delete', 'primary.example') >= 1
              and all(c[2] == 3 for c in agent.calls() if c[:2] == ('Delete', 'primary.example')),
              'every Delete run for it answered 3 (not ours)')
        check(d.proc.alive() and agent.proc.alive(), 'Designate and the agent are still running')
        agent.check_answers()
    finally:
        agent.stop()
        d.cleanup()
        say('logs: %s, %s' % (d.log, agent.log))


if __name__ == '__main__':
    run(main)
