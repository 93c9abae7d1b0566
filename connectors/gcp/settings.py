"""Settings for the GCP connector (``providers.gcp`` in nhi.yaml)."""

from __future__ import annotations

from nhi_cli.kit.connector import ConnectorSettings


class GcpSettings(ConnectorSettings):
    # What to scan: explicit project ids, or every ACTIVE project under an organization or
    # folder (walked through its sub-folders). With neither, every project the caller can see.
    projects: list[str] = []
    organization: str | None = None  # "organizations/123" or "123"
    folder: str | None = None  # "folders/456" or "456"
    skip_projects: list[str] = []

    # Endpoints: the public Google APIs by default; point them at a proxy, a private
    # endpoint (PSC) or a local fake. IAM admin is gRPC-only ("host:port").
    iam_endpoint: str = "iam.googleapis.com:443"
    resource_manager_endpoint: str = "https://cloudresourcemanager.googleapis.com"
    policy_analyzer_endpoint: str = "https://policyanalyzer.googleapis.com"
    # Plaintext gRPC and anonymous REST: only for local fakes (tests, `nhi scan --demo`).
    insecure: bool = False
    quota_project: str | None = None  # billed for Policy Analyzer calls (x-goog-user-project)

    # What to read beyond service accounts, keys and the project policy.
    service_account_policies: bool = True  # one IAM GetIamPolicy per service account
    last_authentication: bool = True  # Policy Analyzer activity (needs the API enabled)
    # IAM policies of the folders and organization above the projects: inherited grants and
    # impersonation. One GetIamPolicy per ancestor per scan (needs folders/organizations.getIamPolicy).
    ancestor_policies: bool = True
    system_managed_keys: bool = False  # Google-rotated keys are not a governance concern

    # AI credentials and agents (ai.py): the API Keys API (one list per 300 keys per project) and
    # Vertex AI Agent Engine's reasoning engines (one list per region in vertex_regions).
    api_keys: bool = True
    apikeys_endpoint: str = "https://apikeys.googleapis.com"
    agent_engines: bool = True
    vertex_regions: list[str] = ["us-central1"]
    # reasoningEngines.getIamPolicy per engine (who holds roles on the agent itself: its owner),
    # at most this many per project and region; the rest keep label or service-account owners
    vertex_policy_limit: int = 100
    aiplatform_endpoint: str | None = None  # None: https://{region}-aiplatform.googleapis.com

    # Retries for UNAVAILABLE / RESOURCE_EXHAUSTED / 429 / 5xx, exponential from retry_initial.
    max_retries: int = 4
    retry_initial: float = 1.0
    retry_max_wait: float = 30.0
