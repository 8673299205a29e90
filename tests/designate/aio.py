"""Runs Designate's stock central, worker, mDNS, producer and API services in one process (tests only).

Runs under Designate's own Python (the host's for 2022.2, the trixie chroot's for 2025.1):

    python3 aio.py --config-file designate.conf --pools-file pools.yaml --ready-file FILE
                   [--widen-dns-opcodes] [--db-sync]

Why one process: with `transport_url = fake:/` oslo.messaging delivers RPC only inside one process,
so every cast and call between the services stays here and no broker is needed. The pools file is
applied by Designate's own `PoolCommands.update` in this process (a separate designate-manage could
not reach a fake:/ central); the ready file is written only after that, because the worker caches
the pool and its targets the first time it uses it. Nothing in Designate is patched, except with
--widen-dns-opcodes (2022.2 only; see widen_dns_opcodes); SQLite's "database is locked" is reported
to Designate as the deadlock it already retries (see sqlite_locked_is_deadlock).
"""
import argparse
import os
import sys


def widen_dns_opcodes():
    """Let dnspython parse replies with any opcode 0..15 (bookworm's 2.3.0 rejects opcode 14).

    Designate 15's agent backend sends CREATE/DELETE on private opcode 14; dnspython 2.3.0 raises
    `ValueError: 14 is not a valid Opcode` on the reply and the backend does not catch it, so every
    zone ends in ERROR. Designate 16.0.0 widened the enum the same way; Designate's code is untouched.
    """
    import dns.enum
    import dns.opcode

    class _Base(dns.enum.IntEnum):
        @classmethod
        def _maximum(cls):
            return 15

        @classmethod
        def _unknown_exception_class(cls):
            return dns.opcode.UnknownOpcode

    members = {m.name: m.value for m in dns.opcode.Opcode}
    for v in range(16):
        if v not in members.values():
            members['OPCODE%d' % v] = v
    wide = _Base('Opcode', members, module='dns.opcode')
    dns.opcode.Opcode = wide
    for m in wide:
        setattr(dns.opcode, m.name, m)


def sqlite_locked_is_deadlock():
    """Report SQLite's "database is locked" as oslo.db's DBDeadlock, which Designate's storage retries.

    With SQLite (test only; deployments use MySQL) two green threads writing at once make SQLite
    refuse the second at once ("database is locked": a read transaction cannot be upgraded while
    another holds the write lock). Seen for real: a zone's status update failed that way while the
    next zone was being created, and the zone stayed PENDING forever. MySQL reports the same
    situation as a deadlock, which Designate's @storage.retry re-runs; this makes SQLite say so too.
    """
    import sqlalchemy.exc
    from oslo_db import exception as db_exception
    from oslo_db.sqlalchemy import exc_filters

    @exc_filters.filters('sqlite', sqlalchemy.exc.OperationalError, r'.*database is locked')
    def locked(error, match, engine_name, is_disconnect):
        raise db_exception.DBDeadlock(error)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config-file', required=True)
    ap.add_argument('--pools-file', required=True)
    ap.add_argument('--ready-file', required=True)
    ap.add_argument('--widen-dns-opcodes', action='store_true')
    ap.add_argument('--db-sync', action='store_true', help='create the database schema, then exit')
    args = ap.parse_args()

    if args.widen_dns_opcodes:
        widen_dns_opcodes()

    if args.db_sync:
        from designate.cmd import manage
        sys.argv = ['designate-manage', '--config-file', args.config_file, 'database', 'sync']
        return manage.main()

    import designate.cmd  # noqa: F401  eventlet.monkey_patch(os=False), as every designate-* does
    sqlite_locked_is_deadlock()
    import eventlet
    from oslo_log import log as logging
    import oslo_messaging
    from oslo_service import service as os_service

    import designate.conf
    from designate import utils
    from designate.api import service as api_service
    from designate.central import rpcapi as central_rpcapi
    from designate.central import service as central_service
    from designate.manage import pool as manage_pool
    from designate.mdns import service as mdns_service
    from designate.producer import service as producer_service
    from designate.worker import service as worker_service

    conf = designate.conf.CONF
    utils.read_config('designate', ['designate-aio', '--config-file', args.config_file])
    logging.setup(conf, 'designate')
    log = logging.getLogger('designate-aio')

    launcher = os_service.ServiceLauncher(conf)
    for svc in (central_service.Service(), worker_service.Service(), mdns_service.Service(),
                producer_service.Service(), api_service.Service()):
        launcher.launch_service(svc)

    def central_api():
        cls = central_rpcapi.CentralAPI
        return cls.get_instance() if hasattr(cls, 'get_instance') else cls()

    def apply_pools():
        cmds = manage_pool.PoolCommands()

        def setup(dry_run=False, skip_verify_drivers=False):
            cmds.dry_run = dry_run
            cmds.skip_verify_drivers = skip_verify_drivers
            cmds.central_api = central_api()
        cmds._setup = setup
        for attempt in range(20):
            try:
                cmds.update(args.pools_file, delete=False)
                break
            except (oslo_messaging.MessagingTimeout, SystemExit) as e:
                log.warning('pool update attempt %d failed: %r', attempt + 1, e)
                eventlet.sleep(0.5)
        else:
            log.error('pool update failed; exiting')
            os._exit(3)
        tmp = args.ready_file + '.tmp'
        with open(tmp, 'w') as f:
            f.write('%d\n' % os.getpid())
        os.rename(tmp, args.ready_file)
        log.info('designate-aio ready (pid %d)', os.getpid())

    eventlet.spawn_after(0.1, apply_pools)
    launcher.wait()
    return 0


if __name__ == '__main__':
    sys.exit(main())
