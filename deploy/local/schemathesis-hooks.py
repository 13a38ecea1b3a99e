"""Schemathesis hooks for deploy/local/schemathesis.sh (SCHEMATHESIS_HOOKS): NDJSON, which idp-management's
contract offers beside JSON for its lists and setups, one JSON document per line (x-decisions)."""

import json

import schemathesis

NDJSON = "application/x-ndjson"


@schemathesis.serializer(NDJSON)
def ndjson_body(ctx, value):
    """A list body as one line per item; anything else (negative data) as its one JSON line, for the server to
    refuse."""
    items = value if isinstance(value, list) else [value]
    return "".join(json.dumps(item) + "\n" for item in items).encode()


@schemathesis.deserializer(NDJSON)
def ndjson_response(ctx, response):
    """The lines as a list where the contract's schema for this answer is an array, else the one document."""
    docs = [json.loads(line) for line in response.content.decode().splitlines() if line.strip()]
    schema = (
        ctx.operation.definition.raw.get("responses", {})
        .get(str(response.status_code), {})
        .get("content", {})
        .get(NDJSON, {})
        .get("schema", {})
    )
    if schema.get("type") == "array":
        return docs
    if len(docs) != 1:
        raise ValueError(f"expected one NDJSON document, got {len(docs)}")
    return docs[0]


@schemathesis.hook
def filter_case(ctx, case):
    """Drops a case the tool labels positive while one of its parts was generated negative: schemathesis 4.32.5's
    coverage phase finds no positive value for a header whose pattern needs a character other than a letter or a
    digit (idp-management's If-Match: `*` or a quoted tag), seeds the template with a negative one, and for an
    optional header still sends that template as the "default positive test", so positive_data_acceptance
    would judge a request that is not valid. The same value is still sent, and checked, as the negative case it
    is."""
    meta = case.meta
    if meta is None or meta.generation.mode != "positive":
        return True
    return all(component.mode != "negative" for component in meta.components.values())


LIST_PUT = "/idp/v1/applications/{application-expression}/identity-providers"


def drop_positive_cursor(case):
    """Leaves `after` out of a positive case: a keyset cursor is valid only when this server issued it for this
    list (and only without a non-zero `offset`), which no schema can say, so a generated one is the documented
    400. Negative cases keep theirs, and must get that 400."""
    if isinstance(case.query, dict) and "after" in case.query:
        del case.query["after"]
    return case


@schemathesis.hook
def map_case(ctx, case):
    """Gives each provider of a positive list PUT its own key: a list naming a key twice is 400 (x-decisions), and
    no JSON Schema keyword says "unique by a property", so the schema cannot rule it out. Only a repeated key is
    renamed (within the key pattern); negative cases, and every other operation, are left as generated. A positive
    list read loses its generated `after` (drop_positive_cursor)."""
    meta = case.meta
    if meta is not None and meta.generation.mode == "positive":
        case = drop_positive_cursor(case)
    if (
        case.operation.method.upper() != "PUT"
        or case.operation.path != LIST_PUT
        or meta is None
        or meta.generation.mode != "positive"
        or not isinstance(case.body, list)
    ):
        return case
    seen = set()
    for i, item in enumerate(case.body):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            continue
        key, n = item["key"], 0
        while key in seen:
            n += 1
            key = f"{item['key'][:56]}-{i}-{n}"
        item["key"] = key
        seen.add(key)
    return case
