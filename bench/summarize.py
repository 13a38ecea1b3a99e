"""Medians and ratios from a bench/identity-directory.sh result file (printed as a markdown table)."""
import re
import statistics
import sys


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main(path: str) -> None:
    text = open(path).read()
    pg_tps = [float(x) for x in re.findall(r"PGBENCH tps = ([\d.]+)", text)]
    pg_p99 = [float(x) for x in re.findall(r"PGBENCH_P99_MS ([\d.]+)", text)]
    pg_write = [float(x) for x in re.findall(r"PGWRITE tps = ([\d.]+)", text)]
    rows = {}
    for kind in ("GET", "POST"):
        rps = [float(x) for x in re.findall(rf"^{kind} Requests/sec:\s+([\d.]+)", text, re.M)]
        p99 = [to_ms(x) for x in re.findall(rf"^{kind}\s+99%\s+(\S+)", text, re.M)]
        rss = [int(x) for x in re.findall(rf"^{kind} RSS_MAX (\d+)", text, re.M)]
        non2xx = re.findall(rf"^{kind}\s+Non-2xx or 3xx responses: (\d+)", text, re.M)
        rows[kind] = (rps, p99, rss, non2xx)
    idle = int(re.search(r"RSS_IDLE (\d+)", text).group(1))
    med = statistics.median
    print(f"| workload | req/s (median) | p99 ms (median) | vs pgbench -S tps | peak RSS MiB | runs (req/s) |")
    print("|---|---|---|---|---|---|")
    print(f"| pgbench -S -M prepared, 16 clients | {med(pg_tps):.0f} | {med(pg_p99):.2f} | 1.00 | - | {', '.join(f'{x:.0f}' for x in pg_tps)} |")
    if pg_write:
        print(f"| raw SQL of POST /groups (insert + outbox, pgbench -f), 16 clients | {med(pg_write):.0f} | - | {med(pg_write) / med(pg_tps):.2f} | - | {', '.join(f'{x:.0f}' for x in pg_write)} |")
    for kind, label in (("GET", "GET /groups/{groupid}"), ("POST", "POST /groups")):
        rps, p99, rss, non2xx = rows[kind]
        note = f" (non-2xx: {', '.join(non2xx)})" if non2xx else ""
        print(f"| {label}, 16 connections | {med(rps):.0f} | {med(p99):.2f} | {med(rps) / med(pg_tps):.2f} | {max(rss) / 1024:.1f} | {', '.join(f'{x:.0f}' for x in rps)}{note} |")
    print(f"\nidle RSS: {idle / 1024:.1f} MiB")
    if pg_write and rows["POST"][0]:
        print(f"POST /groups vs its raw SQL floor: {med(rows['POST'][0]) / med(pg_write):.2f}")
    plans = re.findall(r"^PLAN   (.*)$", text, re.M)
    seq = [p for p in plans if "Seq Scan" in p]
    print(f"list query plans: {len(plans)} plan lines, sequential scans: {len(seq)}")


if __name__ == "__main__":
    main(sys.argv[1])
