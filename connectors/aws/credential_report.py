"""The IAM credential report: one CSV row per user with password, MFA and per-slot access-key
state (``access_key_1_*``, ``access_key_2_*``). Three calls per account whatever its size.

Get first: AWS regenerates a report at most every four hours, so a report younger than
``credential_report_max_age_hours`` is reused as is. Otherwise generate and poll with
backoff until COMPLETE, handling ReportNotPresent, ReportExpired and ReportInProgress.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from nhi_cli.model import MALFORMED, Batch

from .clients import BotoClient

SLOTS = (1, 2)
NOT_A_DATE = {"N/A", "not_supported", "no_information", ""}
REQUIRED_COLUMNS = ("user", "arn", "password_enabled", "mfa_active")
USER_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d+:user/")  # the key GAAD's users are joined on
RETRY_CODES = {
    "ReportInProgress",
    "ReportNotPresent",
    "ReportExpired",
    "CredentialReportNotPresentException",
    "CredentialReportExpiredException",
    "CredentialReportNotReadyException",
    "ReportNotReady",
}


class ReportTimeout(Exception):
    pass


def _code(exc: Exception) -> str:
    code: str = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    return code


def get_credential_report(
    iam: BotoClient,
    *,
    now: datetime,
    max_age: timedelta,
    deadline_s: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[str, datetime | None]:
    """(CSV text, GeneratedTime). Raises botocore ClientError for anything but the report's
    own not-ready states, and ReportTimeout if it never completes."""
    from botocore.exceptions import ClientError

    try:
        report = iam.get_credential_report()
        generated = _aware(report.get("GeneratedTime"))
        if generated is not None and now - generated <= max_age:
            return _text(report["Content"]), generated
    except ClientError as exc:
        if _code(exc) not in RETRY_CODES:
            raise
    delay, waited = 0.1, 0.0
    while True:
        state = iam.generate_credential_report().get("State")
        if state == "COMPLETE":
            try:
                report = iam.get_credential_report()
                return _text(report["Content"]), _aware(report.get("GeneratedTime"))
            except ClientError as exc:
                if _code(exc) not in RETRY_CODES:
                    raise
        if waited >= deadline_s:
            raise ReportTimeout(f"credential report not COMPLETE after {int(waited)} s")
        sleep(delay)
        waited += delay
        delay = min(delay * 2, 5.0)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _text(content: Any) -> str:
    return content.decode("utf-8") if isinstance(content, (bytes, bytearray)) else str(content)


def parse_time(value: str | None) -> datetime | None:
    if value is None or value.strip() in NOT_A_DATE:
        return None
    return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).astimezone(UTC)


def _known(value: str | None) -> str | None:
    return None if value is None or value.strip() in NOT_A_DATE else value.strip()


def parse_credential_report(text: str, problems: Batch | None = None) -> dict[str, dict[str, Any]]:
    """User ARN -> {user, password_enabled, password_last_used, mfa_active, keys: [slot...]}.

    The account root user (``<root_account>``) is skipped: it is a person's credential, not a
    non-human identity. Each key slot becomes its own dict; empty slots are dropped. A row
    that cannot be read (an odd date, a missing column) is left out and, with ``problems``,
    becomes a gap naming its user: that user's keys are then unknown, never silently absent."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"credential report lacks columns: {', '.join(missing)}")
    rows: dict[str, dict[str, Any]] = {}
    for row in reader:
        try:
            if row["user"] == "<root_account>":
                continue
            arn = _text_field(row, "arn")
            if not USER_ARN.match(arn):
                raise ValueError("the arn column holds no IAM user ARN")
            rows[arn] = _parse_row(row)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            if problems is None:
                raise
            user = row.get("arn") or row.get("user") or "?"
            problems.gap(f"credential report row of {user}", MALFORMED, f"{type(exc).__name__}: {exc}"[:300])
    return rows


def _text_field(row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"the {name} column is empty")
    return value


def _flag(row: dict[str, Any], name: str) -> bool:
    value = (row.get(name) or "").strip().lower()
    if value not in ("true", "false", "n/a", "not_supported", ""):
        raise ValueError(f"{name} is {value[:20]!r}, not true or false")
    return value == "true"


def _parse_row(row: dict[str, Any]) -> dict[str, Any]:
    keys = []
    for slot in SLOTS:
        created = parse_time(row.get(f"access_key_{slot}_last_rotated"))
        if created is None:
            continue  # no key in this slot
        keys.append(
            {
                "slot": slot,
                "active": _flag(row, f"access_key_{slot}_active"),
                "created": created,
                "last_used": parse_time(row.get(f"access_key_{slot}_last_used_date")),
                "last_used_service": _known(row.get(f"access_key_{slot}_last_used_service")),
                "last_used_region": _known(row.get(f"access_key_{slot}_last_used_region")),
            }
        )
    return {
        "user": _text_field(row, "user"),
        "password_enabled": _flag(row, "password_enabled"),
        "password_last_used": parse_time(row.get("password_last_used")),
        "password_last_changed": parse_time(row.get("password_last_changed")),
        "mfa_active": _flag(row, "mfa_active"),
        "keys": keys,
    }
