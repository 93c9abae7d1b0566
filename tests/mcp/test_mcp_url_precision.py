"""Credentials inside URLs: vendors' webhook and key-in-path formats are found and typed; the
long ids of ordinary URLs (documents, commits, REST resources) are not taken for secrets.
The corpus and its sources are in url_corpus.txt; the measured numbers in benchmarks/README.md."""

from __future__ import annotations

import json
import random
import string

import pytest
import url_corpus

from nhi_connectors.mcp.detect import scan_server, scan_value

CASES = url_corpus.load()


@pytest.mark.parametrize("case", [c for c in CASES if c.positive], ids=lambda c: f"line{c.line}")
def test_each_documented_url_credential_is_found_with_its_type(case):
    assert case.secret_type in url_corpus.reported(case.url), case.source


@pytest.mark.parametrize("case", [c for c in CASES if not c.positive], ids=lambda c: f"line{c.line}")
def test_ordinary_urls_are_not_flagged(case):
    assert url_corpus.reported(case.url) == [], case.source


def test_precision_and_recall_on_the_corpus():
    result = url_corpus.measure(CASES)
    assert result["positives"] >= 30 and result["negatives"] >= 40
    assert result["recall"] == 1.0
    assert result["precision"] == 1.0
    assert result["typed"] == result["positives"]


def test_only_the_secret_part_of_a_webhook_url_is_taken():
    """The id before a Discord token is not secret; the hint shows neither in full."""
    rng = random.Random(7)
    token = "".join(rng.choice(string.ascii_letters + string.digits + "_-") for _ in range(68))
    found = scan_value(f"https://discord.com/api/webhooks/123456789012345678/{token}", "url").found
    assert [(f.secret_type, f.provider) for f in found] == [("discord_webhook_url", "discord")]
    assert token not in found[0].hint and "123456789012345678" not in found[0].hint


def test_a_query_token_is_found_beside_a_recognised_key():
    """Google Chat webhooks carry a published API key and the real secret, ``token``: finding
    the first must not stop the search for the second."""
    url = "https://chat.googleapis.com/v1/spaces/AAAAx/messages?key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI&token=Vb3n"
    found = sorted(f.secret_type for f in scan_value(url + "Q8mZk2Lw9Xr4Tp6Hy1Jc5Nd7Fg0Sa3Eu", "url").found)
    assert found == ["google_api_key", "url_query_secret"]


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com/token/refresh",  # a word after a secret name
        "https://hooks.example.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX",  # the docs' placeholder
        "https://discord.com/api/webhooks/123456789012345678/your-webhook-token",
        "https://hooks.zapier.com/hooks/catch/123456/xxxxxx/",
    ],
)
def test_placeholders_in_credential_positions_are_not_flagged(url):
    assert scan_server({"url": url}).found == []


def test_a_token_as_the_user_name_is_found_and_the_fixed_word_beside_it_is_not():
    rng = random.Random(11)
    token = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(40))
    for url in (
        f"https://{token}@github.com/acme/repo.git",
        f"https://{token}:@git.example.com/acme/repo.git",
        f"https://{token}:x-oauth-basic@github.com/acme/repo.git",
    ):
        found = scan_value(url, "url").found
        assert [(f.secret_type, f.value) for f in found] == [("url_userinfo_token", token)], url
        assert found[0].hint == f"{token[:4]}...{token[-4:]}"
    # a password beside a generated user name: the password is the secret (an id and its key)
    found = scan_value(f"https://{token}:{token[::-1]}@api.example.com/", "url").found
    assert [(f.secret_type, f.value) for f in found] == [("url_password", token[::-1])]


def test_a_user_name_token_is_stored_only_as_its_hint_and_hash(nhi, tmp_path, inventory):
    from mcp_helpers import assert_nowhere, write_config

    rng = random.Random(12)
    token = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(40))
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    url = f"https://{token}@mcp.example.com/sse"
    (home / ".cursor/mcp.json").write_text(json.dumps({"mcpServers": {"remote": {"url": url}}}))
    write_config(tmp_path, home=home)
    scan = nhi("scan", "-f", "json")
    assert scan.code == 0, scan.err
    credential = inventory().credential_for(token)
    assert credential["attrs"]["secret_type"] == "url_userinfo_token"
    assert credential["hint"] == f"{token[:4]}...{token[-4:]}"
    assert credential["locations"] == [{"location": "~/.cursor/mcp.json#remote", "context": "url"}]
    report = nhi("report", "-f", "json")
    assert_nowhere({token: credential["hint"]}, scan.out, scan.err, report.out, db_dir=tmp_path)


def test_a_console_page_is_not_a_key_but_a_key_after_key_elsewhere_still_is():
    """The Google Cloud console's API key page has the key's id after ``/key/``: a console
    host's pages are not searched; the same position on any other host still is."""
    uid = "3f1b6a2e-9c4d-4e8a-b7f0-5d2c8e1a9b64"
    assert scan_server({"url": f"https://console.cloud.google.com/apis/credentials/key/{uid}?project=p"}).found == []
    found = scan_server({"url": f"https://geo.example.com/key/{uid}/lookup"}).found
    assert [f.secret_type for f in found] == ["url_path_secret"]
