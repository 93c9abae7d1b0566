"""nhi's SQL dialect, and its translation for PostgreSQL.

One dialect is written everywhere in nhi: the migrations, views.sql, the library's queries and
every rule are SQLite SQL restricted to a portable subset. On SQLite it runs as written. On
PostgreSQL each statement passes through ``to_postgres`` (a handful of mechanical rewrites that
need no parse tree) and runs against the compatibility functions of ``postgres_compat.sql``
(julianday, json_extract, json_each, instr, glob, group_concat, ...), which give SQLite's
answers: an age is a truncated day count, JSON true reads as 1, a missing key as NULL.

The portable subset (rule evaluation on PostgreSQL reports a rule outside it by name, see
``unportable``; the loader compiles every rule against SQLite, which rejects PostgreSQL-only
syntax):
- functions: SQL's own (COUNT, SUM, MIN, MAX, AVG, COALESCE, NULLIF, LOWER, UPPER, LENGTH,
  SUBSTR, REPLACE, TRIM, ABS, ROUND) plus the compatibility set below;
- casts: ``CAST(x AS INTEGER|TEXT|REAL)``; ``GLOB`` between a column and a column or parameter;
- parameters ``:name``; string literals in single quotes; identifiers optionally double-quoted;
- no PRAGMA, no SQLite-only keywords (rowid, typeof, printf, iif, datetime(), date());
- json_extract gives text on PostgreSQL: a rule that needs a number says CAST(... AS INTEGER).

The rewrites: ``?``/``:name`` placeholders, ``CAST(x AS INTEGER)`` (truncating) and ``AS BLOB``,
``a GLOB b``, ``group_concat(DISTINCT x)`` (first-seen order), ``IN ()``, ``CROSS JOIN .. ON``,
a name for every subquery in FROM, SQLite's unary ``+`` index hint, ``temp.``/``main.``.

Statements that only the store's own code writes (``INSERT OR IGNORE``, ``INSERT OR REPLACE``,
``temp.`` tables, ``BEGIN IMMEDIATE``) are rewritten too; rules never write.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Names the loader reports as SQLite-only when a rule is evaluated on PostgreSQL.
SQLITE_ONLY = (
    "rowid",
    "typeof",
    "printf",
    "iif",
    "datetime",
    "date",
    "json_object",
    "json_group_array",
    "unixepoch",
    "pragma",
    "hex",
    "randomblob",
    "zeroblob",
    "likelihood",
    "sqlite_",
)

# INSERT OR REPLACE needs the conflict target on PostgreSQL: the primary key of each table the
# store replaces rows in.
PRIMARY_KEYS = {
    "scan_rule": ("scan_id", "rule_id"),
    "finding_occurrence": ("scan_id", "fingerprint"),
    "identity_history": ("identity_id", "scan_id"),
    "credential_history": ("credential_id", "scan_id"),
    "meta": ("key",),
    "agent": ("name",),
    "agent_member": ("agent_name", "member_type", "member_id"),
    "credential_link": ("sighting_id", "target_id"),
    "finding": ("fingerprint",),
}

_TOKEN = re.compile(
    r"""('(?:[^']|'')*')|("(?:[^"]|"")*")|(--[^\n]*)|(/\*.*?\*/)|(\?)|(?<![:\w]):([A-Za-z_]\w*)|(%)""", re.S
)


def _placeholders(sql: str) -> str:
    """? and :name to psycopg's %s and %(name)s; a literal % doubled; strings and comments kept."""

    def swap(m: re.Match[str]) -> str:
        if m.group(1) or m.group(2):
            return m.group(0).replace("%", "%%")
        if m.group(3) or m.group(4):
            return " "
        if m.group(5):
            return "%s"
        if m.group(6):
            return f"%({m.group(6)})s"
        return "%%"

    return _TOKEN.sub(swap, sql)


def _outside_strings(sql: str, pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str]) -> str:
    """Apply a regex substitution to the parts of ``sql`` outside quotes."""
    parts = re.split(r"('(?:[^']|'')*')", sql)
    return "".join(p if i % 2 else pattern.sub(repl, p) for i, p in enumerate(parts))


def _matching_paren(sql: str, start: int) -> int:
    """Index of the ')' closing the '(' at ``start`` (quotes respected)."""
    depth, i, quote = 0, start, None
    while i < len(sql):
        ch = sql[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


_CAST_INT = re.compile(r"\bCAST\s*\(", re.I)


def _casts(sql: str) -> str:
    """CAST(x AS INTEGER) truncates in SQLite and rounds in PostgreSQL: nhi_int(x) truncates.
    CAST(x AS BLOB) is the text's UTF-8 bytes: convert_to(x, 'UTF8')."""
    out, pos = [], 0
    for m in _CAST_INT.finditer(sql):
        if m.start() < pos:
            continue
        open_at = m.end() - 1
        close = _matching_paren(sql, open_at)
        if close < 0:
            break
        inner = sql[open_at + 1 : close]
        tail = re.search(r"\s+AS\s+(INTEGER|BLOB)\s*$", inner, re.I)
        if tail is None:
            continue
        out.append(sql[pos : m.start()])
        if tail.group(1).upper() == "BLOB":  # bytes of the text: length() then counts bytes
            out.append("convert_to(" + _casts(inner[: tail.start()]) + ", 'UTF8')")
        else:
            out.append("nhi_int(" + _casts(inner[: tail.start()]) + ")")
        pos = close + 1
    out.append(sql[pos:])
    return "".join(out)


_FROM_SUBQUERY = re.compile(r"\b(?:FROM|JOIN)\s*\(\s*(?=SELECT\b|WITH\b)", re.I)
_NOT_ALIAS = {
    "where",
    "group",
    "order",
    "limit",
    "union",
    "join",
    "on",
    "left",
    "inner",
    "cross",
    "having",
    "window",
    "except",
    "intersect",
    "natural",
    "full",
    "right",
    "offset",
    "using",
    "outer",
}


def _subquery_aliases(sql: str) -> str:
    """A subquery in FROM needs a name in PostgreSQL (before 16); SQLite's may go without."""
    out, pos, n = [], 0, 0
    for m in _FROM_SUBQUERY.finditer(sql):
        if m.start() < pos:
            continue
        open_at = sql.index("(", m.start())
        close = _matching_paren(sql, open_at)
        if close < 0:
            break
        following = re.match(r"\s*([A-Za-z_]\w*)", sql[close + 1 :])
        if following is None or following.group(1).lower() in _NOT_ALIAS:
            n += 1
            out.append(_subquery_aliases_inner(sql, pos, open_at, close))
            out.append(f" AS nhi_subquery_{n}")
        else:
            out.append(_subquery_aliases_inner(sql, pos, open_at, close))
        pos = close + 1
    out.append(sql[pos:])
    return "".join(out)


def _subquery_aliases_inner(sql: str, pos: int, open_at: int, close: int) -> str:
    return sql[pos : open_at + 1] + _subquery_aliases(sql[open_at + 1 : close]) + ")"


_GLOB = re.compile(
    r"((?:\+?[A-Za-z_][\w]*\.)?[A-Za-z_]\w*)\s+(NOT\s+)?GLOB\s+(\?|:\w+|(?:[A-Za-z_]\w*\.)?[A-Za-z_]\w*)", re.I
)
_INSERT_OR = re.compile(r"^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+([\w.\"]+)\s*(?:\(([^)]*)\))?", re.I | re.S)


def _insert_or(sql: str) -> str:
    m = _INSERT_OR.match(sql)
    if m is None:
        return sql
    verb, table, columns = m.group(1).upper(), m.group(2), m.group(3)
    body = "INSERT INTO " + table + (" (" + columns + ")" if columns is not None else " ") + sql[m.end() :]
    if verb == "IGNORE":
        return body.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    keys = PRIMARY_KEYS[table.strip('"').split(".")[-1]]
    names = [c.strip() for c in columns.split(",")]
    updates = ", ".join(f"{c} = excluded.{c}" for c in names if c not in keys)
    return body.rstrip().rstrip(";") + f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"


def to_postgres(sql: str) -> str:
    """One statement of nhi's dialect as PostgreSQL (see the module docstring)."""
    sql = _insert_or(sql)
    sql = re.sub(r"^\s*BEGIN\s+IMMEDIATE\b", "BEGIN", sql, flags=re.I)
    sql = _outside_strings(sql, re.compile(r"\btemp\.", re.I), "pg_temp.")
    sql = _outside_strings(sql, re.compile(r"\bmain\.", re.I), "")
    sql = _outside_strings(sql, re.compile(r"\)\s*WITHOUT\s+ROWID\b", re.I), ")")
    # group_concat(DISTINCT x): first-seen order, as SQLite (PostgreSQL's DISTINCT sorts)
    sql = _outside_strings(sql, re.compile(r"\bgroup_concat\s*\(\s*DISTINCT\s+", re.I), "nhi_concat_distinct(")
    # an empty list (IN ()) is SQLite's; an empty subquery gives the same answers
    sql = _outside_strings(sql, re.compile(r"\bIN\s*\(\s*\)", re.I), "IN (SELECT NULL WHERE FALSE)")
    # SQLite's CROSS JOIN ... ON is an inner join whose order the planner keeps (a hint)
    sql = _outside_strings(sql, re.compile(r"\bCROSS\s+JOIN\s+(\w+(?:\s+(?:AS\s+)?\w+)?)\s+ON\b", re.I), r"JOIN \1 ON")
    sql = _outside_strings(
        sql, _GLOB, lambda m: f"{'NOT ' if m.group(2) else ''}glob({m.group(3)}, {m.group(1).lstrip('+')})"
    )
    # unary plus (an index hint for SQLite's planner) has no text operand in PostgreSQL
    sql = _outside_strings(sql, re.compile(r"(?<=[\s(,])\+(?=[A-Za-z_])"), "")
    sql = _casts(sql)
    sql = _subquery_aliases(sql)
    return _placeholders(sql)


def unportable(sql: str) -> list[str]:
    """Names in ``sql`` outside the portable subset (SQLite-only functions or keywords)."""
    text = re.sub(r"'(?:[^']|'')*'", "''", sql)
    text = re.sub(r"--[^\n]*", " ", text)
    found = []
    for name in re.findall(r"\b([A-Za-z_]\w*)\s*\(", text):
        lower = name.lower()
        if any(lower == bad or (bad.endswith("_") and lower.startswith(bad)) for bad in SQLITE_ONLY):
            found.append(name)
    for word in ("rowid", "pragma"):
        if re.search(rf"\b{word}\b", text, re.I):
            found.append(word)
    return sorted(set(found))
