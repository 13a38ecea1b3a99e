"""The suite's report (bench/suite.sh): every measure of issue 10's targets P1-P11 from results.jsonl, against
its baseline and target, as markdown; SVG charts (no third-party dependency) of throughput and p99 against
concurrency for the main endpoints and of the write path with and without the NOTIFY trigger.

    report.py --results RESULTS.jsonl --out DIR [--smoke] [--docs docs/PERFORMANCE.md --charts docs/perf]
    report.py --median-rps RESULTS.jsonl ENDPOINT CONNS     # prints the median req/s of wrk rounds (for P6)

--smoke: the report goes to DIR only, and the exit status is 1 if any measure that ran produced no number.
--docs: replaces the section between `<!-- suite:begin -->` and `<!-- suite:end -->` of that file.
"""

import html
import json
import os
import statistics
import sys
from collections import defaultdict

READS = ["get_user", "get_group", "list_users", "b2c_token", "idp_setup", "pc_get"]
WRITES = ["post_group", "idp_put", "pc_create"]
LABEL = {
    "get_user": "identity GET /users/{oid}",
    "get_group": "identity GET /groups/{groupid}",
    "list_users": "identity GET /users?limit=100 (first page)",
    "list_users_last": "identity GET /users?limit=100&offset=N-100 (last page)",
    "list_users_keyset_first": "identity GET /users?limit=100 keyset, first page",
    "list_users_keyset_last": "identity GET /users keyset (after=), last page",
    "post_group": "identity POST /groups",
    "b2c_token": "identity POST /b2c/token (known user)",
    "idp_setup": "idp-management GET public-identity-provider-setup",
    "idp_put": "idp-management PUT one provider",
    "pc_create": "provider-connection POST create connection",
    "pc_get": "provider-connection GET connection",
}
SERVICES = ["identity", "idp-management", "provider-connection"]


def load(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def med(values):
    values = [v for v in values if num(v) is not None]
    return statistics.median(values) if values else None


def by_round(rows, field):
    """{round: value} of the rows' field."""
    out = {}
    for r in rows:
        if num(r.get(field)) is not None:
            out[r.get("round", 1)] = r[field]
    return out


def select(rows, **kw):
    return [r for r in rows if all(r.get(k) == v for k, v in kw.items())]


class Measure:
    def __init__(self, mid, label, value, baseline, ratio, target, met, spread, unit=""):
        self.mid, self.label, self.value, self.baseline = mid, label, value, baseline
        self.ratio, self.target, self.met, self.spread, self.unit = ratio, target, met, spread, unit


def fmt(v, digits=0):
    if v is None:
        return "no number"
    if isinstance(v, str):
        return v
    if digits == 0 and abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.{max(digits, 2)}f}"


def spread_of(values, digits=2):
    values = [v for v in values if num(v) is not None]
    if not values:
        return "no rounds"
    return f"{fmt(statistics.median(values), digits)} ({fmt(min(values), digits)}-{fmt(max(values), digits)}), n={len(values)}"


def ratio_measure(mid, label, num_rows, num_field, den_rows, den_field, target, unit="req/s ÷ tps"):
    """A ratio of two interleaved series: median of each, and the per-round ratios' median (min-max)."""
    a, b = by_round(num_rows, num_field), by_round(den_rows, den_field)
    rounds = sorted(set(a) & set(b))
    per_round = [a[r] / b[r] for r in rounds if b[r]]
    va, vb = med(list(a.values())), med(list(b.values()))
    ratio = med(per_round)
    met = None if ratio is None else ratio >= target
    return Measure(mid, label, va, vb, ratio, f"≥ {target}", met, spread_of(per_round), unit)


def measures(rows, only):
    want = (lambda m: True) if not only else (lambda m: m in only.split(","))
    http = [r for r in rows if r.get("kind") == "http"]
    pgb = [r for r in rows if r.get("kind") == "pgbench"]
    out = []
    # The target concurrencies, those this run measured (a smoke run measures 16 only).
    target_concs = [c for c in (16, 64) if select(http, conc=c)] or [16, 64]
    if want("P1"):
        for e in ("get_user", "get_group"):
            for c in target_concs:
                out.append(ratio_measure("P1", f"{LABEL[e]}, {c} conns ÷ pgbench -S -M prepared",
                                         select(http, endpoint=e, conc=c), "rps",
                                         select(pgb, script="select-only", conc=c), "tps", 0.45))
    if want("P2"):
        for e in READS:
            for c in target_concs:
                out.append(ratio_measure("P2", f"{LABEL[e]}, {c} conns ÷ pgbench -f of its own SQL",
                                         select(http, endpoint=e, conc=c), "rps",
                                         select(pgb, script=e, conc=c), "tps", 0.60))
    if want("P3"):
        for e in WRITES:
            for c in target_concs:
                out.append(ratio_measure("P3", f"{LABEL[e]}, {c} conns ÷ pgbench -f of its statements (no wake-up trigger)",
                                         select(http, endpoint=e, conc=c), "rps",
                                         select(pgb, script=e, conc=c), "tps", 0.60))
    if want("P4"):
        load_rows = [r for r in rows if r.get("kind") == "relay_load"]
        out.append(ratio_measure("P4", "POST /groups 16 conns, relay publishing ÷ relay stopped (bus.relay_enabled=false)",
                                 select(load_rows, variant="publishing"), "rps",
                                 select(load_rows, variant="stopped"), "rps", 0.90, "req/s ÷ req/s"))
    if want("P5"):
        drain = [r for r in rows if r.get("kind") == "drain"]
        raw = [r for r in rows if r.get("kind") == "raw_publish"]
        out.append(ratio_measure("P5", "relay drain (events/s) ÷ raw lapin publisher with confirms (msgs/s)",
                                 drain, "events_per_s", raw, "msgs_per_s", 0.50, "events/s ÷ msgs/s"))
        best = None
        for c in sorted({r["conc"] for r in select(http, endpoint="post_group")}):
            m = med([r.get("rps") for r in select(http, endpoint="post_group", conc=c)])
            if m is not None and (best is None or m > best[1]):
                best = (c, m)
        d = med([r.get("events_per_s") for r in drain])
        ratio = d / best[1] if d is not None and best else None
        out.append(Measure("P5", f"relay drain ÷ max write rate (POST /groups at {best[0] if best else '?'} conns)",
                           d, best[1] if best else None, ratio, "≥ 1.5",
                           None if ratio is None else ratio >= 1.5, "medians", "events/s ÷ req/s"))
    if want("P6"):
        rate_rows = [r for r in rows if r.get("kind") == "rate"]
        maxes = [r for r in rows if r.get("kind") == "rate_max"]
        for e in [e for e in LABEL if select(rate_rows, endpoint=e)]:
            rs = select(rate_rows, endpoint=e)
            limit = 5.0 if e in READS and e != "b2c_token" else 20.0
            p99s = [num(r.get("p99_ms")) for r in rs]
            p99 = med(p99s)
            achieved = med([num(r.get("rps")) for r in rs])
            note = (f"p99 per round {spread_of(p99s)}; at half oha's own maximum at 16 conns "
                    f"(max {fmt(med([num(r.get('rps')) for r in select(maxes, endpoint=e)]))}/s, rate "
                    f"{fmt(med([num(r.get('rate')) for r in rs]))}/s, achieved {fmt(achieved)}/s, non-2xx "
                    f"{sum(int(r.get('non2xx') or 0) for r in rs)})")
            out.append(Measure("P6", f"{LABEL.get(e, e)}: p99 at half the max rate", p99,
                               med([num(r.get("rate")) for r in rs]), None, f"≤ {limit:g} ms",
                               None if p99 is None else p99 <= limit, note, "ms"))
    if want("P7"):
        lags = [r for r in rows if r.get("kind") == "lag"]
        if lags:
            p99s = [num(r.get("p99_ms")) for r in lags]
            p99 = med(p99s)
            pending = sum(int(r.get("pending") or 0) for r in lags)
            out.append(Measure("P7", "commit-to-confirm lag p99 at half load (outbox created_at → delivered_at), POST /groups",
                               p99, None, None, "≤ 50 ms", None if p99 is None or pending else p99 <= 50,
                               f"per round {spread_of(p99s)}; p50 {fmt(med([num(r.get('p50_ms')) for r in lags]))} ms, "
                               f"{sum(int(r.get('events') or 0) for r in lags)} events, {pending} pending", "ms"))
        for r in [r for r in rows if r.get("kind") == "idle"]:
            q = num(r.get("queries_per_s"))
            x = num(r.get("xacts_per_s"))
            if q is not None:
                out.append(Measure("P7", f"{r['service']}: database queries/s idle ({r.get('seconds')} s)",
                                   q, None, None, "≤ 1", q <= 1,
                                   f"pg_stat_statements, transaction control left out (texts: "
                                   f"idle-statements-{r['service']}.tsv); the database's transactions/s, "
                                   f"autovacuum's among them: {fmt(x)}", "/s"))
            else:
                out.append(Measure("P7", f"{r['service']}: database transactions/s idle ({r.get('seconds')} s)",
                                   x, None, None, "≤ 1", None if x is None else x <= 1, "pg_stat_database", "/s"))
    if want("P8"):
        for r in [r for r in rows if r.get("kind") == "idle"]:
            v = num(r.get("rss_kb"))
            v = v / 1024 if v is not None else None
            out.append(Measure("P8", f"{r['service']}: resident memory idle", v, None, None, "≤ 30 MB",
                               None if v is None else v <= 30, "VmRSS", "MiB"))
        for s in SERVICES:
            peaks = [num(r.get("rss_max_kb")) for r in http if r.get("service") == s]
            peaks = [p for p in peaks if p]
            v = max(peaks) / 1024 if peaks else None
            out.append(Measure("P8", f"{s}: resident memory under load (peak over every run)", v, None, None,
                               "≤ 100 MB", None if v is None else v <= 100, f"{len(peaks)} runs", "MiB"))
    if want("P9"):
        for s in SERVICES:
            ms = [r.get("ms") for r in rows if r.get("kind") == "start" and r.get("service") == s]
            v = med(ms)
            out.append(Measure("P9", f"{s}: process start to ready (migrations applied)", v, None, None, "≤ 300 ms",
                               None if v is None else v <= 300, spread_of(ms, 0), "ms"))
    if want("P10"):
        out.append(ratio_measure("P10", "GET /users offset: last page ÷ first page of the users (16 conns)",
                                 select(http, endpoint="list_users_last", conc=16), "rps",
                                 select(http, endpoint="list_users", conc=16), "rps", 0.5, "req/s ÷ req/s"))
        if select(http, endpoint="list_users_keyset_last"):
            out.append(ratio_measure("P10", "GET /users keyset (Link rel=next): last page ÷ first page (16 conns)",
                                     select(http, endpoint="list_users_keyset_last", conc=16), "rps",
                                     select(http, endpoint="list_users_keyset_first", conc=16), "rps", 0.5,
                                     "req/s ÷ req/s"))
    if want("P11"):
        trig = [r for r in rows if r.get("kind") == "outbox_triggers"]
        wake = [r for r in rows if r.get("kind") == "wakeup"]
        if trig:
            n = num(trig[-1].get("count"))
            v = 1.0 if n == 0 else None
            out.append(Measure("P11", "the outbox write with the relay's wake-up ÷ the same SQL with none, one "
                               f"replica (identity's outbox has {n} triggers: the wake-up is in memory after "
                               "commit, no SQL)",
                               v, None, v, "≥ 0.9", None if v is None else v >= 0.9, "by construction", "ratio"))
        for c in sorted({r["conc"] for r in wake if r.get("variant") == "forward"}):
            out.append(ratio_measure("P11", f"the outbox write beside a standby replica's forwarded wake-ups (lone "
                                     f"NOTIFYs, asynchronous commit, 50/s) ÷ the same SQL with none, {c} conns",
                                     select(wake, variant="forward", conc=c), "tps",
                                     select(wake, variant="none", conc=c), "tps", 0.9, "tps ÷ tps"))
        for c in sorted({r["conc"] for r in wake}):
            out.append(ratio_measure("P11", f"(for the chart) former NOTIFY trigger ÷ none, {c} conns, group + outbox insert",
                                     select(wake, variant="notify", conc=c), "tps",
                                     select(wake, variant="none", conc=c), "tps", 0.0, "tps ÷ tps"))
            out[-1].target, out[-1].met = "(info)", None
    if want("POOL"):
        best = pool_best(rows)
        if best:
            pool, score, default = best
            out.append(Measure("POOL", "identity: the request pool's best size (geometric mean over GET /groups/{groupid} "
                               "and POST /groups at 16 and 64 conns of req/s ÷ the best size's)", pool, default,
                               score, "the default", pool == default,
                               "table below; the default is `database.pool_size` in config/defaults.toml", "connections"))
    return out


def pool_table(rows):
    """{pool: {(endpoint, conc): median rps}} of the sweep."""
    pools = [r for r in rows if r.get("kind") == "pool"]
    out = defaultdict(dict)
    for pool in sorted({r["pool"] for r in pools}):
        for key in sorted({(r["endpoint"], r["conc"]) for r in pools}):
            out[pool][key] = med([r.get("rps") for r in select(pools, pool=pool, endpoint=key[0], conc=key[1])])
    return out


def pool_scores(rows):
    """{pool: geometric mean over (endpoint, conc) of its median req/s ÷ the best pool's there}."""
    import math
    table = pool_table(rows)
    keys = sorted({k for t in table.values() for k in t})
    best = {k: max((t.get(k) or 0) for t in table.values()) for k in keys}
    scores = {}
    for pool, t in table.items():
        parts = [t[k] / best[k] for k in keys if t.get(k) and best[k]]
        if parts and len(parts) == len(keys):
            scores[pool] = math.exp(sum(math.log(p) for p in parts) / len(parts))
    return scores


def default_pool():
    """identity's `database.pool_size` default, as services/identity/config/defaults.toml sets it."""
    import re
    path = os.path.join(os.path.dirname(__file__), "..", "..", "services", "identity", "config", "defaults.toml")
    m = re.search(r"^pool_size\s*=\s*(\d+)", open(path).read(), re.M)
    return int(m.group(1)) if m else None


def pool_best(rows):
    scores = pool_scores(rows)
    if not scores:
        return None
    top = max(scores.values())
    # The smallest size within 2% of the best: fewer connections for the same throughput.
    pool = min(p for p, v in scores.items() if v >= top * 0.98)
    return pool, scores[pool], default_pool()


def cpu_rows(rows):
    """Per endpoint at 16 conns: CPU µs per request by part (HTTP) and per transaction (its pgbench -f)."""
    http = [r for r in rows if r.get("kind") == "http" and r.get("conc") == 16]
    pgb = [r for r in rows if r.get("kind") == "pgbench" and r.get("conc") == 16]
    out = []
    parts = ("cpu_svc_ms", "cpu_pg_ms", "cpu_broker_ms", "cpu_rest_ms")

    def per(rs, count):
        vals = {}
        for p in parts:
            vals[p] = med([r[p] * 1000 / r[count] for r in rs if num(r.get(p)) is not None and num(r.get(count))])
        return vals

    for e in LABEL:
        hs = select(http, endpoint=e)
        if not hs or num(hs[0].get("cpu_svc_ms")) is None:
            continue
        h = per(hs, "requests")
        ps = select(pgb, script=e)
        b = per(ps, "transactions") if ps and num(ps[0].get("cpu_pg_ms")) is not None else None
        out.append((e, h, b))
    return out

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
          "#17becf", "#000000"]


def svg_chart(title, ylabel, series, path, logy=False):
    """series: [(label, [(conc, value)], dashed)] -> a line chart, x log2 (concurrency), y linear or log10."""
    import math
    w, h, left, right, top, bottom = 1060, 440, 70, 440, 40, 50
    pts = [(x, y) for _, s, _ in series for x, y in s if y is not None and y > 0]
    if not pts:
        return False
    xs = sorted({x for x, _ in pts})
    ymax = max(y for _, y in pts) * 1.1
    ymin = min(y for _, y in pts) / 1.5 if logy else 0
    fx = (lambda x: left + (math.log2(x) - math.log2(xs[0])) / max(math.log2(xs[-1]) - math.log2(xs[0]), 1)
          * (w - left - right))
    if logy:
        fy = lambda y: top + (1 - (math.log10(y) - math.log10(ymin)) / (math.log10(ymax) - math.log10(ymin))) * (h - top - bottom)
    else:
        fy = lambda y: top + (1 - (y - ymin) / (ymax - ymin)) * (h - top - bottom)
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
         f'<rect width="{w}" height="{h}" fill="white"/>',
         f'<text x="{left}" y="22" font-size="15" font-weight="bold">{html.escape(title)}</text>',
         f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="black"/>',
         f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="black"/>',
         f'<text x="{(left + w - right) / 2}" y="{h - 12}" text-anchor="middle">connections (concurrency)</text>',
         f'<text x="16" y="{(top + h - bottom) / 2}" transform="rotate(-90 16 {(top + h - bottom) / 2})" text-anchor="middle">{ylabel}</text>']
    for x in xs:
        o.append(f'<line x1="{fx(x):.1f}" y1="{h - bottom}" x2="{fx(x):.1f}" y2="{h - bottom + 5}" stroke="black"/>')
        o.append(f'<text x="{fx(x):.1f}" y="{h - bottom + 18}" text-anchor="middle">{x}</text>')
    ticks = []
    if logy:
        e = math.floor(math.log10(ymin))
        while 10 ** e <= ymax:
            for m in (1, 2, 5):
                if ymin <= m * 10 ** e <= ymax:
                    ticks.append(m * 10 ** e)
            e += 1
    else:
        step = 10 ** math.floor(math.log10(ymax / 5))
        step *= 2 if ymax / step > 10 else 1
        ticks = [i * step for i in range(0, int(ymax / step) + 1)]
    for t in ticks:
        o.append(f'<line x1="{left}" y1="{fy(t):.1f}" x2="{w - right}" y2="{fy(t):.1f}" stroke="#ddd"/>')
        o.append(f'<text x="{left - 6}" y="{fy(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    for i, (label, s, dashed) in enumerate(series):
        s = [(x, y) for x, y in s if y is not None and y > 0]
        if not s:
            continue
        color = COLORS[i % len(COLORS)]
        d = " ".join(f"{fx(x):.1f},{fy(y):.1f}" for x, y in s)
        dash = ' stroke-dasharray="6,4"' if dashed else ""
        o.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        for x, y in s:
            o.append(f'<circle cx="{fx(x):.1f}" cy="{fy(y):.1f}" r="3" fill="{color}"/>')
        ly = top + 8 + i * 18
        o.append(f'<line x1="{w - right + 15}" y1="{ly}" x2="{w - right + 40}" y2="{ly}" stroke="{color}" stroke-width="2"{dash}/>')
        o.append(f'<text x="{w - right + 46}" y="{ly + 4}">{html.escape(label)}</text>')
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")
    return True


def charts(rows, outdir):
    os.makedirs(outdir, exist_ok=True)
    http = [r for r in rows if r.get("kind") == "http"]
    pgb = [r for r in rows if r.get("kind") == "pgbench"]
    endpoints = [e for e in LABEL if select(http, endpoint=e)]

    def curve(rs, field):
        by_c = defaultdict(list)
        for r in rs:
            by_c[r["conc"]].append(r.get(field))
        return sorted((c, med(v)) for c, v in by_c.items())

    made = []
    thr = [(LABEL[e], curve(select(http, endpoint=e), "rps"), False) for e in endpoints]
    thr.append(("pgbench -S -M prepared (tps)", curve(select(pgb, script="select-only"), "tps"), True))
    if svg_chart("Throughput against concurrency (median of rounds)", "requests/s", thr,
                 os.path.join(outdir, "suite-throughput.svg"), logy=True):
        made.append(("throughput (req/s) against concurrency", "suite-throughput.svg"))
    p99 = [(LABEL[e], curve(select(http, endpoint=e), "p99_ms"), False) for e in endpoints]
    if svg_chart("p99 latency against concurrency (wrk, median of rounds)", "p99 ms", p99,
                 os.path.join(outdir, "suite-p99.svg"), logy=True):
        made.append(("p99 latency against concurrency", "suite-p99.svg"))
    wake = [r for r in rows if r.get("kind") == "wakeup"]
    ws = [("with the former NOTIFY trigger", curve(select(wake, variant="notify"), "tps"), True),
          ("without (the write SQL today)", curve(select(wake, variant="none"), "tps"), False),
          ("without, beside a standby's forwarded NOTIFYs (50/s)", curve(select(wake, variant="forward"), "tps"),
           False)]
    for e in WRITES:
        if select(pgb, script=e):
            ws.append((f"{LABEL[e]}: its SQL (pgbench -f)", curve(select(pgb, script=e), "tps"), True))
            ws.append((f"{LABEL[e]} (HTTP)", curve(select(http, endpoint=e), "rps"), False))
    if svg_chart("The write path with and without the NOTIFY wake-up trigger", "transactions or requests/s", ws,
                 os.path.join(outdir, "suite-write-path.svg"), logy=True):
        made.append(("the write path with and without the NOTIFY trigger", "suite-write-path.svg"))
    return made


def markdown(rows, ms, chart_links, raw_dir):
    machine = next((r for r in rows if r.get("kind") == "machine"), {})
    end = next((r for r in rows if r.get("kind") == "end"), {})
    lines = [
        "## Benchmark suite (`bench/suite.sh`, issue 10 targets P1-P11)",
        "",
        f"Generated by `{machine.get('command', 'bench/suite.sh')}` at {machine.get('started')} (commit "
        f"{machine.get('commit')}), {machine.get('rounds')} interleaved rounds of {machine.get('duration')} s per "
        f"load run, sizes: {machine.get('sizes')}. Machine: {machine.get('cores')} cores, {machine.get('ram_gib')} "
        f"GiB, kernel {machine.get('kernel')}, PostgreSQL {machine.get('postgres')} (the suite's own cluster, "
        f"pg_stat_statements preloaded), RabbitMQ {machine.get('rabbitmq')}; load average before "
        f"{machine.get('load_before')}, after {end.get('load_after')}; {end.get('seconds')} s in all. Raw "
        f"outputs and results.jsonl: `{raw_dir}`.",
        "",
    ]
    seeds = [r for r in rows if r.get("kind") == "seed"]
    if seeds:
        lines += ["| seeded database | sizes | seconds |", "| --- | --- | --- |"]
        for r in seeds:
            lines.append(f"| {r['service']} | {r.get('sizes')} | "
                         f"{'reused (marker matched)' if r.get('reused') is True or r.get('reused') == 'true' else r.get('seconds')} |")
        lines.append("")
    lines += ["| id | measure | value | baseline | ratio | target | met | per-round ratio: median (min-max) / notes |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for m in ms:
        met = "—" if m.met is None else ("met" if m.met else "**missed**")
        lines.append(f"| {m.mid} | {m.label} | {fmt(m.value)} | {fmt(m.baseline) if m.baseline is not None else '—'} | "
                     f"{fmt(m.ratio) if m.ratio is not None else '—'} | {m.target} | {met} | {m.spread} |")
    sql = [r for r in rows if r.get("kind") == "sql"]
    if sql:
        lines += ["", "Statements per request from `pg_stat_statements` (1 s capture, 2 connections; the "
                  "`pgbench -f` scripts in `bench/suite/sql/` mirror them; captured texts in the raw directory, "
                  "`sql-<endpoint>.tsv`):", "",
                  "| endpoint | statements per request (captured) | statements in its pgbench script |",
                  "| --- | --- | --- |"]
        for r in sql:
            lines.append(f"| {LABEL.get(r['endpoint'], r['endpoint'])} | {r.get('statements_per_request')} | "
                         f"{r.get('pgbench_statements')} |")
    cpu = cpu_rows(rows)
    if cpu:
        lines += ["", "Where the time goes: CPU time per request at 16 connections by part of the machine (µs, median "
                  "of rounds; `bench/suite/cpu.py`: the service's process, PostgreSQL's postmaster and backends, "
                  "RabbitMQ's beam, and the rest of the machine's busy time, which is the load generator and "
                  "anything else running), beside the same for each transaction of the endpoint's `pgbench -f` "
                  "(the rest there is pgbench). On 2 shared cores the ratio of P2/P3 is about the baseline's total "
                  "over the endpoint's.", "",
                  "| endpoint | service | PostgreSQL | RabbitMQ | rest (wrk) | total | its pgbench -f: PostgreSQL | rest (pgbench) | total |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for e, h, b in cpu:
            ht = sum(v for v in h.values() if v is not None)
            bt = sum(v for k, v in b.items() if v is not None) if b else None
            cells = [fmt(h[p], 1) for p in ("cpu_svc_ms", "cpu_pg_ms", "cpu_broker_ms", "cpu_rest_ms")]
            lines.append(f"| {LABEL[e]} | " + " | ".join(cells) + f" | {fmt(ht, 1)} | "
                         + (f"{fmt(b['cpu_pg_ms'], 1)} | {fmt(b['cpu_rest_ms'], 1)} | {fmt(bt, 1)} |" if b else "— | — | — |"))
    table = pool_table(rows)
    if table:
        keys = sorted({k for t in table.values() for k in t})
        scores = pool_scores(rows)
        lines += ["", "The request pool's size swept (identity, `IDENTITY__DATABASE__POOL_SIZE`; median req/s of "
                  "rounds, wrk):", "",
                  "| pool | " + " | ".join(f"{LABEL[e]}, {c} conns" for e, c in keys) + " | score |",
                  "| --- | " + " | ".join("---" for _ in keys) + " | --- |"]
        for pool, t in table.items():
            lines.append(f"| {pool} | " + " | ".join(fmt(t.get(k)) for k in keys) + f" | {fmt(scores.get(pool))} |")
    for r in rows:
        if r.get("kind") == "note":
            lines += ["", f"Note ({r.get('measure')}): {r.get('text')}."]
    if chart_links:
        lines += [""] + [f"![{label}]({link})" for label, link in chart_links]
    return "\n".join(lines) + "\n"


def main(argv):
    if argv[0] == "--median-rps":
        rows = load(argv[1])
        m = med([r.get("rps") for r in rows if r.get("kind") == "http" and r.get("endpoint") == argv[2]
                 and r.get("conc") == int(argv[3])])
        print(m if m is not None else "")
        return 0
    args = {"--smoke": False}
    i = 0
    while i < len(argv):
        if argv[i] == "--smoke":
            args["--smoke"] = True
            i += 1
        else:
            args[argv[i]] = argv[i + 1]
            i += 2
    rows = load(args["--results"])
    machine = next((r for r in rows if r.get("kind") == "machine"), {})
    only = machine.get("only") or ""
    only = only if isinstance(only, str) else str(only)
    ms = measures(rows, only)
    out = args["--out"]
    chart_dir = args.get("--charts") or out
    made = charts(rows, chart_dir)
    if args.get("--docs"):
        docs = args["--docs"]
        rel = os.path.relpath(chart_dir, os.path.dirname(docs))
        links = [(label, f"{rel}/{name}") for label, name in made]
        section = markdown(rows, ms, links, out)
        text = open(docs).read()
        begin, end = "<!-- suite:begin -->", "<!-- suite:end -->"
        a, b = text.index(begin) + len(begin), text.index(end)
        open(docs, "w").write(text[:a] + "\n" + section + text[b:])
    report = markdown(rows, ms, made, out)
    open(os.path.join(out, "report.md"), "w").write(report)
    print(report)
    missing = [m for m in ms if m.value is None or (m.ratio is None and m.unit.find("÷") >= 0)]
    if missing:
        print("measures without a number:", file=sys.stderr)
        for m in missing:
            print(f"  {m.mid} {m.label}", file=sys.stderr)
    if args["--smoke"] and (missing or not ms):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
