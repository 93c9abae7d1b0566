"""Access key ids, which no bulk IAM API returns.

The credential report describes each key slot (active, created, last used) but not the key
id; GAAD lists no keys at all; ``ListAccessKeys`` without ``UserName`` only lists the caller's
own keys. Ids matter for three things: joining a key found in a local agent config
(``AKIA...``) to its user, revoking it, and telling a person which key is meant. By default
(``access_key_ids: false``) the scan stays at its fixed budget: keys are identified by user and
report slot, a sighted id is resolved per key (sightings.py) and revoke lists the user's keys
when it runs. ``access_key_ids: true`` calls ``ListAccessKeys`` once for each user the
credential report shows holding a key (users without keys and roles cost nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .clients import BotoClient


def get_access_keys(iam: BotoClient, user_names: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """User name -> ListAccessKeys metadata (AccessKeyId, Status, CreateDate). Never secrets:
    ListAccessKeys does not return them."""
    keys: dict[str, list[dict[str, Any]]] = {}
    paginator = iam.get_paginator("list_access_keys")
    for name in user_names:
        keys[name] = [
            {"AccessKeyId": k["AccessKeyId"], "Status": k["Status"], "CreateDate": k["CreateDate"]}
            for page in paginator.paginate(UserName=name)
            for k in page.get("AccessKeyMetadata", [])
        ]
    return keys
