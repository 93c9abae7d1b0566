"""Finding severity: the one definition every part of nhi uses.

``rank`` grows with badness (info=0 .. critical=4), so "at or above --fail-on" is ``>=``.
Members are declared worst first because that is the order people read them in: help text,
tables and report sections list critical before info.

Mappings to the formats nhi writes:
- SARIF ``level``: critical/high -> error, medium -> warning, low/info -> note.
- GitHub ``security-severity`` (a CVSS-like score GitHub buckets as >= 9.0 critical, 7.0-8.9
  high, 4.0-6.9 medium, 0.1-3.9 low). Info gets no score, so GitHub shows it as a plain note
  rather than a security alert.
- OCSF ``severity_id`` (1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical).
- ASFF ``Severity.Label`` (Security Hub): INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    info = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def sarif_level(self) -> str:
        return _SARIF_LEVEL[self]

    @property
    def security_severity(self) -> str | None:
        return _SECURITY_SEVERITY.get(self)

    @property
    def ocsf_id(self) -> int:
        return self.rank + 1

    @property
    def ocsf_caption(self) -> str:
        """The caption OCSF gives ``ocsf_id`` (the ``severity`` sibling of ``severity_id``)."""
        return _OCSF_CAPTION[self.ocsf_id]

    @property
    def asff_label(self) -> str:
        """AWS Security Finding Format ``Severity.Label``."""
        return "INFORMATIONAL" if self is Severity.info else self.value.upper()

    @classmethod
    def parse(cls, value: object, *, what: str = "severity") -> Severity:
        """``value`` as a Severity; ValueError naming the choices otherwise."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                pass
        raise ValueError(f"{what} {value!r}: choose from {', '.join(SEVERITIES)}")


_RANK = {Severity.info: 0, Severity.low: 1, Severity.medium: 2, Severity.high: 3, Severity.critical: 4}
_SARIF_LEVEL = {
    Severity.critical: "error",
    Severity.high: "error",
    Severity.medium: "warning",
    Severity.low: "note",
    Severity.info: "note",
}
_OCSF_CAPTION = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
_SECURITY_SEVERITY = {Severity.critical: "9.5", Severity.high: "8.0", Severity.medium: "5.5", Severity.low: "3.0"}

# Worst first, as plain strings (what the store holds and reports print).
SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)


def known(value: str | None) -> Severity | None:
    """A stored severity string as a Severity, None when it is not one (old or foreign data)."""
    if value is None:
        return None
    try:
        return Severity(value)
    except ValueError:
        return None


def rank(value: str | None) -> int:
    """The rank of a stored severity string; -1 for anything unknown (sorts after info)."""
    severity = known(value)
    return -1 if severity is None else severity.rank


def sql_rank(column: str) -> str:
    """A SQL expression for the rank of ``column`` (-1 when unknown), for ORDER BY in queries."""
    cases = " ".join(f"WHEN '{s.value}' THEN {s.rank}" for s in Severity)
    return f"CASE {column} {cases} ELSE -1 END"


def worst_first(value: str | None) -> int:
    """Sort key: critical first, info last, unknown values after info."""
    return -rank(value)
