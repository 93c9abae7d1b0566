"""A GitHub API fake on the shared FakeHttpServer, serving an estate of recorded payloads.

An estate is a folder with ``app.json`` ({"app_id", "installations": {org: id}}) and one folder
per org holding the payloads GitHub returns: ``installations.json``,
``personal-access-tokens.json``, ``credential-authorizations.json`` (absent: the org has no
SAML SSO, so the endpoint answers 404), ``repos.json`` and ``deploy-keys.json`` ({repo: [keys]}).
The fake pages with ``per_page`` and Link headers, checks the app JWT's RS256 signature before
minting installation tokens, answers the fine-grained-PAT endpoints only for app tokens
(as GitHub does), and applies revokes so a read-back shows them. Used by the demo, the tests
and benchmarks/github_deploy_keys.py.

What nhi sends is checked against GitHub's REST OpenAPI description (github/rest-api-description
commit 755ee33, as generated into ``githubkit-schemas`` 26.10.21: API version 2026-03-10, and
its GHEC variant for ``credential-authorizations``; tests/fidelity/test_github_fake_contract.py
proves ``QUERY`` matches it). Payloads are validated against the same description's models
(tests/fidelity/test_vendor_models.py). Like GitHub, an ``X-GitHub-Api-Version`` GitHub does
not publish is a 400 (no header means 2022-11-28). Stricter than GitHub: an undocumented query
parameter or a ``per_page`` outside 1..100 is refused with a 400 naming it (GitHub ignores the
first and silently serves 100 for the second), so a connector relying on either fails its tests.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from nhi_cli.kit.http_fake import FakeHttpServer, FakeRequest, FakeResponse, IntRange, QueryRule, query_problem, reply
from nhi_cli.kit.times import RECORDED_AT, shift_times

if TYPE_CHECKING:  # cryptography is imported where a key is made or a JWT checked
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

# The API versions GitHub publishes (X-GitHub-Api-Version); nhi pins the first.
API_VERSIONS = {"2022-11-28", "2026-03-10"}
PAGE: dict[str, QueryRule] = {"per_page": IntRange(1, 100), "page": IntRange(1, 10**9)}
DIRECTION = {"asc", "desc"}
# Documented query parameters of each call the fake serves (GitHub's OpenAPI description; an
# array parameter is sent as ``name[]``). Calls that take none are absent.
QUERY: dict[tuple[str, str], dict[str, QueryRule]] = {
    ("GET", "/app/installations"): {**PAGE, "since": None, "outdated": None},
    ("GET", "/user/orgs"): PAGE,
    ("GET", "/orgs/{org}/installations"): PAGE,
    ("GET", "/orgs/{org}/personal-access-tokens"): {
        **PAGE,
        "sort": {"created_at"},
        "direction": DIRECTION,
        "owner[]": None,
        "repository": None,
        "permission": None,
        "last_used_before": None,
        "last_used_after": None,
        "token_id[]": None,
    },
    ("GET", "/orgs/{org}/credential-authorizations"): {**PAGE, "login": None},
    ("GET", "/orgs/{org}/repos"): {
        **PAGE,
        "type": {"all", "public", "private", "forks", "sources", "member"},
        "sort": {"created", "updated", "pushed", "full_name"},
        "direction": DIRECTION,
    },
    ("GET", "/repos/{owner}/{repo}/keys"): PAGE,
}
STRICTER = "nhi's GitHub fake refuses it: GitHub ignores unknown parameters and serves at most 100 a page"

PAT_ONLY_APPS = {
    "message": "Only GitHub Apps can use this endpoint.",
    "documentation_url": "https://docs.github.com/rest/orgs/personal-access-tokens",
}


class OrgData(TypedDict):
    """One org's payloads as the fake serves them (GitHub's JSON objects, recorded)."""

    installations: list[dict[str, Any]]
    pats: list[dict[str, Any]]
    sso: list[dict[str, Any]] | None  # None: no SAML SSO, the endpoint answers 404
    repos: list[dict[str, Any]]
    keys: dict[str, list[dict[str, Any]]]  # repository name -> its deploy keys


def _load(path: Path, default: Any) -> Any:
    return json.loads(path.read_text()) if path.is_file() else default


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class GithubFake(FakeHttpServer):
    def __init__(
        self,
        estate: dict[str, Any],
        *,
        tokens: AbstractSet[str] = frozenset(),
        public_key: RSAPublicKey | None = None,
        page_size: int = 100,
    ) -> None:
        super().__init__()
        self.page_size = page_size  # GitHub's maximum is 100; tests lower it to exercise paging
        self.app_id = str(estate.get("app_id", "1"))
        self.installation_ids: dict[str, int] = estate.get("installations", {})
        self.orgs: dict[str, OrgData] = estate["orgs"]
        self.tokens = set(tokens)  # plain tokens (PATs) the fake accepts
        self.app_tokens: set[str] = set()
        self.public_key = public_key  # cryptography RSA public key that app JWTs must verify with
        self._register()

    @classmethod
    def from_dir(cls, folder: Path, now: datetime | None = None, **kwargs: Any) -> GithubFake:
        """Load an estate; with ``now``, timestamps move so the estate is as old as when recorded."""
        app = _load(folder / "app.json", {})
        orgs: dict[str, OrgData] = {}
        for org_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            orgs[org_dir.name] = {
                "installations": _load(org_dir / "installations.json", {"total_count": 0, "installations": []})[
                    "installations"
                ],
                "pats": _load(org_dir / "personal-access-tokens.json", []),
                "sso": _load(org_dir / "credential-authorizations.json", None),
                "repos": _load(org_dir / "repos.json", []),
                "keys": _load(org_dir / "deploy-keys.json", {}),
            }
        if now is not None:
            orgs = shift_times(orgs, now - RECORDED_AT)
        return cls({**app, "orgs": copy.deepcopy(orgs)}, **kwargs)

    @classmethod
    def synthetic(cls, org: str, repos: int, keys_every: int = 50, **kwargs: Any) -> GithubFake:
        """An org with ``repos`` repositories, one deploy key in every ``keys_every``-th."""
        names = [f"repo-{i:05d}" for i in range(repos)]
        keys = {
            n: [
                {
                    "id": i + 1,
                    "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAK",
                    "title": f"ci-{n}",
                    "read_only": i % 2 == 0,
                    "verified": True,
                    "created_at": "2025-01-01T00:00:00Z",
                }
            ]
            for i, n in enumerate(names)
            if i % keys_every == 0
        }
        data: OrgData = {
            "installations": [],
            "pats": [],
            "sso": None,
            "keys": keys,
            "repos": [{"id": i, "name": n, "full_name": f"{org}/{n}"} for i, n in enumerate(names)],
        }
        return cls({"app_id": "1", "installations": {org: 1}, "orgs": {org: data}}, **kwargs)

    # --- auth ---------------------------------------------------------------------------
    def _bearer(self, req: FakeRequest) -> str:
        value = req.headers.get("authorization", "")
        return value.split(" ", 1)[1] if " " in value else ""

    def _jwt_ok(self, req: FakeRequest) -> bool:
        token = self._bearer(req)
        parts = token.split(".")
        if len(parts) != 3 or self.public_key is None:
            return False
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            self.public_key.verify(
                _b64decode(parts[2]), f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return False
        claims = json.loads(_b64decode(parts[1]))
        return bool(claims.get("iss") == self.app_id and claims.get("exp", 0) > time.time() >= claims.get("iat", 0))

    def _token_ok(self, req: FakeRequest) -> bool:
        token = self._bearer(req)
        return token in self.tokens or token in self.app_tokens

    # --- what nhi sends -------------------------------------------------------------------
    def _contract_problem(self, req: FakeRequest) -> FakeResponse | None:
        version = req.headers.get("x-github-api-version")
        if version is not None and version not in API_VERSIONS:
            return reply(
                {
                    "message": f"Unsupported 'X-GitHub-Api-Version' header: {version!r}",
                    "documentation_url": "https://docs.github.com/rest/about-the-rest-api/api-versions",
                },
                400,
            )
        route = self._documented_route(req)
        if route is None:
            return None
        if problem := query_problem(req, QUERY.get(route, {})):
            return reply({"message": f"{problem} ({STRICTER})"}, 400)
        return None

    @staticmethod
    def _documented_route(req: FakeRequest) -> tuple[str, str] | None:
        """The OpenAPI path template of the request (``/repos/{owner}/{repo}/keys``)."""
        if req.path == "/graphql":
            return None
        template = re.sub(r"^/repos/[^/]+/[^/]+/", "/repos/{owner}/{repo}/", req.path)
        template = re.sub(r"^/orgs/[^/]+", "/orgs/{org}", template)
        template = re.sub(r"/\d+(?=/|$)", "/{id}", template)
        return req.method, template

    # --- paging -------------------------------------------------------------------------
    def _page(
        self, req: FakeRequest, items: list[dict[str, Any]], wrap: Callable[[list[dict[str, Any]]], Any] | None = None
    ) -> FakeResponse:
        per_page = min(int(req.arg("per_page", "30")), self.page_size)
        page = int(req.arg("page", "1"))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers: dict[str, str] = {}
        if page * per_page < len(items):
            query = "&".join(f"{k}={v[0]}" for k, v in req.query.items() if k != "page")
            headers["Link"] = (
                f'<http://{req.headers.get("host")}{req.path}?{query}&page={page + 1}>; rel="next", '
                f'<http://{req.headers.get("host")}{req.path}?{query}&page=1>; rel="first"'
            )
        return reply(wrap(chunk) if wrap else chunk, 200, **headers)

    # --- routes -------------------------------------------------------------------------
    def _register(self) -> None:
        def auth(
            handler: Callable[..., FakeResponse], app_only: bool = False, jwt: bool = False
        ) -> Callable[[FakeRequest], FakeResponse]:
            """``handler`` takes the request, and the org's data when the route has an ``org`` group."""

            def wrapped(req: FakeRequest) -> FakeResponse:
                if problem := self._contract_problem(req):
                    return problem
                if jwt:
                    if not self._jwt_ok(req):
                        return reply({"message": "A JSON web token could not be decoded"}, 401)
                elif not self._token_ok(req):
                    return reply({"message": "Bad credentials"}, 401)
                elif app_only and self._bearer(req) not in self.app_tokens:
                    return reply(PAT_ONLY_APPS, 403)
                org = req.match.groupdict().get("org") if req.match else None
                if org is not None and org not in self.orgs:
                    return reply({"message": "Not Found"}, 404)
                return handler(req, self.orgs[org]) if org is not None else handler(req)

            return wrapped

        self.route("POST", r"/app/installations/(?P<iid>\d+)/access_tokens", auth(self._mint, jwt=True))
        self.route("GET", r"/app/installations", auth(self._app_installations, jwt=True))
        self.route("GET", r"/orgs/(?P<org>[^/]+)/installation", auth(self._org_installation, jwt=True))
        self.route("GET", r"/user/orgs", auth(lambda req: self._page(req, [{"login": o} for o in self.orgs])))
        self.route(
            "GET",
            r"/orgs/(?P<org>[^/]+)/installations",
            auth(
                lambda req, o: self._page(
                    req, o["installations"], lambda c: {"total_count": len(o["installations"]), "installations": c}
                )
            ),
        )
        self.route("GET", r"/orgs/(?P<org>[^/]+)/personal-access-tokens", auth(self._list_pats, app_only=True))
        self.route(
            "POST", r"/orgs/(?P<org>[^/]+)/personal-access-tokens/(?P<pat>\d+)", auth(self._revoke_pat, app_only=True)
        )
        self.route("GET", r"/orgs/(?P<org>[^/]+)/credential-authorizations", auth(self._list_sso))
        self.route("DELETE", r"/orgs/(?P<org>[^/]+)/credential-authorizations/(?P<cid>\d+)", auth(self._delete_sso))
        self.route("GET", r"/orgs/(?P<org>[^/]+)/repos", auth(lambda req, o: self._page(req, o["repos"])))
        self.route(
            "GET",
            r"/repos/(?P<org>[^/]+)/(?P<repo>[^/]+)/keys",
            auth(lambda req, o: self._page(req, o["keys"].get(req.match["repo"], []))),
        )
        self.route("GET", r"/repos/(?P<org>[^/]+)/(?P<repo>[^/]+)/keys/(?P<kid>\d+)", auth(self._get_key))
        self.route("DELETE", r"/repos/(?P<org>[^/]+)/(?P<repo>[^/]+)/keys/(?P<kid>\d+)", auth(self._delete_key))
        self.route("POST", r"/graphql", auth(self._graphql))

    def _mint(self, req: FakeRequest) -> FakeResponse:
        if int(req.match["iid"]) not in self.installation_ids.values():
            return reply({"message": "Not Found"}, 404)
        token = "ghs_" + secrets.token_hex(18)
        self.app_tokens.add(token)
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        return reply(
            {"token": token, "expires_at": expires, "permissions": {"organization_personal_access_tokens": "write"}},
            201,
        )

    def _app_installations(self, req: FakeRequest) -> FakeResponse:
        return self._page(
            req,
            [
                {"id": iid, "account": {"login": org, "type": "Organization"}}
                for org, iid in self.installation_ids.items()
            ],
        )

    def _org_installation(self, req: FakeRequest, org: OrgData) -> FakeResponse:
        iid = self.installation_ids.get(req.match["org"])
        return (
            reply({"id": iid, "account": {"login": req.match["org"]}}) if iid else reply({"message": "Not Found"}, 404)
        )

    def _list_pats(self, req: FakeRequest, org: OrgData) -> FakeResponse:
        owners = req.query.get("owner[]")
        items = [p for p in org["pats"] if not owners or p["owner"]["login"] in owners]
        return self._page(req, items)

    def _revoke_pat(self, req: FakeRequest, org: OrgData) -> FakeResponse:
        if (req.json() or {}).get("action") != "revoke":
            return reply({"message": "Invalid request"}, 422)
        before = len(org["pats"])
        org["pats"] = [p for p in org["pats"] if p["id"] != int(req.match["pat"])]
        return reply(None, 204) if len(org["pats"]) < before else reply({"message": "Not Found"}, 404)

    def _list_sso(self, req: FakeRequest, org: OrgData) -> FakeResponse:
        if org["sso"] is None:
            return reply({"message": "Not Found"}, 404)
        login = req.arg("login")
        return self._page(req, [c for c in org["sso"] if not login or c["login"] == login])

    def _delete_sso(self, req: FakeRequest, org: OrgData) -> FakeResponse:
        before = len(org["sso"] or [])
        kept = [c for c in org["sso"] or [] if c["credential_id"] != int(req.match["cid"])]
        org["sso"] = kept
        return reply(None, 204) if len(kept) < before else reply({"message": "Not Found"}, 404)

    def _find_key(self, req: FakeRequest, org: OrgData) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        keys = org["keys"].get(req.match["repo"], [])
        return keys, next((k for k in keys if k["id"] == int(req.match["kid"])), None)

    def _get_key(self, req: FakeRequest, org: OrgData) -> FakeResponse:
        _, key = self._find_key(req, org)
        return reply(key) if key else reply({"message": "Not Found"}, 404)

    def _delete_key(self, req: FakeRequest, org: OrgData) -> FakeResponse:
        keys, key = self._find_key(req, org)
        if key is None:
            return reply({"message": "Not Found"}, 404)
        keys.remove(key)
        return reply(None, 204)

    def _graphql(self, req: FakeRequest) -> FakeResponse:
        body = req.json()
        variables = body.get("variables") or {}
        name = variables.get("org")
        org = self.orgs.get(name) if isinstance(name, str) else None
        if org is None:
            return reply({"data": {"organization": None}, "errors": [{"type": "NOT_FOUND", "message": "no such org"}]})
        start = int(variables.get("cursor") or 0)
        repos = org["repos"][start : start + 100]
        nodes = [{"name": r["name"], "deployKeys": {"totalCount": len(org["keys"].get(r["name"], []))}} for r in repos]
        more = start + 100 < len(org["repos"])
        return reply(
            {
                "data": {
                    "organization": {
                        "repositories": {
                            "pageInfo": {"hasNextPage": more, "endCursor": str(start + 100) if more else None},
                            "nodes": nodes,
                        }
                    }
                }
            }
        )


def new_app_key() -> tuple[str, RSAPublicKey]:
    """A throwaway RSA key for the fake app (generated per run, never committed)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, key.public_key()
