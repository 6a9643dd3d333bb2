#!/usr/bin/env python3
"""Derive the contract suite's JSON Schemas from the pinned TypeScript SDK.

Why this exists: the SDK's `dist/index.d.ts` is the most concrete public
description of the live API's response shapes, but every response field there
is optional (`?`). The contract (every documented field is always present,
null where the type allows null) is stricter, so this script:

1. runs ts-json-schema-generator on the installed d.ts (all exported types);
2. reads the routes from the client class (each method's JSDoc starts with
   `METHOD /path`, its return type is `Promise<ApiResponse<T>>`) and has the
   generator expand each `T` through a tiny generated wrapper file;
3. marks every documented property of every type reachable from a route as
   required, except the few fields the SDK documents as present only
   sometimes (CONDITIONAL below, each checked against the SDK's own words);
4. adds the routes only the newer Python SDK has (schemas written from its
   docstrings; the CSV download is typed by content type, not a schema), the
   response fields and per-status answers the contract documents from the
   Python docstrings (PYTHON_DOCUMENTED_FIELDS, STATUS_VARIANTS), the success
   envelope and the error envelope.

Email operations are documented as "Early access: 403 EMAIL_EARLY_ACCESS until
GA", so they never answer with a body to validate: they are listed under
`early_access` and left out of the routes table (their types stay as
generated).

The output is cached: it is rebuilt only when the d.ts, this script or the
generator version changes.

Usage: derive_schemas.py [--force]  (paths are relative to this file)
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
SDK_DIR = HERE / "node_modules" / "@political-comms" / "sdk"
DTS = SDK_DIR / "dist" / "index.d.ts"
GENERATOR = HERE / "node_modules" / ".bin" / "ts-json-schema-generator"
OUT_DIR = HERE / ".schemas"
OUT = OUT_DIR / "sdk.json"

# Fields the SDK documents as present only sometimes: never required.
# Key: "Type.property[.nested property]"; value: the SDK's words that say so,
# found in the doc comment of the field or of the object holding it. The
# derivation fails if a path disappears or its doc no longer says this, so an
# SDK upgrade cannot silently change what is conditional.
CONDITIONAL = {
    "ContactListAnalysisSection.breakdown": "Present only after at least one number has been analyzed",
    "CreateProjectResult.question_count": "Survey projects only",
    "CreateProjectResult.completeness.has_message": "Broadcast reports has_message",
    "CreateProjectResult.completeness.has_questions": "surveys report has_questions",
    "ProjectDetail.questions": "Survey projects only; absent on broadcast projects",
}

# Doc wording that hints at a conditional field. Matches outside CONDITIONAL
# are printed for review (not an error: "Set only when ..." describes a value
# that is null otherwise, and the field is still present).
HINT = re.compile(r"present only|only present|only after|absent|\bonly\b[.;]|returned by", re.I)

# Fields whose doc matches HINT but that were reviewed and stay required.
REVIEWED_REQUIRED = {
    # "Broadcast only; surveys never carry the footer": the flag's meaning, not its presence.
    "ProjectDetail.opt_out_footer_enabled",
}

# The client machinery is exported too, but is not part of the wire format.
NOT_WIRE_TYPES = {"PoliticalCommsClient", "PoliticalCommsClientOptions", "PoliticalCommsError", "RequestOptions"}

# Routes only the Python SDK (political-comms 0.15.0) has. The TypeScript
# types do not describe them, so their schemas are written from the
# docstrings, already strict.
PYTHON_ONLY_ROUTES = [
    {
        "method": "GET",
        "path": "/campaigns/{id}/throughput",
        "operation": "get_campaign_throughput",
        "source": "political_comms 0.15.0 docstring of get_campaign_throughput",
        "data": {
            "type": "object",
            "additionalProperties": {},
            "required": ["campaign_id", "carrier_metered", "t_mobile", "att"],
            "properties": {
                "campaign_id": {"type": "string"},
                "carrier_metered": {"type": "boolean"},
                "t_mobile": {
                    "anyOf": [
                        {
                            "type": "object",
                            "additionalProperties": {},
                            "required": ["daily_cap", "used_today", "remaining_today", "pacific_day"],
                            "properties": {
                                "daily_cap": {"type": "integer"},
                                "used_today": {"type": ["integer", "null"]},
                                "remaining_today": {"type": ["integer", "null"]},
                                "pacific_day": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                            },
                        },
                        {"type": "null"},
                    ]
                },
                "att": {
                    "anyOf": [
                        {
                            "type": "object",
                            "additionalProperties": {},
                            "required": ["sms_tpm", "mms_tpm"],
                            "properties": {
                                "sms_tpm": {"type": ["integer", "null"]},
                                "mms_tpm": {"type": ["integer", "null"]},
                            },
                        },
                        {"type": "null"},
                    ]
                },
            },
        },
    },
    {
        # POST /projects/{id}/pause {reason?}: "``reason`` (1-100 characters) is returned as
        # ``pause_reason`` on ``get_project``; omitted means ``manual``. An already paused project
        # returns 200 with its current ``pause_reason``." The answer carries the project and its
        # status like every other project action (CONTRACT §7).
        "method": "POST",
        "path": "/projects/{id}/pause",
        "operation": "pause_project",
        "source": "political_comms 0.15.0 docstring of pause_project; CONTRACT §7",
        "data": {
            "type": "object",
            "additionalProperties": {},
            "required": ["project_id", "status", "pause_reason"],
            "properties": {
                "project_id": {"type": "string"},
                "status": {"const": "paused"},
                "pause_reason": {"type": "string", "minLength": 1, "maxLength": 100},
            },
        },
    },
    {
        # GET /projects/{id}/throughput: the Python docstring of get_project_throughput and the
        # public SDK's TS 0.13.0 `ProjectThroughput` (CONTRACT §7): "`recipients` and
        # `carrier_coverage` are present only when `carrier_metered` is true"; `t_mobile` and
        # `att` are an object or null; "used_today / remaining_today are None (not 0) when usage
        # is temporarily unavailable".
        "method": "GET",
        "path": "/projects/{id}/throughput",
        "operation": "get_project_throughput",
        "source": "political_comms 0.15.0 docstring of get_project_throughput; TS SDK 0.13.0 ProjectThroughput",
        "data": {
            "type": "object",
            "additionalProperties": {},
            "required": ["project_id", "carrier_metered", "t_mobile", "att"],
            "properties": {
                "project_id": {"type": "string"},
                "carrier_metered": {"type": "boolean"},
                "t_mobile": {
                    "anyOf": [
                        {
                            "type": "object",
                            "additionalProperties": {},
                            "required": [
                                "daily_cap", "used_today", "remaining_today", "estimated_recipients",
                                "will_pause", "estimated_send_days",
                            ],
                            "properties": {
                                "daily_cap": {"type": ["integer", "null"], "minimum": 0},
                                "used_today": {"type": ["integer", "null"], "minimum": 0},
                                "remaining_today": {"type": ["integer", "null"], "minimum": 0},
                                "estimated_recipients": {"type": "integer", "minimum": 0},
                                "will_pause": {"type": "boolean"},
                                "estimated_send_days": {"type": "integer", "minimum": 1},
                            },
                        },
                        {"type": "null"},
                    ]
                },
                "att": {
                    "anyOf": [
                        {
                            "type": "object",
                            "additionalProperties": {},
                            "required": ["tpm", "estimated_recipients", "estimated_minutes"],
                            "properties": {
                                "tpm": {"type": "integer", "minimum": 1},
                                "estimated_recipients": {"type": "integer", "minimum": 0},
                                "estimated_minutes": {"type": "integer", "minimum": 0},
                            },
                        },
                        {"type": "null"},
                    ]
                },
                "recipients": {"type": "integer", "minimum": 0},
                "carrier_coverage": {"type": "number", "minimum": 0, "maximum": 1},
            },
            # Present exactly when carrier_metered is true.
            "if": {"properties": {"carrier_metered": {"const": True}}},
            "then": {"required": ["recipients", "carrier_coverage"]},
            "else": {"not": {"anyOf": [{"required": ["recipients"]}, {"required": ["carrier_coverage"]}]}},
        },
    },
    {
        # Not JSON: the CSV text itself (the SDK sends `Accept: text/csv` and returns `.text`).
        # Errors (400, 404, 409 ANALYSIS_NOT_COMPLETE) still use the JSON error envelope.
        "method": "GET",
        "path": "/contact-lists/{id}/download",
        "operation": "download_contact_list",
        "source": "political_comms 0.15.0 docstring of download_contact_list; CONTRACT §5",
        "content_type": "text/csv",
        "data": None,
    },
]

# Fields of TypeScript response types that the contract documents from the Python
# SDK's docstrings (CONTRACT §5 defers to them), absent from the d.ts. They are
# added as required properties. Key: (type, property); value: (Python SDK method
# whose docstring documents the field, its words, the schema). The derivation
# fails if the docstring no longer says so.
PYTHON_DOCUMENTED_FIELDS = {
    ("ContactListDetail", "available_merge_tags"): (
        "get_contact_list",
        "The result includes ``available_merge_tags``: each merge tag the list offers, "
        "the column it reads, and whether it is a standard field.",
        {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": {},
                "required": ["merge_tag", "csv_column", "standard"],
                "properties": {
                    "merge_tag": {"type": "string", "minLength": 1},
                    "csv_column": {"type": "string"},
                    "standard": {"type": "boolean"},
                },
            },
        },
    ),
    # The d.ts ProjectDetail (0.11.1) predates `pause_reason` (TS 0.13.0 declares it
    # `string | null`, "null when not paused"); CONTRACT §7 documents it from both.
    ("ProjectDetail", "pause_reason"): (
        "pause_project",
        "``reason`` (1-100 characters) is returned as ``pause_reason`` on ``get_project``",
        {"type": ["string", "null"]},
    ),
    ("ContactListAnalysisResult", "cost_cents"): (
        "analyze_contact_list",
        "Returns 202 with `cost_cents` and `numbers_queued`",
        {"type": "number", "minimum": 0},
    ),
}

# Answers whose HTTP status selects another documented shape than the d.ts type.
# Key: (method, path); value: {status: (Python SDK method, its words, schema)}.
# The validators use `data_by_status[status]` instead of `data` for that status
# only, so every other status still has to match the TypeScript type exactly.
STATUS_VARIANTS = {
    # The d.ts types ContactListAnalysisResult.analysis.status as the const
    # 'processing' (the 202 answer). CONTRACT §5 and the Python docstring also
    # document a 200 answer with status 'complete' and cost 0 "when nothing is
    # left to analyze": accepted for HTTP 200 only, and only in exactly that form.
    ("POST", "/contact-lists/{id}/analyze"): {
        "200": (
            "analyze_contact_list",
            "or 200 with `analysis.status` `complete` (cost 0) when nothing is left to analyze",
            {
                "type": "object",
                "additionalProperties": {},
                "required": ["list_id", "analysis", "cost_cents"],
                "properties": {
                    "list_id": {"type": "string"},
                    "analysis": {
                        "type": "object",
                        "additionalProperties": {},
                        "required": ["status"],
                        "properties": {"status": {"const": "complete"}},
                    },
                    "cost_cents": {"const": 0},
                },
            },
        ),
    },
}


def python_doc(method: str) -> str:
    """The Python SDK method's docstring, whitespace-normalized (run.sh runs this in the venv)."""
    try:
        from political_comms import PoliticalCommsClient
    except ImportError:
        fail("political_comms is not importable: run derive_schemas.py with tests/sdk/.venv/bin/python")
    fn = getattr(PoliticalCommsClient, method, None)
    if fn is None:
        fail(f"the Python SDK has no method {method!r}")
    return " ".join((fn.__doc__ or "").split())


def check_python_words(method: str, words: str, what: str) -> None:
    if " ".join(words.split()) not in python_doc(method):
        fail(f"{what}: the docstring of {method} no longer says {words!r}")


def fail(msg: str) -> "NoReturn":  # type: ignore[name-defined]
    print(f"derive_schemas: {msg}", file=sys.stderr)
    sys.exit(1)


def run_generator(path: Path) -> dict:
    cmd = [
        str(GENERATOR), "-p", str(path), "-t", "*", "-e", "all",
        "--no-type-check", "--additional-properties",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        fail(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return json.loads(proc.stdout)["definitions"]


def ref_name(ref: str) -> str:
    assert ref.startswith("#/definitions/"), ref
    return urllib.parse.unquote(ref[len("#/definitions/"):])


def refs_in(node) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(ref_name(value))
            else:
                found |= refs_in(value)
    elif isinstance(node, list):
        for value in node:
            found |= refs_in(value)
    return found


def closure(defs: dict, roots: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in defs:
            fail(f"reference to unknown definition {name!r}")
        seen.add(name)
        todo.extend(refs_in(defs[name]) - seen)
    return seen


def parse_routes(dts: str) -> tuple[list[dict], list[dict]]:
    """(routes, early_access) from the client class: JSDoc `METHOD /path`, return type."""
    body = re.search(r"declare class PoliticalCommsClient \{(.*?)\n\}", dts, re.S)
    if not body:
        fail("class PoliticalCommsClient not found in the d.ts")
    method_re = re.compile(
        r"/\*\*(?P<doc>(?:(?!\*/).)*)\*/\s*(?P<name>\w+)\((?P<params>[^)]*)\):\s*"
        r"Promise<ApiResponse<(?P<ret>.+?)>>;",
        re.S,
    )
    routes, early = [], []
    for m in method_re.finditer(body.group(1)):
        doc = m.group("doc")
        route = re.search(r"\b(GET|POST|PUT|PATCH|DELETE) (/[A-Za-z0-9_\-/{}]*)", doc)
        if not route:
            fail(f"no `METHOD /path` in the JSDoc of {m.group('name')}")
        entry = {
            "method": route.group(1),
            "path": route.group(2),
            "operation": m.group("name"),
            "returns": m.group("ret").strip(),
        }
        (early if "EMAIL_EARLY_ACCESS" in doc else routes).append(entry)
    if len(routes) < 30:
        fail(f"only {len(routes)} routes parsed from the client class; the d.ts layout changed?")
    return routes, early


def expand_route_types(routes: list[dict], exported: set[str]) -> dict[str, dict]:
    """Have the generator expand each route's `T`; returns operation -> (schema, extra defs)."""
    idents = set()
    for r in routes:
        idents |= set(re.findall(r"\b[A-Z]\w*\b", r["returns"]))
    unknown = idents - exported
    if unknown:
        fail(f"route types use names the SDK does not export: {sorted(unknown)}")
    OUT_DIR.mkdir(exist_ok=True)
    wrapper = OUT_DIR / "routes.ts"
    lines = [
        "// Generated by derive_schemas.py: one alias per route's response data type.",
        f"import type {{ {', '.join(sorted(idents))} }} from {json.dumps(str(DTS)[:-len('.d.ts')])};",
    ]
    lines += [f"export type Route_{r['operation']} = {r['returns']};" for r in routes]
    wrapper.write_text("\n".join(lines) + "\n")
    return run_generator(wrapper)


def strictify(node, path: str, docs: list[str], used: set[str]) -> None:
    """Make every property of every object schema under `node` required, except CONDITIONAL."""
    if not isinstance(node, dict):
        return
    if "properties" in node:
        required = []
        for prop, sub in node["properties"].items():
            sub_path = f"{path}.{prop}"
            if sub_path in CONDITIONAL:
                wording = CONDITIONAL[sub_path]
                texts = docs + [sub.get("description", "")]
                if not any(wording in t for t in texts):
                    fail(f"{sub_path}: the SDK no longer documents it as conditional ({wording!r})")
                used.add(sub_path)
                continue
            required.append(prop)
            desc = sub.get("description", "")
            if HINT.search(desc) and sub_path not in REVIEWED_REQUIRED:
                print(f"derive_schemas: review (kept required): {sub_path}: {desc}", file=sys.stderr)
        node["required"] = sorted(set(node.get("required", [])) | set(required))
        for prop, sub in node["properties"].items():
            child_docs = [sub.get("description", "")]
            strictify(sub, f"{path}.{prop}", child_docs, used)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            strictify(node[key], path, docs, used)
    for key in ("anyOf", "allOf", "oneOf"):
        for sub in node.get(key, []):
            strictify(sub, path, docs, used)


def strip_descriptions(node):
    """Drop doc text: used above, noise for validation."""
    if isinstance(node, dict):
        return {k: strip_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [strip_descriptions(v) for v in node]
    return node


def derive() -> dict:
    dts = DTS.read_text()
    exported_m = re.search(r"^export \{(.*?)\};", dts, re.S | re.M)
    if not exported_m:
        fail("export list not found in the d.ts")
    exported = {
        name.replace("type ", "").strip() for name in exported_m.group(1).split(",") if name.strip()
    }

    raw = run_generator(DTS)
    roots = {n for n in raw if n in exported} - NOT_WIRE_TYPES
    defs = {n: raw[n] for n in closure(raw, roots)}

    routes, early = parse_routes(dts)
    expanded = expand_route_types(routes, exported)

    table = []
    for r in routes:
        schema = copy.deepcopy(expanded[f"Route_{r['operation']}"])
        # Inline generic instantiations (CursorPage<X>) and follow plain aliases
        # (UpdateProjectResult = ProjectDetail), as a reader of the table expects.
        while set(schema) == {"$ref"}:
            target = ref_name(schema["$ref"])
            if target not in defs:
                schema = copy.deepcopy(expanded[target])
            elif set(defs[target]) - {"description"} == {"$ref"}:
                schema = {"$ref": defs[target]["$ref"]}
            else:
                break
        for name in refs_in(schema):
            if name not in defs:
                fail(f"{r['operation']}: route type refers to {name!r}, not an SDK definition")
        table.append({"method": r["method"], "path": r["path"], "operation": r["operation"], "data": schema})

    # Strictness: every object reachable from a route's data.
    used: set[str] = set()
    reachable = closure(defs, set().union(*(refs_in(r["data"]) for r in table)))
    for name in sorted(reachable):
        strictify(defs[name], name, [defs[name].get("description", "")], used)
    for r in table:
        strictify(r["data"], f"<{r['operation']}>", [], used)
    missing = set(CONDITIONAL) - used
    if missing:
        fail(f"conditional fields not found in any response type: {sorted(missing)}")

    for (type_name, prop), (method, words, schema) in PYTHON_DOCUMENTED_FIELDS.items():
        check_python_words(method, words, f"{type_name}.{prop}")
        target = defs.get(type_name)
        if target is None or "properties" not in target:
            fail(f"{type_name}.{prop}: {type_name} is not an object type of the SDK")
        if prop in target["properties"]:
            fail(f"{type_name}.{prop}: the d.ts declares it now; drop it from PYTHON_DOCUMENTED_FIELDS")
        target["properties"][prop] = copy.deepcopy(schema)
        target["required"] = sorted(set(target.get("required", [])) | {prop})

    for r in PYTHON_ONLY_ROUTES:
        table.append(copy.deepcopy(r))

    for (method, path), variants in STATUS_VARIANTS.items():
        route = next((r for r in table if (r["method"], r["path"]) == (method, path)), None)
        if route is None:
            fail(f"STATUS_VARIANTS: no route {method} {path}")
        route["data_by_status"] = {}
        for status, (sdk_method, words, schema) in variants.items():
            check_python_words(sdk_method, words, f"{method} {path} -> {status}")
            route["data_by_status"][status] = copy.deepcopy(schema)

    if "ErrorResponse" not in defs:
        fail("ErrorResponse missing from the SDK types")
    return strip_descriptions({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$comment": (
            "Generated by tests/sdk/derive_schemas.py from @political-comms/sdk "
            f"{json.loads((SDK_DIR / 'package.json').read_text())['version']} dist/index.d.ts "
            "(ts-json-schema-generator) with the contract's strictness rule. Do not edit."
        ),
        "definitions": defs,
        "routes": table,
        "early_access": [{k: r[k] for k in ("method", "path", "operation")} for r in early],
        "envelope": {
            "type": "object",
            "properties": {"success": {"const": True}},
            "required": ["success", "data"],
        },
        "error": {
            "allOf": [
                {"$ref": "#/definitions/ErrorResponse"},
                {
                    "type": "object",
                    "properties": {
                        "success": {"const": False},
                        "statusCode": {"type": "integer"},
                        "error": {"type": "string", "minLength": 1},
                        "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
                        "correlationId": {"type": "string", "minLength": 1},
                    },
                    "required": ["success", "error", "code", "statusCode"],
                },
            ]
        },
    })


def fingerprint() -> str:
    h = hashlib.sha256()
    h.update(DTS.read_bytes())
    h.update(Path(__file__).read_bytes())
    h.update((GENERATOR.resolve().parent.parent / "package.json").read_bytes())
    try:  # the Python docstrings checked above (the installed political-comms)
        import political_comms._client as python_client

        h.update(Path(python_client.__file__).read_bytes())
    except ImportError:
        pass
    return h.hexdigest()


def main() -> None:
    if not DTS.exists() or not GENERATOR.exists():
        fail("run tests/sdk/run.sh first: the SDK or the generator is not installed")
    stamp = OUT_DIR / "sdk.json.sha256"
    digest = fingerprint()
    if "--force" not in sys.argv and OUT.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    schemas = derive()
    OUT_DIR.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(schemas, indent=1, sort_keys=True) + "\n")
    stamp.write_text(digest)
    print(
        f"derive_schemas: {len(schemas['definitions'])} definitions, {len(schemas['routes'])} routes "
        f"({len(schemas['early_access'])} early-access operations) -> {OUT.relative_to(HERE)}"
    )


if __name__ == "__main__":
    main()
