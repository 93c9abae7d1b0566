"""One severity scale for gates, sorting and every output format."""

from __future__ import annotations

import pytest

from nhi_cli.config import load_config
from nhi_cli.errors import ConfigError
from nhi_cli.severity import SEVERITIES, Severity, rank, worst_first


# GitHub code scanning buckets security-severity scores: >= 9.0 critical, 7.0-8.9 high,
# 4.0-6.9 medium, 0.1-3.9 low ("SARIF support for code scanning").
def github_bucket(score: str) -> str:
    value = float(score)
    return "critical" if value >= 9 else "high" if value >= 7 else "medium" if value >= 4 else "low"


# OCSF base event severity_id enum (schema.ocsf.io): the labels as the schema spells them.
OCSF_LABELS = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}


def test_order_is_worse_is_higher_and_read_worst_first():
    assert SEVERITIES == ("critical", "high", "medium", "low", "info")
    assert [Severity(s).rank for s in SEVERITIES] == sorted((Severity(s).rank for s in SEVERITIES), reverse=True)
    assert Severity.critical.rank > Severity.high.rank > Severity.info.rank
    # stored text of an unknown severity sorts after info instead of breaking a report
    assert sorted(["low", "bogus", "critical", "info", "high"], key=worst_first) == [
        "critical",
        "high",
        "low",
        "info",
        "bogus",
    ]
    assert rank("bogus") < rank("info")


@pytest.mark.parametrize("severity", [s for s in Severity if s is not Severity.info])
def test_github_security_severity_lands_in_the_same_bucket(severity):
    assert github_bucket(severity.security_severity) == severity.value


def test_info_is_a_note_without_a_security_score():
    assert Severity.info.security_severity is None
    assert Severity.info.sarif_level == "note"
    assert {s.sarif_level for s in Severity} <= {"error", "warning", "note"}
    assert Severity.critical.sarif_level == Severity.high.sarif_level == "error"


def test_ocsf_severity_ids_match_the_schema_labels():
    assert {s.ocsf_id: s.value for s in Severity} == {
        i: ("info" if label == "Informational" else label.lower()) for i, label in OCSF_LABELS.items()
    }


def test_parse_accepts_any_case_and_names_the_choices_otherwise():
    assert Severity.parse(" High ") is Severity.high
    with pytest.raises(ValueError, match="fail_on 'urgent': choose from critical, high, medium, low, info"):
        Severity.parse("urgent", what="fail_on")


def test_config_fail_on_is_checked_with_its_line(tmp_path):
    path = tmp_path / "nhi.yaml"
    path.write_text("version: 1\nfail_on: urgent\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.message.startswith(f"{path}:2: fail_on:")
    assert "'critical', 'high', 'medium', 'low' or 'info'" in info.value.message
    path.write_text("version: 1\nfail_on: medium\n")
    assert load_config(path).fail_on is Severity.medium
