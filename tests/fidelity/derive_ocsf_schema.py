"""Derive nhi_cli/reports/schemas/ocsf-<version>-detection_finding.schema.json from the OCSF schema.

Source: github.com/ocsf/ocsf-schema at a release tag (the schema file records tag and commit).
Run it by hand when nhi moves to a newer OCSF release:

    python tests/fidelity/derive_ocsf_schema.py path/to/ocsf-schema.git v1.8.0 \
        > nhi_cli/reports/schemas/ocsf-1.8.0-detection_finding.schema.json

The OCSF repository holds the schema as source (a class extends its parent up to base_event,
attributes take their type and enum from dictionary.json, ``$include`` pulls in profiles, objects
extend ``_entity``/``_resource``); the OCSF server compiles it. This does the same compilation
for one class, with no profile applied (profiles are optional and nhi declares none), into a
JSON Schema (draft 2020-12):

- every attribute of the class and of each object it can reach, with its type; no other
  attribute is allowed (``additionalProperties: false``), so a misspelt or invented field fails;
- ``requirement: required`` attributes are required; ``recommended`` ones are not;
- ``*_id`` enums are closed integer sets; ``class_uid``, ``category_uid`` are constants and
  ``type_uid`` is ``class_uid * 100 + activity_id``;
- scalar subtypes carry their regex, range and max length; object ``constraints``
  (``at_least_one``, ``just_one``) become anyOf/oneOf of ``required``.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

CLASS = "detection_finding"
CLASS_PATH = "events/findings/detection_finding.json"
SCALARS = {
    "string_t": {"type": "string"},
    "integer_t": {"type": "integer"},
    "long_t": {"type": "integer"},
    "float_t": {"type": "number"},
    "boolean_t": {"type": "boolean"},
    "json_t": {},
    "object": {"type": "object"},
}


class Source:
    def __init__(self, repo: str, tag: str):
        self.repo, self.tag = repo, tag
        self.commit = self._git("rev-parse", f"{tag}^{{commit}}").strip()
        self.version = json.loads(self.read("version.json"))["version"]
        dictionary = json.loads(self.read("dictionary.json"))
        self.attributes = dictionary["attributes"]
        self.types = dictionary["types"]["attributes"]
        self.objects = {}
        for path in self._git("ls-tree", "--name-only", f"{tag}:objects").split():
            data = json.loads(self.read(f"objects/{path}"))
            self.objects[data["name"]] = data

    def _git(self, *args: str) -> str:
        return subprocess.run(["git", "-C", self.repo, *args], check=True, capture_output=True, text=True).stdout

    def read(self, path: str) -> str:
        return self._git("show", f"{self.tag}:{path}")


def merge(base: dict, over: dict) -> dict:
    """Deep merge: ``over`` wins, nested mappings (enums, attribute specs) are united."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def own_attributes(src: Source, spec: dict) -> dict:
    """The attributes a class or object file declares, with its ``$include`` files under them
    (a profile's attributes are marked with the profile unless the file says otherwise)."""
    attrs = dict(spec.get("attributes") or {})
    included: dict = {}
    for path in attrs.pop("$include", []):
        data = json.loads(src.read(path))
        profile = data["name"] if data.get("meta") == "profile" else None
        for name, attr in (data.get("attributes") or {}).items():
            attr = dict(attr)
            if profile is not None:
                attr.setdefault("profile", profile)
            included[name] = attr
    return merge(included, attrs)


def class_attributes(src: Source, path: str) -> tuple[dict, dict]:
    spec = json.loads(src.read(path))
    attrs = own_attributes(src, spec)
    parent = spec.get("extends")
    if parent:
        parent_path = "events/base_event.json" if parent == "base_event" else f"events/findings/{parent}.json"
        parent_spec, parent_attrs = class_attributes(src, parent_path)
        attrs = merge(parent_attrs, attrs)
        spec = {**parent_spec, **{k: v for k, v in spec.items() if k != "attributes"}}
    return spec, attrs


def object_attributes(src: Source, name: str) -> tuple[dict, dict]:
    """(the object's spec with constraints inherited from its parents, its attributes)."""
    spec = src.objects[name]
    attrs = own_attributes(src, spec)
    parent = spec.get("extends")
    if parent and parent != name:
        parent_spec, parent_attrs = object_attributes(src, parent)
        attrs = merge(parent_attrs, attrs)
        spec = {**spec, "constraints": spec.get("constraints") or parent_spec.get("constraints") or {}}
    return spec, attrs


class Builder:
    def __init__(self, src: Source):
        self.src = src
        self.defs: dict[str, Any] = {}

    def scalar(self, type_name: str) -> dict:
        if type_name in SCALARS:
            return dict(SCALARS[type_name])
        t = self.src.types[type_name]
        out = self.scalar(t["type"]) if t.get("type") else {}
        if "regex" in t:
            out["pattern"] = t["regex"]
        if "max_len" in t:
            out["maxLength"] = t["max_len"]
        if "range" in t:
            out["minimum"], out["maximum"] = t["range"]
        if "values" in t:
            out["enum"] = t["values"]
        return out

    def attribute(self, name: str, local: dict) -> dict:
        attr = merge(self.src.attributes.get(name, {}), local)
        type_name = attr.get("type")
        if type_name is None:
            raise SystemExit(f"attribute {name} has no type")
        if type_name in self.src.objects:
            self.object(type_name)
            schema: dict = {"$ref": f"#/$defs/{type_name}"}
        else:
            schema = self.scalar(type_name)
            enum = attr.get("enum")
            if enum and schema.get("type") == "integer":
                schema["enum"] = sorted(int(k) for k in enum)
        if attr.get("is_array"):
            schema = {"type": "array", "items": schema}
        return schema

    def properties(self, attrs: dict) -> tuple[dict, list[str]]:
        props, required = {}, []
        for name, local in sorted(attrs.items()):
            if local.get("profile"):  # an attribute of a profile nhi does not apply
                continue
            props[name] = self.attribute(name, local)
            if local.get("requirement") == "required":
                required.append(name)
        return props, required

    def object(self, name: str) -> None:
        if name in self.defs:
            return
        self.defs[name] = {}  # placeholder: objects refer to each other (process -> parent_process)
        spec, attrs = object_attributes(self.src, name)
        props, required = self.properties(attrs)
        schema: dict = {"type": "object", "properties": props, "additionalProperties": False}
        if name == "object":  # the generic object (unmapped): anything goes
            schema = {"type": "object"}
        if required:
            schema["required"] = required
        constraints = spec.get("constraints") or {}
        present = [c for c in constraints.get("at_least_one", []) if c in props]
        if present:
            schema["anyOf"] = [{"required": [c]} for c in present]
        one = [c for c in constraints.get("just_one", []) if c in props]
        if one:
            schema["oneOf"] = [{"required": [c]} for c in one]
        self.defs[name] = schema


def derive(repo: str, tag: str) -> dict:
    src = Source(repo, tag)
    spec, attrs = class_attributes(src, CLASS_PATH)
    categories = json.loads(src.read("categories.json"))["attributes"]
    category_uid = categories[spec["category"]]["uid"]
    class_uid = category_uid * 1000 + spec["uid"]
    builder = Builder(src)
    props, required = builder.properties(attrs)
    activities = sorted(int(k) for k in attrs["activity_id"]["enum"])
    props["class_uid"] = {"const": class_uid}
    props["category_uid"] = {"const": category_uid}
    props["type_uid"] = {"enum": [class_uid * 100 + a for a in activities]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": (
            f"OCSF {src.version} class {CLASS} ({class_uid}), no profiles, derived from "
            f"github.com/ocsf/ocsf-schema tag {tag} commit {src.commit} by tests/fidelity/derive_ocsf_schema.py"
        ),
        "title": f"OCSF {src.version} {spec['caption']}",
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
        "$defs": dict(sorted(builder.defs.items())),
    }


if __name__ == "__main__":
    json.dump(derive(sys.argv[1], sys.argv[2]), sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
