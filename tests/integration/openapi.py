"""docs/openapi.yaml as the integration suites use it: every JSON answer an `/api/` URL
gives a test is checked against the schema of its operation and status (harness.Client
calls check_answer), and openapi_test.py compares the paths with the router's.

Schemas allow extra fields (other work may add some); they hold what a client relies on:
the fields named as required, their types, and `errno` 0 on success or one of the
errno table's codes otherwise."""
import os
import re
import urllib.parse

import jsonschema
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC_PATH = os.path.join(ROOT, "docs", "openapi.yaml")
METHODS = ("get", "post", "put", "delete", "patch", "head", "options")

_spec = None
_validators = {}


def spec():
    global _spec
    if _spec is None:
        with open(SPEC_PATH, encoding="utf-8") as f:
            _spec = yaml.safe_load(f)
    return _spec


def resolve(node):
    """Follows a local $ref (as `#/components/...`) to what it names."""
    while isinstance(node, dict) and "$ref" in node and len(node) == 1:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError("only local references: %s" % ref)
        node = spec()
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def operations():
    """{(METHOD, path): operation} of the spec."""
    out = {}
    for path, item in spec()["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                out[(method.upper(), path)] = op
    return out


def _validator(schema):
    key = id(schema)
    v = _validators.get(key)
    if v is None:
        resolver = jsonschema.RefResolver.from_schema(spec())
        v = jsonschema.Draft202012Validator(schema, resolver=resolver)
        _validators[key] = (v, schema)  # keep the schema alive: its id stays unique
        return v
    return v[0]


def json_schema_of(op, status):
    """The JSON schema of an operation's answer with HTTP `status`, or None."""
    responses = op.get("responses", {})
    resp = responses.get(str(status)) or responses.get(status) or responses.get("default")
    if resp is None:
        return None
    content = resolve(resp).get("content", {})
    media = content.get("application/json")
    return media.get("schema") if media else None


def error_schema():
    return spec()["components"]["schemas"]["Error"]


def problems(method, path, status, body):
    """What is wrong with a JSON `body` answered to METHOD path (a list of strings)."""
    method = "GET" if method == "HEAD" else method
    route = urllib.parse.urlsplit(path).path
    op = operations().get((method, route))
    if op is None:
        if isinstance(body, dict) and body.get("errno") == 0:
            return ["%s %s answered errno 0 but is not in docs/openapi.yaml" % (method, route)]
        schema = error_schema()  # unknown URL or method: the protocol errors
    else:
        schema = json_schema_of(op, status)
        if schema is None:
            return ["%s %s: docs/openapi.yaml has no JSON answer for HTTP %d" % (method, route, status)]
    found = []
    for e in _validator(schema).iter_errors(body):
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        found.append("%s: %s" % (where, e.message[:300]))
    return found


def check_answer(method, path, status, content_type, body_bytes, json_value):
    """Raises AssertionError when an `/api/` JSON answer breaks docs/openapi.yaml."""
    if not path.startswith("/api/") or json_value is None:
        return
    if not content_type.startswith("application/json"):
        return
    found = problems(method, path, status, json_value)
    if found:
        raise AssertionError("answer of %s %s (HTTP %d) breaks docs/openapi.yaml:\n  %s\nbody: %s" % (
            method, path, status, "\n  ".join(found[:5]), body_bytes[:400].decode("utf-8", "replace")))


ROUTE_RE = re.compile(r'router\.add\(\s*"([A-Z]+)"\s*,\s*"([^"]+)"')


def router_routes(src_dir=os.path.join(ROOT, "src")):
    """{(METHOD, path)} of every `router.add("METHOD", "/path", …)` under src/, and the
    registrations it could not read (a path that is not a string literal)."""
    routes, unread = set(), []
    for dirpath, _dirs, files in os.walk(src_dir):
        for name in files:
            if not name.endswith(".cpp"):
                continue
            with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                text = f.read()
            for m in re.finditer(r"router\.add\(", text):
                call = ROUTE_RE.match(text, m.start())
                if call:
                    routes.add((call.group(1), call.group(2)))
                else:
                    line = text.count("\n", 0, m.start()) + 1
                    unread.append("%s:%d" % (os.path.relpath(os.path.join(dirpath, name), ROOT), line))
    return routes, unread
