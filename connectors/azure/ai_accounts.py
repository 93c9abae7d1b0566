"""The Azure get layer for AI accounts: Azure OpenAI and Azure AI Foundry (AI Services)
accounts, which are Cognitive Services accounts of those kinds.

Per subscription one paged ARM list, ``GET /subscriptions/{id}/providers/
Microsoft.CognitiveServices/accounts`` (api-version 2024-10-01; ``Microsoft.CognitiveServices/
accounts/read``, in Reader). The account's ``properties.disableLocalAuth`` says whether its two
keys work; the keys themselves are never listed (``listKeys`` is not called): while local auth
is on, both exist and are standing credentials. Foundry agents, listed per project on each
account's data plane, are read by foundry.py.
"""

from __future__ import annotations

from typing import Any

from nhi_cli.kit.http import RestClient

COGNITIVE_API_VERSION = "2024-10-01"
AI_KINDS = {"OpenAI", "AIServices"}


def get_ai_accounts(arm: RestClient, subscription_id: str) -> list[dict[str, Any]]:
    accounts = arm.paged_odata(
        f"/subscriptions/{subscription_id}/providers/Microsoft.CognitiveServices/accounts",
        params={"api-version": COGNITIVE_API_VERSION},
        count_as="arm:GET /subscriptions/{id}/providers/Microsoft.CognitiveServices/accounts",
    )
    return [a for a in accounts if isinstance(a, dict) and a.get("kind") in AI_KINDS]
