"""Appends one JSON line to the suite's results file (bench/suite.sh).

    record.py RESULTS.jsonl [--wrk FILE | --oha FILE] key=value...

Values that parse as numbers are stored as numbers. --wrk adds rps, p50_ms, p99_ms, non2xx, socket_errors
parsed from a `wrk --latency` output; --oha adds rps, p50_ms, p99_ms, success_rate from `oha --output-format
json`. Prints the line it wrote.
"""

import json
import re
import sys


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)$", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(path: str) -> dict:
    text = open(path).read()
    out = {}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if m:
        out["rps"] = float(m.group(1))
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", text, re.M)
        if m:
            out[f"p{pct}_ms"] = round(to_ms(m.group(1)), 3)
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"(\d+) requests in", text)
    if m:
        out["requests"] = int(m.group(1))
    return out


def parse_oha(path: str) -> dict:
    data = json.load(open(path))
    summary = data.get("summary", {})
    pct = data.get("latencyPercentiles", {})
    out = {"rps": summary.get("requestsPerSec"), "success_rate": summary.get("successRate")}
    for key in ("p50", "p99"):
        if pct.get(key) is not None:
            out[f"{key}_ms"] = round(pct[key] * 1000, 3)
    codes = data.get("statusCodeDistribution", {})
    out["non2xx"] = sum(n for code, n in codes.items() if not str(code).startswith("2"))
    out["requests"] = sum(codes.values())
    return out


def value(text: str):
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def main(argv: list[str]) -> None:
    results, rest = argv[0], argv[1:]
    line: dict = {}
    parsed: dict = {}
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--wrk":
            parsed = parse_wrk(rest[i + 1])
            i += 2
            continue
        if arg == "--oha":
            parsed = parse_oha(rest[i + 1])
            i += 2
            continue
        key, _, val = arg.partition("=")
        line[key] = value(val)
        i += 1
    line.update(parsed)
    text = json.dumps(line, sort_keys=False)
    with open(results, "a") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
