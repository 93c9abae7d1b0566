"""POST a JSON payload to a webhook whose URL is a secret, with retries.

A Slack or Teams webhook URL is a bearer credential: whoever has it can post to the channel.
So the URL appears in no message, log line or exception text nhi produces: errors name the
target's label and the host at most, and httpx's own exception text (which can quote the
URL) is never shown. 429 and 5xx are retried with exponential backoff (``Retry-After`` wins
when the service sends one); other statuses fail at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

RETRY_STATUSES = {429, 500, 502, 503, 504}


class WebhookError(Exception):
    """A post that failed for good; the message carries no part of the URL but its host."""


@dataclass
class Delivery:
    status: int
    attempts: int


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def redact(text: str, url: str) -> str:
    """``text`` with the URL, its path and query replaced: belt and braces for service bodies."""
    parts = urlsplit(url)
    for secret in (url, parts.path + ("?" + parts.query if parts.query else ""), parts.path, parts.query):
        if secret and len(secret) > 1:
            text = text.replace(secret, "[redacted]")
    return text


def post_json(
    url: str,
    payload: Any,
    *,
    label: str,
    timeout: float = 15.0,
    max_retries: int = 4,
    max_wait: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    import httpx  # lazy: `nhi --help` does not pay for it

    host = urlsplit(url).hostname or "?"
    attempt = 0
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        while True:
            attempt += 1
            try:
                response = client.post(url, json=payload)
            except httpx.HTTPError as exc:  # connect, read or write failure: the text may quote the URL
                if attempt > max_retries:
                    raise WebhookError(
                        f"{label}: could not reach {host} ({type(exc).__name__}) after {attempt} attempts"
                    ) from None
                sleep(min(max_wait, 0.25 * 2 ** (attempt - 1)))
                continue
            if response.status_code < 300:
                return Delivery(response.status_code, attempt)
            if response.status_code in RETRY_STATUSES and attempt <= max_retries:
                wait = _retry_after(response.headers.get("Retry-After"))
                if wait is None:
                    wait = 0.25 * 2 ** (attempt - 1) + random.random() * 0.05
                sleep(min(wait, max_wait))
                continue
            detail = redact(response.text.strip().splitlines()[0][:120] if response.text.strip() else "", url)
            tries = f" after {attempt} attempts" if attempt > 1 else ""
            raise WebhookError(
                f"{label}: {host} answered HTTP {response.status_code}{tries}" + (f" ({detail})" if detail else "")
            )
