#!/usr/bin/env python3
"""Writes docs/CONFIGURATION.md from every services/*/config/defaults.toml: each setting, its default, its
environment name, and what it does (the comment above it in the file, or the shared description below).
Run it after changing a defaults.toml; crates/process-tests checks that the document names every setting."""
import pathlib, re, sys, tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
ORDER = ["identity", "idp-management", "provider-connection"]
SHARED = {
    "http.bind": "`host:port` to listen on (`BIND_ADDR` also sets it); port 0 picks a free port.",
    "http.workers": "HTTP worker threads; 0 = one per core.",
    "http.shutdown_timeout_secs": "Seconds in-flight requests get to finish after SIGTERM before the process stops them.",
    "http.max_body_bytes": "Largest request body accepted; larger is 413 in the contract's error format, refused on its `Content-Length` before any of it is read, or once the limit is passed; never buffered beyond it.",
    "http.max_uri_bytes": "Longest request target (path and query) accepted; longer is 414 in the contract's error format.",
    "http.max_header_bytes": "Largest total of header names and values accepted; more is 431 in the contract's error format (past 128 KiB the HTTP parser answers a bare 431 itself).",
    "http.client_request_timeout_ms": "Time a client gets to send its whole request head; a slower one gets 408 and is disconnected, so idle or trickling connections do not pile up.",
    "http.client_body_timeout_ms": "Time a client gets to send its whole body once the head is in; a slower one gets 408 in the contract's error format and is disconnected.",
    "http.max_connections": "Open connections per worker; at the limit the listener stops accepting until one closes.",
    "http.auth_failure_limit": "Failed authentications (401s) from one source within the window after which that source gets 429 with `Retry-After` on every request (a valid credential included, operational paths excepted) for one window; 0 turns the limit off.",
    "http.auth_failure_window_secs": "The window failed authentications are counted over, and how long a source that reached the limit is refused.",
    "http.trusted_proxies": "IP addresses of reverse proxies whose `Forwarded` / `X-Forwarded-For` names the client (the nearest untrusted hop is the source); empty: the peer address is the source and those headers are ignored.",
    "database.url": "PostgreSQL URL (`DATABASE_URL` also sets it); the database is created if missing when `auto_migrate` is on.",
    "database.pool_size": "Connections per process (at least 1).",
    "database.acquire_timeout_ms": "How long a request waits for a connection before answering 503.",
    "database.auto_migrate": "Create the database and apply migrations on start; set false in production and run `<binary> migrate` as a job.",
    "bus.url": "RabbitMQ URL (`AMQP_URL` also sets it).",
    "bus.exchange": "Durable topic exchange events are published to; routing key = event type.",
    "bus.relay_enabled": "Run the outbox relay in this process (one replica at a time holds the relay lock).",
    "bus.batch_size": "Outbox events published per round trip of publisher confirms.",
    "bus.in_flight_batches": "Batches the relay has sent whose confirms may still come (at least 1): the next batch is read and sent while earlier ones' confirms travel, so a confirm's round trip is not on the path of every later event. 1 waits for each batch's confirms before reading on. Batches are marked delivered in order, and a failure drops every unmarked batch and reads them again from the oldest undelivered event (at least once, as within one batch).",
    "bus.poll_interval_ms": "Longest wait of the relay's adaptive safety poll (20 ms while events flow, doubling to this when quiet). This process's commits wake its relay at once, other replicas' by a NOTIFY they send after their commit; the poll finds what a lost notification missed. An idle service polls about once per interval.",
    "bus.stream_enabled": "Keep every event in the RabbitMQ stream `<exchange>.stream` (bound to all routing keys) for replay; with it off, an event no queue is bound for stays in the outbox (publishes are mandatory).",
    "bus.stream_max_age": "The stream's age limit (`x-max-age`: `7D`, `36h`, `90m`, `1Y`); applies when this service declares the stream first.",
    "bus.stream_max_length_bytes": "The stream's size limit in bytes (`x-max-length-bytes`); whichever limit comes first applies.",
    "bus.connect_timeout_ms": "Broker TCP + AMQP handshake timeout before backing off.",
    "bus.confirm_timeout_ms": "Wait for a publisher confirm before treating the connection as lost.",
    "bus.max_backoff_ms": "Longest pause between broker reconnection attempts (backoff doubles up to it).",
    "bus.retention_hours": "Delivered outbox rows older than this are purged.",
    "log.level": "Log filter (`info`, `identity=debug,info`, ...); `RUST_LOG` overrides it.",
    "log.format": "`json` (one object per line) or `pretty`.",
}

def comments_above(text):
    """Maps `section.key` to the comment lines just above it (and section comments to `section`)."""
    out, pending, section = {}, [], ""
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#"):
            pending.append(s.lstrip("#").strip())
            continue
        m = re.match(r"^\[([^\]]+)\]$", s)
        if m:
            section = m.group(1)
            if pending:
                out[section] = " ".join(pending)
        else:
            m = re.match(r"^([A-Za-z0-9_]+)\s*=", s)
            if m and pending:
                out[f"{section}.{m.group(1)}"] = " ".join(pending)
        pending = []
    return out

def leaves(table, prefix=""):
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and not path.endswith("keys"):
            yield from leaves(value, path + ".")
        else:
            yield path, value

def show(value):
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == "" or value == {}:
        return "(empty)"
    if value == []:
        return "`[]`"
    if isinstance(value, str):
        return f"`{value}`"
    if isinstance(value, list):
        return "`" + ", ".join(str(v) for v in value) + "`"
    return f"`{value}`"

def env_name(prefix, path, value):
    name = f"{prefix}__" + "__".join(p.upper() for p in path.split("."))
    if isinstance(value, dict):
        return f"`{name}__<KEY_ID>`"
    if isinstance(value, list):
        if value and isinstance(value[0], dict) or path.endswith(".keys"):
            return "file only (`--config`): a list of tables"
        return f"`{name}` (comma-separated)"
    return f"`{name}`"

def main():
    out = [
        "# Configuration",
        "",
        "Every setting of every service: its default and its environment name. Generated by",
        "`deploy/configuration-doc.py` from `services/*/config/defaults.toml` (crates/process-tests checks that it",
        "names every setting).",
        "",
        "Layers, later wins: compiled defaults < an optional file (`<binary> --config PATH`, TOML, same sections) <",
        "environment `<SERVICE>__SECTION__KEY`. `DATABASE_URL`, `AMQP_URL` and `BIND_ADDR` are honoured directly and",
        "win over the prefixed names. Lists are comma-separated in the environment; maps (key id -> key) take one",
        "variable per entry (`..._KEYS__K1=...`, key ids lower-cased); lists of tables (configured JWT keys) only fit",
        "in the file, while an issuer's JWKS is one URL the environment can set (`IDP_MANAGEMENT__JWT__JWKS_URI`).",
        "A wrong or missing setting stops the start-up with one line naming it and exit status 2.",
        "",
        "Secrets (marked *secret*) belong in a secret store: a Kubernetes Secret (`deploy/k8s`), compose's",
        "`deploy/compose/secrets/` (generated by `make-secrets.sh`), never in an image, a ConfigMap or a log.",
        "",
    ]
    secretish = re.compile(r"(secret|password|function_keys|(^|\.)keys$|state_secret|\.url$)")
    for name in ORDER:
        path = ROOT / "services" / name / "config" / "defaults.toml"
        if not path.exists():
            continue
        text = path.read_text()
        data = tomllib.loads(text)
        notes = comments_above(text)
        prefix = name.upper().replace("-", "_")
        out += [f"## {name}", "", f"`services/{name}/config/defaults.toml`; environment prefix `{prefix}__`.", ""]
        out += ["| setting | default | environment | what it does |", "| --- | --- | --- | --- |"]
        previous = None
        for key, value in leaves(data):
            section = key.split(".")[0]
            what = notes.get(key) or SHARED.get(key)
            if not what and previous and previous.rsplit(".", 1)[0] == key.rsplit(".", 1)[0]:
                what = f"See `{previous}` above."
            what = what or notes.get(section, "")
            if notes.get(key) or SHARED.get(key):
                previous = key
            if secretish.search(key) and not key.startswith("bus.exchange"):
                what = ("*secret* " if "url" not in key else "*may hold a password* ") + what
            what = what.replace("|", "\\|")
            out.append(f"| `{key}` | {show(value)} | {env_name(prefix, key, value)} | {what} |")
        out.append("")
    (ROOT / "docs" / "CONFIGURATION.md").write_text("\n".join(out))

if __name__ == "__main__":
    sys.exit(main())
