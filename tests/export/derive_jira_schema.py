"""Derive tests/export/jira_v3_subset.schema.json: the request bodies nhi sends to Jira Cloud
REST v3, from Atlassian's published OpenAPI document, for the loopback fake to validate.

Source: Atlassian's swagger-v3 document as vendored in github.com/primelib/jira4j
(rest-v3/openapi.json; the commit and the document's own version are recorded in the output):

    git -C jira4j show COMMIT:rest-v3/openapi.json > openapi.json
    python tests/export/derive_jira_schema.py openapi.json COMMIT > tests/export/jira_v3_subset.schema.json

From the OpenAPI: ``IssueUpdateDetails`` (create, edit and transition bodies) and
``IssueTransition`` with every schema they reference, request-side: read-only properties are
dropped and unknown properties refused. Not in that document, so written here from Atlassian's
REST reference and marked as such: ``SearchAndReconcileRequestBean`` (POST /rest/api/3/search/jql,
which replaced /search in 2025), the ``fields`` nhi sets on an issue (the OpenAPI leaves
``fields`` free-form: their shape comes from create-meta), and the subset of the Atlassian
Document Format nhi writes (doc, heading, paragraph, bulletList, listItem, codeBlock, text).
"""

from __future__ import annotations

import json
import sys

ROOTS = ("IssueUpdateDetails", "IssueTransition")


def request_side(schema, defs, spec):
    """``schema`` with $refs rewritten to #/$defs, readOnly properties dropped, closed objects."""
    if isinstance(schema, list):
        return [request_side(s, defs, spec) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "$ref":
            name = value.rsplit("/", 1)[-1]
            if name not in defs:
                defs[name] = {}
                defs[name] = request_side(spec["components"]["schemas"][name], defs, spec)
            out["$ref"] = f"#/$defs/{name}"
        elif key == "properties":
            out[key] = {k: request_side(v, defs, spec) for k, v in value.items() if not v.get("readOnly")}
        elif key in ("description", "example", "xml", "readOnly", "writeOnly", "nullable"):
            continue
        else:
            out[key] = request_side(value, defs, spec)
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


ADF_TEXT = {"type": "string", "minLength": 1}
HAND_WRITTEN = {
    "SearchAndReconcileRequestBean": {
        "$comment": "POST /rest/api/3/search/jql body, from Atlassian's REST v3 reference "
        "(not in the vendored document)",
        "type": "object",
        "additionalProperties": False,
        "required": ["jql"],
        "properties": {
            "expand": {"type": "string"},
            "fields": {"type": "array", "items": {"type": "string"}},
            "fieldsByKeys": {"type": "boolean"},
            "jql": {"type": "string", "minLength": 1},
            "maxResults": {"type": "integer", "minimum": 1, "maximum": 5000},
            "nextPageToken": {"type": "string"},
            "properties": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
            "reconcileIssues": {"type": "array", "items": {"type": "integer"}, "maxItems": 50},
        },
    },
    "NhiIssueFields": {
        "$comment": "the fields nhi sets (create-meta shapes of the system fields project, issuetype, "
        "summary, description, labels)",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "project": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"key": {"type": "string"}, "id": {"type": "string"}},
                "minProperties": 1,
            },
            "issuetype": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"name": {"type": "string"}, "id": {"type": "string"}},
                "minProperties": 1,
            },
            "summary": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^\\r\\n]*$"},
            "description": {"$ref": "#/$defs/AdfDoc"},
            "labels": {"type": "array", "items": {"type": "string", "pattern": "^\\S{1,255}$"}},
        },
    },
    "AdfDoc": {
        "$comment": "Atlassian Document Format, the node types nhi writes (developer.atlassian.com ADF structure)",
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "version", "content"],
        "properties": {
            "type": {"const": "doc"},
            "version": {"const": 1},
            "content": {"type": "array", "items": {"$ref": "#/$defs/AdfBlock"}},
        },
    },
    "AdfBlock": {
        "oneOf": [
            {"$ref": "#/$defs/AdfParagraph"},
            {"$ref": "#/$defs/AdfHeading"},
            {"$ref": "#/$defs/AdfBulletList"},
            {"$ref": "#/$defs/AdfCodeBlock"},
        ]
    },
    "AdfText": {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "text"],
        "properties": {"type": {"const": "text"}, "text": ADF_TEXT},
    },
    "AdfParagraph": {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "content"],
        "properties": {
            "type": {"const": "paragraph"},
            "content": {"type": "array", "items": {"$ref": "#/$defs/AdfText"}},
        },
    },
    "AdfHeading": {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "attrs", "content"],
        "properties": {
            "type": {"const": "heading"},
            "attrs": {
                "type": "object",
                "additionalProperties": False,
                "required": ["level"],
                "properties": {"level": {"type": "integer", "minimum": 1, "maximum": 6}},
            },
            "content": {"type": "array", "items": {"$ref": "#/$defs/AdfText"}},
        },
    },
    "AdfBulletList": {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "content"],
        "properties": {
            "type": {"const": "bulletList"},
            "content": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/AdfListItem"}},
        },
    },
    "AdfListItem": {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "content"],
        "properties": {
            "type": {"const": "listItem"},
            "content": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/AdfParagraph"}},
        },
    },
    "AdfCodeBlock": {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "content"],
        "properties": {
            "type": {"const": "codeBlock"},
            "attrs": {"type": "object", "properties": {"language": {"type": "string"}}, "additionalProperties": False},
            "content": {"type": "array", "items": {"$ref": "#/$defs/AdfText"}},
        },
    },
}


def derive(path: str, commit: str) -> dict:
    spec = json.load(open(path, encoding="utf-8"))
    defs: dict = {}
    for root in ROOTS:
        defs[root] = request_side(spec["components"]["schemas"][root], defs, spec)
    defs.update(HAND_WRITTEN)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": (
            f"Jira Cloud REST v3 request bodies nhi sends. IssueUpdateDetails, IssueTransition and their references "
            f"from Atlassian's OpenAPI '{spec['info']['title']}' {spec['info']['version']} "
            f"(openapi {spec['openapi']}), "
            f"vendored in github.com/primelib/jira4j rest-v3/openapi.json at {commit}; the rest hand-written, "
            f"see tests/export/derive_jira_schema.py"
        ),
        "$defs": dict(sorted(defs.items())),
    }


if __name__ == "__main__":
    json.dump(derive(sys.argv[1], sys.argv[2]), sys.stdout, indent=1)
    sys.stdout.write("\n")
