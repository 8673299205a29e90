# Designate's own agent (Debian python3-designate) with dnspython's opcode enum widened to all 16
# values: bookworm's dnspython 2.3.0 rejects opcode 14, which Designate 16.0.0 worked around likewise.
import sys
import dns.opcode


def _missing_(cls, value):
    if isinstance(value, int) and 0 <= value <= 15:
        member = int.__new__(cls, value)
        member._name_ = 'OPCODE%d' % value
        member._value_ = value
        return member
    return None


dns.opcode.Opcode._missing_ = classmethod(_missing_)

from designate.cmd import agent  # noqa: E402

sys.exit(agent.main())
