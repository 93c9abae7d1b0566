"""The GitHub fake refuses what nhi must not send, and its list of documented query parameters
is GitHub's own (issue 12).

GitHub's REST OpenAPI description (github/rest-api-description 755ee33, API 2026-03-10 and its
GHEC variant, as generated into githubkit-schemas 26.10.21) is read through githubkit's
generated methods: each names its call (``GET /orgs/{org}/installations``) in its docstring
and takes the query parameters as keyword arguments (an array is sent as ``name[]``).
"""

from __future__ import annotations

import inspect
import re
import warnings
from pathlib import Path

import httpx
import pytest

from nhi_connectors.github.fake import QUERY, GithubFake

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "github"
TOKEN = "ghp_CONTRACTFAKE0000000000000000000000000"
NOT_QUERY = {"self", "headers", "stream", "data"}


def documented_calls() -> dict[tuple[str, str], dict[str, set[str] | None]]:
    """(method, path template) -> its query parameters (each with its enum values, or None),
    from githubkit's generated clients."""
    import importlib
    import pkgutil

    calls: dict[tuple[str, str], set[str]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for package in ("githubkit_schemas.v2026_03_10.rest", "githubkit_schemas.ghec_v2026_03_10.rest"):
            for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
                module = importlib.import_module(f"{package}.{info.name}")
                for _, cls in inspect.getmembers(module, inspect.isclass):
                    if cls.__module__ != module.__name__:
                        continue
                    for name, fn in inspect.getmembers(cls, inspect.isfunction):
                        match = re.search(r"^\s*(GET|POST|DELETE|PUT|PATCH) (/\S*)$", fn.__doc__ or "", re.M)
                        if name.startswith("async_") or not match:
                            continue
                        params: dict[str, set[str] | None] = {}
                        for p in inspect.signature(fn).parameters.values():
                            if p.kind is p.KEYWORD_ONLY and p.name not in NOT_QUERY:
                                kind = str(p.annotation)
                                enum = set(re.findall(r"'([^']*)'", kind)) if "Literal" in kind else None
                                params[f"{p.name}[]" if "list[" in kind else p.name] = enum
                        calls.setdefault((match[1], match[2]), params)
    return calls


def test_the_fakes_query_parameters_are_githubs():
    documented = documented_calls()
    for call, allowed in QUERY.items():
        assert call in documented, f"{call} is not in GitHub's OpenAPI description"
        assert set(allowed) == set(documented[call]), call
        for name, rule in allowed.items():
            if isinstance(rule, set):
                assert rule == documented[call][name], (call, name)


@pytest.fixture(scope="module")
def fake():
    with GithubFake.from_dir(FIXTURES, tokens={TOKEN}) as started:
        yield started


def get(fake, path, params=None, version="2022-11-28"):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if version:
        headers["X-GitHub-Api-Version"] = version
    return httpx.get(fake.url + path, params=params, headers=headers)


def test_documented_requests_are_served(fake):
    for params in ({"per_page": 100}, {"per_page": 1, "page": 2}, {"per_page": 100, "type": "all"}, None):
        assert get(fake, "/orgs/acme-alpha/repos", params).status_code == 200
    assert get(fake, "/orgs/acme-alpha/installations", version=None).status_code == 200  # GitHub's default
    assert get(fake, "/orgs/acme-alpha/installations", version="2026-03-10").status_code == 200
    assert get(fake, "/orgs/acme-alpha/credential-authorizations", {"login": "x"}).status_code == 200


@pytest.mark.parametrize(
    "path, params, needle",
    [
        ("/orgs/acme-alpha/installations", {"per_page": 101}, "per_page"),
        ("/orgs/acme-alpha/installations", {"per_page": 0}, "per_page"),
        ("/repos/acme-alpha/infra/keys", {"per_page": "all"}, "per_page"),
        ("/orgs/acme-alpha/repos", {"type": "everything"}, "type"),
        ("/orgs/acme-alpha/installations", {"include_suspended": "true"}, "include_suspended"),
        ("/orgs/acme-alpha/credential-authorizations", {"user": "x"}, "user"),
        ("/repos/acme-alpha/infra/keys/1", {"per_page": 100}, "per_page"),  # this call takes none
    ],
)
def test_what_nhi_must_not_send_is_refused(fake, path, params, needle):
    answer = get(fake, path, params)
    assert answer.status_code == 400 and needle in answer.json()["message"], answer.text


def test_an_unpublished_api_version_is_a_400_as_on_github(fake):
    answer = get(fake, "/orgs/acme-alpha/installations", version="2023-01-01")
    assert answer.status_code == 400 and "X-GitHub-Api-Version" in answer.json()["message"]
