"""CPU time by part of the system over one load run (bench/suite.sh): where a request's time goes on a machine
whose cores the load generator, the service, PostgreSQL and RabbitMQ share.

    cpu.py snap SERVICE_PID PGDATA            # prints one line of cumulative clock ticks
    cpu.py diff "BEFORE" "AFTER"              # prints key=value milliseconds for record.py

A snapshot holds: the service's own user+system time; PostgreSQL's (the postmaster's own and its reaped
children's, plus every live backend's, so a backend that exits during the run is still counted); RabbitMQ's
(beam.smp, all its threads); and the machine's busy time over all cores (/proc/stat), of which the rest (the
load generator, and anything else running) is what the three leave.
"""

import os
import sys

TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")


def ticks(pid, children=False):
    """utime+stime (and with children, the reaped children's cutime+cstime) of pid; 0 when it is gone."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    # fields[0] is the state (field 3 of proc(5)): utime is field 14, so fields[11].
    used = int(fields[11]) + int(fields[12])
    return used + (int(fields[13]) + int(fields[14]) if children else 0)


def processes():
    """(pid, ppid, comm) of every process, from one pass over /proc."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            head, tail = open(f"/proc/{name}/stat").read().rsplit(")", 1)
            out.append((int(name), int(tail.split()[1]), head.split("(", 1)[1]))
        except (OSError, IndexError, ValueError):
            continue
    return out


def busy_ticks():
    cpu = open("/proc/stat").readline().split()[1:]
    values = [int(v) for v in cpu]
    # user nice system idle iowait irq softirq steal (guest is already inside user)
    return sum(values[:8]) - values[3] - values[4]


def snap(service_pid, pgdata):
    postmaster = int(open(os.path.join(pgdata, "postmaster.pid")).readline())
    procs = processes()
    pg = ticks(postmaster, children=True) + sum(ticks(p) for p, ppid, _ in procs if ppid == postmaster)
    broker = sum(ticks(p) for p, _, comm in procs if comm.startswith("beam"))
    return f"{ticks(service_pid)} {pg} {broker} {busy_ticks()}"


def diff(before, after):
    a = [int(v) for v in before.split()]
    b = [int(v) for v in after.split()]
    d = [(y - x) * TICK_MS for x, y in zip(a, b)]
    svc, pg, broker, busy = d
    rest = max(busy - svc - pg - broker, 0.0)
    return f"cpu_svc_ms={svc:.0f} cpu_pg_ms={pg:.0f} cpu_broker_ms={broker:.0f} cpu_rest_ms={rest:.0f} cpu_busy_ms={busy:.0f}"


def main(argv):
    if argv[0] == "snap":
        print(snap(int(argv[1]), argv[2]))
    elif argv[0] == "diff":
        print(diff(argv[1], argv[2]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
