"""Medians and ratios from a bench result file whose wrk outputs are prefixed by a kind (e.g. `GET `, `PUT `),
beside `PGBENCH` (pgbench -S) and an optional `PGWRITE` (a raw-SQL write floor) in the same run. Prints a markdown
table. Used by bench/idp-management.sh and bench/provider-connection.sh (bench/summarize.py stays the identity one).

    python3 bench/summarize_kinds.py RESULT_FILE KIND=label [KIND=label ...] [--write-label "label"] [--floor KIND]

`--floor KIND` also prints KIND's median req/s as a fraction of the PGWRITE median (the write it stands for).
"""
import re
import statistics
import sys


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main(argv: list[str]) -> None:
    path, rest = argv[0], argv[1:]
    write_label = "raw-SQL write floor (pgbench -f)"
    floor_kind = None
    kinds = []
    i = 0
    while i < len(rest):
        if rest[i] in ("--write-label", "--floor"):
            if rest[i] == "--write-label":
                write_label = rest[i + 1]
            else:
                floor_kind = rest[i + 1]
            i += 2
            continue
        kind, label = rest[i].split("=", 1)
        kinds.append((kind, label))
        i += 1
    text = open(path).read()
    med = statistics.median
    pg_tps = [float(x) for x in re.findall(r"PGBENCH tps = ([\d.]+)", text)]
    pg_p99 = [float(x) for x in re.findall(r"PGBENCH_P99_MS ([\d.]+)", text)]
    pg_write = [float(x) for x in re.findall(r"PGWRITE tps = ([\d.]+)", text)]
    print("| workload | req/s (median) | p99 ms (median) | ratio to pgbench -S | peak RSS MiB | runs (req/s) |")
    print("|---|---|---|---|---|---|")
    print(f"| pgbench -S -M prepared, 16 clients | {med(pg_tps):.0f} | {med(pg_p99):.2f} | 1.00 | - | "
          f"{' / '.join(f'{x:.0f}' for x in pg_tps)} |")
    if pg_write:
        print(f"| {write_label}, 16 clients | {med(pg_write):.0f} | - | {med(pg_write) / med(pg_tps):.2f} | - | "
              f"{' / '.join(f'{x:.0f}' for x in pg_write)} |")
    for kind, label in kinds:
        rps = [float(x) for x in re.findall(rf"^{kind} Requests/sec:\s+([\d.]+)", text, re.M)]
        if not rps:
            continue
        p99 = [to_ms(x) for x in re.findall(rf"^{kind}\s+99%\s+(\S+)", text, re.M)]
        rss = [int(x) for x in re.findall(rf"^{kind} RSS_MAX (\d+)", text, re.M)]
        non2xx = re.findall(rf"^{kind}\s+Non-2xx or 3xx responses: (\d+)", text, re.M)
        errors = re.findall(rf"^{kind}\s+Socket errors: (.*)$", text, re.M)
        note = f" (non-2xx: {', '.join(non2xx)})" if non2xx else ""
        note += f" (socket errors: {'; '.join(errors)})" if errors else ""
        peak = f"{max(rss) / 1024:.1f}" if rss else "-"
        print(f"| {label}, 16 connections | {med(rps):.0f} | {med(p99):.2f} | {med(rps) / med(pg_tps):.2f} | {peak} | "
              f"{' / '.join(f'{x:.0f}' for x in rps)}{note} |")
    idle = re.findall(r"^RSS_IDLE(?:_(\w+))? (\d+)", text, re.M)
    for name, kb in idle:
        print(f"\nidle RSS{' (' + name + ')' if name else ''}: {int(kb) / 1024:.1f} MiB", end="")
    print()
    for kind, label in kinds:
        rps = [float(x) for x in re.findall(rf"^{kind} Requests/sec:\s+([\d.]+)", text, re.M)]
        if pg_write and rps and kind == floor_kind:
            print(f"{label} vs the raw-SQL write floor: {med(rps) / med(pg_write):.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
