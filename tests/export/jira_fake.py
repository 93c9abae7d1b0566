"""A loopback fake of the Jira Cloud REST API v3 endpoints nhi uses, strict about what it accepts.

Every request body is validated against jira_v3_subset.schema.json (derived from Atlassian's
OpenAPI by derive_jira_schema.py; sources recorded in the file) and refused with Jira's error
shape (400 ``{"errorMessages": [...], "errors": {}}``) when it does not fit: a v2-style plain
string description, a label with a space, an unknown field, a transition without an id. Auth is
Basic email:token (401 otherwise). Issues live in memory with a To Do/Done workflow.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import jsonschema

from nhi_cli.kit.http_fake import FakeHttpServer, FakeRequest, reply

SCHEMA = json.loads((Path(__file__).parent / "jira_v3_subset.schema.json").read_text())
JQL = re.compile(
    r'project = "(?P<project>[^"]+)" AND labels = "(?P<label>[^"]+)" AND statusCategory != Done ORDER BY key ASC'
)
TO_DO = {"name": "To Do", "statusCategory": {"key": "new"}}
DONE = {"name": "Done", "statusCategory": {"key": "done"}}
TRANSITIONS = [{"id": "11", "name": "To Do", "to": TO_DO}, {"id": "31", "name": "Done", "to": DONE}]


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": SCHEMA["$defs"]})


def bad(message: str, status: int = 400):
    return reply({"errorMessages": [message], "errors": {}}, status)


class JiraFake(FakeHttpServer):
    def __init__(self, email: str, token: str, project: str = "SEC", page_size: int = 2):
        super().__init__()
        self.auth = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
        self.project, self.page_size = project, page_size
        self.issues: dict[str, dict] = {}
        self.search_body = validator("SearchAndReconcileRequestBean")
        self.update_body = validator("IssueUpdateDetails")
        self.fields = validator("NhiIssueFields")
        self.route("POST", "/rest/api/3/search/jql", self._guard(self.search))
        self.route("POST", "/rest/api/3/issue", self._guard(self.create))
        self.route("PUT", r"/rest/api/3/issue/(?P<key>[A-Z]+-\d+)", self._guard(self.edit))
        self.route("GET", r"/rest/api/3/issue/(?P<key>[A-Z]+-\d+)/transitions", self._guard(self.transitions))
        self.route("POST", r"/rest/api/3/issue/(?P<key>[A-Z]+-\d+)/transitions", self._guard(self.transition))

    def _guard(self, handler):
        def run(request: FakeRequest):
            if request.headers.get("authorization") != self.auth:
                return bad("Client must be authenticated to access this resource.", 401)
            if request.method in ("POST", "PUT") and request.headers.get("content-type", "").split(";")[0] != (
                "application/json"
            ):
                return reply(None, 415)
            try:
                return handler(request)
            except jsonschema.ValidationError as exc:
                return bad(f"{'/'.join(str(p) for p in exc.absolute_path)}: {exc.message}")

        return run

    def _issue(self, request: FakeRequest) -> dict | None:
        return self.issues.get(request.match["key"]) if request.match else None

    def search(self, request: FakeRequest):
        body = request.json()
        self.search_body.validate(body)
        match = JQL.fullmatch(body["jql"])
        if not match:
            return bad(f"the fake does not know this JQL: {body['jql']}")
        found = [
            i
            for k, i in sorted(self.issues.items(), key=lambda kv: int(kv[0].split("-")[1]))
            if i["project"] == match["project"]
            and match["label"] in i["fields"]["labels"]
            and i["fields"]["status"]["statusCategory"]["key"] != "done"
        ]
        start = int(body.get("nextPageToken") or 0)
        size = min(body.get("maxResults", 50), self.page_size)
        page = found[start : start + size]
        wanted = body.get("fields") or ["id"]
        answer = {
            "issues": [
                {"id": i["id"], "key": i["key"], "fields": {f: i["fields"].get(f) for f in wanted if f in i["fields"]}}
                for i in page
            ],
            "isLast": start + size >= len(found),
        }
        if not answer["isLast"]:
            answer["nextPageToken"] = str(start + size)
        return reply(answer)

    def create(self, request: FakeRequest):
        body = request.json()
        self.update_body.validate(body)
        fields = body.get("fields") or {}
        self.fields.validate(fields)
        missing = [f for f in ("project", "issuetype", "summary") if f not in fields]
        if missing:
            return bad(f"required fields missing: {', '.join(missing)}")
        if fields["project"].get("key") != self.project:
            return bad(f"project {fields['project']} does not exist")
        if fields["issuetype"].get("name") not in ("Task", "Bug"):
            return bad(f"issue type {fields['issuetype']} is not valid for {self.project}")
        number = len(self.issues) + 1
        key = f"{self.project}-{number}"
        self.issues[key] = {
            "id": str(10000 + number),
            "key": key,
            "project": self.project,
            "fields": {"labels": [], "description": None, **fields, "status": TO_DO},
        }
        return reply(
            {"id": str(10000 + number), "key": key, "self": f"{self.url}/rest/api/3/issue/{10000 + number}"}, 201
        )

    def edit(self, request: FakeRequest):
        issue = self._issue(request)
        if issue is None:
            return bad("Issue does not exist or you do not have permission to see it.", 404)
        body = request.json()
        self.update_body.validate(body)
        self.fields.validate(body.get("fields") or {})
        if {"project", "issuetype"} & set(body.get("fields") or {}):
            return bad("project and issuetype cannot be changed by an edit")
        issue["fields"].update(body.get("fields") or {})
        return reply(None, 204)

    def transitions(self, request: FakeRequest):
        if self._issue(request) is None:
            return bad("Issue does not exist or you do not have permission to see it.", 404)
        return reply({"transitions": TRANSITIONS})

    def transition(self, request: FakeRequest):
        issue = self._issue(request)
        if issue is None:
            return bad("Issue does not exist or you do not have permission to see it.", 404)
        body = request.json()
        self.update_body.validate(body)
        chosen = next((t for t in TRANSITIONS if t["id"] == (body.get("transition") or {}).get("id")), None)
        if chosen is None:
            return bad("Transition id is not valid for this issue.")
        issue["fields"]["status"] = chosen["to"]
        return reply(None, 204)
