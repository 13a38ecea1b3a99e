#!/usr/bin/env python3
"""Check that each reconstructed contract in specs/ has exactly the operations of its seed.

For every seed in specs/seeds/ the set of operations (HTTP method + path) is scanned from the raw
seed TEXT, which does not parse as YAML (000 and 004 are flattened onto one line, 002 lost part of
its indentation). It is compared with the operations of the reconstructed YAML, ignoring path items
marked `x-extension: true`. Differences are printed; the exit status is 1 if there are any.

Scanning rule (the same for both broken formats, because both keep every token but lose the
whitespace that carried the structure):
  1. Split the whole text on whitespace (spaces, tabs, line breaks) into tokens.
  2. The paths section starts after the first token that is exactly `paths:` and ends at the next
     token that is exactly `components:` (or at the end of the text).
  3. Inside it, a token that, with surrounding single/double quotes removed from the key, starts
     with `/` and ends with `:` is a path key (e.g. `/users/{useroid}:`); it becomes the current path.
  4. Inside it, a token that is a lower-case HTTP method followed by `:` (get, put, post, delete,
     patch, options, head, trace) is an operation of the current path if, and only if, the next
     token is an Operation Object field (tags:, summary:, description:, externalDocs:,
     operationId:, parameters:, requestBody:, responses:, callbacks:, deprecated:, security:,
     servers:, or an `x-` extension key). This keeps a schema property that happens to be named
     like a method from being counted.
  5. Seeing the same (method, path) twice is reported as an error.

Usage: python3 specs/check_operations.py [-v]
"""
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))

# seed file -> reconstructed contract (both relative to this directory)
CONTRACTS = [
    ("seeds/000_daec1bba487fa173.txt", "provider-connection.yaml"),
    ("seeds/002_d92ee6f4f037624e.txt", "identity.yaml"),
    ("seeds/004_533254a8bd189fa6.txt", "idp-management.yaml"),
]

METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
OPERATION_FIELDS = {
    "tags:", "summary:", "description:", "externalDocs:", "operationId:", "parameters:",
    "requestBody:", "responses:", "callbacks:", "deprecated:", "security:", "servers:",
}


def unquote_key(token):
    """`"/a":` or `'/a':` -> `/a:`; other tokens unchanged."""
    if len(token) >= 3 and token[-1] == ":" and token[0] in "\"'" and token[-2] == token[0]:
        return token[1:-2] + ":"
    return token


def scan_seed(text):
    """Return (operations as a list of (METHOD, path), errors) scanned from raw seed text."""
    tokens = text.split()
    errors = []
    try:
        start = tokens.index("paths:") + 1
    except ValueError:
        return [], ["no `paths:` token in seed"]
    try:
        end = tokens.index("components:", start)
    except ValueError:
        end = len(tokens)
    ops = []
    current = None
    for i in range(start, end):
        tok = unquote_key(tokens[i])
        if tok.startswith("/") and tok.endswith(":") and len(tok) > 1:
            current = tok[:-1]
            continue
        if tok[:-1] in METHODS and tok.endswith(":"):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if nxt in OPERATION_FIELDS or nxt.startswith("x-"):
                if current is None:
                    errors.append(f"method `{tok}` before any path key")
                    continue
                op = (tok[:-1].upper(), current)
                if op in ops:
                    errors.append(f"operation {op[0]} {op[1]} appears twice in the seed")
                else:
                    ops.append(op)
    return ops, errors


def contract_operations(doc):
    """Return {(METHOD, path): operationId or None}, ignoring `x-extension: true` path items."""
    ops = {}
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict) or item.get("x-extension") is True:
            continue
        for method in METHODS:
            if method in item:
                ops[(method.upper(), path)] = (item[method] or {}).get("operationId")
    return ops


def main():
    verbose = "-v" in sys.argv[1:]
    failed = False
    for seed_rel, yaml_rel in CONTRACTS:
        with open(os.path.join(HERE, seed_rel), encoding="utf-8") as fh:
            seed_ops, errors = scan_seed(fh.read())
        with open(os.path.join(HERE, yaml_rel), encoding="utf-8") as fh:
            contract = contract_operations(yaml.safe_load(fh))
        seed_set, contract_set = set(seed_ops), set(contract)
        missing = sorted(seed_set - contract_set, key=lambda o: (o[1], o[0]))
        extra = sorted(contract_set - seed_set, key=lambda o: (o[1], o[0]))
        ok = not (missing or extra or errors or not seed_ops)
        print(f"{yaml_rel} <- {seed_rel}: seed {len(seed_set)} operations, "
              f"contract {len(contract_set)} operations: {'OK' if ok else 'MISMATCH'}")
        if not seed_ops:
            print("  no operation found in the seed")
        for err in errors:
            print(f"  seed error: {err}")
        for method, path in missing:
            print(f"  missing from {yaml_rel}: {method} {path}")
        for method, path in extra:
            print(f"  not in the seed: {method} {path}")
        if verbose:
            for method, path in seed_ops:
                print(f"    {method:6} {path}  {contract.get((method, path)) or '-'}")
        failed = failed or not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
