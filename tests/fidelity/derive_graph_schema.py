"""Derive tests/fidelity/graph_v1_schema.json from Microsoft Graph's published v1.0 CSDL.

Source: github.com/microsoftgraph/msgraph-metadata, clean_v10_metadata/cleanMetadata.xml.
Run it by hand when the CSDL moves on (the schema file records the commit it came from):

    python tests/fidelity/derive_graph_schema.py path/to/cleanMetadata.xml COMMIT > tests/fidelity/graph_v1_schema.json

Each entity or complex type nhi reads becomes a JSON schema object with exactly the CSDL's
properties (base types included) and the navigation properties nhi $expands, so a renamed
field, a property v1.0 does not have, or a wrong nesting fails validation.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
ROOTS = [
    "servicePrincipal",
    "application",
    "appRoleAssignment",
    "oAuth2PermissionGrant",
    "directoryRole",
    "user",
    "organization",
]
PRIMITIVE = {
    "Edm.String": {"type": "string"},
    "Edm.Guid": {"type": "string"},
    "Edm.Boolean": {"type": "boolean"},
    "Edm.DateTimeOffset": {"type": "string"},
    "Edm.Binary": {"type": "string", "contentEncoding": "base64"},
    "Edm.Int32": {"type": "integer"},
    "Edm.Int64": {"type": "integer"},
    "Edm.Double": {"type": "number"},
    "Edm.Date": {"type": "string"},
    "Edm.Stream": {"type": "string"},
    "Edm.Duration": {"type": "string"},
    "Edm.TimeOfDay": {"type": "string"},
    "Edm.Byte": {"type": "integer"},
    "Edm.Int16": {"type": "integer"},
    "Edm.Single": {"type": "number"},
    "Edm.Decimal": {"type": "number"},
}


def main(path: str, commit: str) -> dict:
    root = ET.parse(path).getroot()
    types, enums = {}, set()
    for schema in root.iter(EDM + "Schema"):
        if schema.get("Namespace") != "microsoft.graph":
            continue
        for kind in ("EntityType", "ComplexType"):
            for node in schema.findall(EDM + kind):
                types[node.get("Name")] = node
        enums |= {e.get("Name") for e in schema.findall(EDM + "EnumType")}
    defs: dict[str, dict] = {}

    def type_schema(edm: str) -> dict:
        if edm.startswith("Collection("):
            return {"type": ["array", "null"], "items": type_schema(edm[11:-1])}
        if edm in PRIMITIVE:
            return {**PRIMITIVE[edm], "type": [PRIMITIVE[edm]["type"], "null"]}
        name = edm.split(".", 1)[1]
        if name in enums:
            return {"type": ["string", "null"]}
        define(name)
        return {"anyOf": [{"$ref": f"#/$defs/{name}"}, {"type": "null"}]}

    def define(name: str) -> None:
        if name in defs or name not in types:
            return
        defs[name] = {}  # placeholder against recursion
        props: dict[str, dict] = {}
        node = types[name]
        chain = []
        while node is not None:
            chain.append(node)
            base = node.get("BaseType")
            node = types.get(base.split(".", 1)[1]) if base else None
        for node in chain:
            for prop in node.findall(EDM + "Property"):
                props[prop.get("Name")] = type_schema(prop.get("Type"))
            for nav in node.findall(EDM + "NavigationProperty"):  # what $expand may inline
                props[nav.get("Name")] = {"type": "array"} if nav.get("Type").startswith("Collection(") else {}
        defs[name] = {
            "type": "object",
            "properties": props,
            "additionalProperties": False,
            "patternProperties": {"@odata[.]": {}},
        }

    for name in ROOTS:
        define(name)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": f"Derived from microsoftgraph/msgraph-metadata {commit} clean_v10_metadata/cleanMetadata.xml "
        "by tests/fidelity/derive_graph_schema.py",
        "$defs": defs,
    }


if __name__ == "__main__":
    json.dump(main(sys.argv[1], sys.argv[2]), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
