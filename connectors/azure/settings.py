"""Settings for the Azure and Entra ID connector (``providers.azure`` in nhi.yaml), and the
endpoints of each Azure cloud.

Authentication (``auth``):
- ``default``: ``DefaultAzureCredential`` without the interactive browser: environment
  variables, workload identity, managed identity, Azure CLI / azd / PowerShell sign-in.
- ``client_secret``: ``tenant_id`` + ``client_id`` + the secret read from the environment
  variable named by ``client_secret_env`` (the secret itself never goes in nhi.yaml).
- ``certificate``: ``tenant_id`` + ``client_id`` + ``certificate_path`` (PEM or PFX).
- ``managed_identity``: the host's managed identity (``client_id`` picks a user-assigned one).
- ``static_token``: ``static_token`` is sent as the bearer token as-is. This is for tests, the
  demo and token-injecting proxies only; a real token expires within about an hour. Foundry
  project endpoints take tokens of another audience (``https://ai.azure.com``): with
  ``static_token`` they get ``static_ai_token`` (the same token when unset, which they refuse).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr, model_validator

from nhi_cli.kit.connector import ConnectorSettings


@dataclass(frozen=True)
class Cloud:
    graph: str
    arm: str
    authority: str  # login host for azure-identity
    # Foundry data plane: the token audience and the host suffix of project endpoints. Only the
    # public cloud's are published (the ai-agents spec's OAuth2 scope is https://ai.azure.com);
    # elsewhere nhi sends no AI token and records the projects as a gap.
    ai_audience: str | None = None
    ai_host_suffix: str | None = None


CLOUDS: dict[str, Cloud] = {
    "public": Cloud(
        "https://graph.microsoft.com",
        "https://management.azure.com",
        "login.microsoftonline.com",
        "https://ai.azure.com",
        ".services.ai.azure.com",
    ),
    "usgov": Cloud("https://graph.microsoft.us", "https://management.usgovcloudapi.net", "login.microsoftonline.us"),
    "china": Cloud(
        "https://microsoftgraph.chinacloudapi.cn", "https://management.chinacloudapi.cn", "login.chinacloudapi.cn"
    ),
}


class AzureSettings(ConnectorSettings):
    cloud: Literal["public", "usgov", "china"] = "public"
    auth: Literal["default", "client_secret", "certificate", "managed_identity", "static_token"] | None = None
    tenant_id: str | None = None  # discovered from GET /organization when not given
    client_id: str | None = None
    client_secret_env: str = "AZURE_CLIENT_SECRET"
    certificate_path: str | None = None
    static_token: SecretStr | None = None  # tests, the demo and proxies only; SecretStr: never in a repr
    static_ai_token: SecretStr | None = None  # with static_token: the one for Foundry project endpoints
    # `endpoint` (inherited) points both Graph and ARM at one base URL (a proxy or a fake);
    # these override each one separately. The token audience still follows `cloud`.
    graph_endpoint: str | None = None
    arm_endpoint: str | None = None
    tenant: bool = True  # scan the Entra tenant through Graph
    subscriptions: list[str] = []  # empty: every subscription the credential can list
    skip_subscriptions: list[str] = []
    sign_in_activity: bool = True  # beta reports endpoint; a 403/404 is recorded as a gap
    agent_identities: bool = True  # Entra Agent ID objects (beta); absent in most tenants
    # Azure OpenAI / AI Foundry accounts per subscription (ai_accounts.py): one ARM list each
    ai_accounts: bool = True
    # Foundry agents (foundry.py): per AI Services account one ARM list of its projects, per
    # project one paged data-plane list of agents (100 a page), with an https://ai.azure.com token
    foundry_agents: bool = True
    # Foundry connections (foundry.py): one paged ARM list per AI Services account and one per
    # project; those storing a secret are credentials (values never read: listsecrets is not called)
    foundry_connections: bool = True
    page_size: int = 999  # Graph $top; Graph caps pages with $expand at 100

    @model_validator(mode="after")
    def _auth_is_complete(self) -> AzureSettings:
        auth = self.effective_auth
        if auth == "static_token" and not self.static_token:
            raise ValueError("auth static_token needs `static_token`")
        if auth in ("client_secret", "certificate") and not (self.tenant_id and self.client_id):
            raise ValueError(f"auth {auth} needs `tenant_id` and `client_id`")
        if auth == "certificate" and not self.certificate_path:
            raise ValueError("auth certificate needs `certificate_path`")
        return self

    @property
    def effective_auth(self) -> str:
        if self.auth:
            return self.auth
        return "static_token" if self.static_token else "default"

    @property
    def cloud_endpoints(self) -> Cloud:
        return CLOUDS[self.cloud]

    @property
    def graph_base(self) -> str:
        return (self.graph_endpoint or self.endpoint or self.cloud_endpoints.graph).rstrip("/")

    @property
    def arm_base(self) -> str:
        return (self.arm_endpoint or self.endpoint or self.cloud_endpoints.arm).rstrip("/")
