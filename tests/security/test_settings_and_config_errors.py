"""Keys in settings stay out of reprs and configuration errors.

pydantic's own error text includes the input value (``input_value='sk-admin-...'``); nhi's
config errors print only the message and the line. Settings fields that hold a key are
SecretStr, so a repr (a debugger, a log line, a traceback with locals) shows asterisks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import invoke

KEY = "sk-admin-Wd2Fh5Jk8Lm1Np4Qr7St0Uv3Xy6Za9Bc2T3BlbkFJ"
PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"


@pytest.mark.parametrize(
    "name, settings, secret",
    [
        ("openai", {"admin_key": KEY}, KEY),
        ("anthropic", {"admin_key": KEY}, KEY),
        ("github", {"token": KEY}, KEY),
        ("github", {"app_id": "1", "app_private_key": PEM}, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw"),
        ("azure", {"static_token": KEY}, KEY),
    ],
)
def test_settings_that_hold_a_key_never_show_it_in_a_repr(name, settings, secret):
    from nhi_cli.kit import registry

    model = registry.load(name).Settings.model_validate(settings)
    assert secret not in repr(model) and secret not in str(model)


@pytest.mark.parametrize(
    "section",
    [
        f"openai: {{admin_key: [{KEY}]}}",  # wrong type: pydantic's text would quote the list
        f"openai: {{api_key: {KEY}}}",  # a typo for admin_key: unknown setting, value and all
        f"anthropic: {{admin_key: {{value: {KEY}}}}}",
        f"azure: {{static_token: {KEY}, auth: certificate}}",  # a model-level error
        f"github: {{token: {KEY}, deploy_keys: [{KEY}]}}",
    ],
)
def test_configuration_errors_name_the_line_but_never_the_value(section):
    Path("nhi.yaml").write_text(f"providers:\n  {section}\n", encoding="utf-8")
    result = invoke("scan")
    assert result.code == 2, result.err
    assert "nhi.yaml:2" in result.err
    assert KEY not in result.out + result.err and KEY[9:21] not in result.out + result.err
    assert "input_value" not in result.err
