"""nhi.yaml sections for the places findings go: ``notify:`` (chat) and ``export:`` (Security
Hub, Jira).

Secrets never sit in the file: a webhook URL (its path is the credential) and a Jira API token
come from environment variables the file names (``url_env``, ``token_env``). A nhi.yaml found in
the working directory cannot set either section (nhi_cli/trust.py): it would choose where
findings go and which environment variable is read.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nhi_cli.severity import Severity

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _env_name(value: str | None) -> str | None:
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError("must be the name of an environment variable (letters, digits, _), not its value")
    return value


class NotifyTarget(_Strict):
    kind: Literal["slack", "teams"]
    url_env: str  # the environment variable holding the webhook URL
    name: str | None = None  # how messages and errors refer to it (default: kind)
    min_severity: Severity = Severity.info  # only findings at or above this severity
    on_scan: bool = True  # post at the end of `nhi scan` (`nhi notify` always posts)
    timeout: float = Field(default=15.0, gt=0, le=120)

    @field_validator("url_env")
    @classmethod
    def _url_env(cls, value: str) -> str | None:
        return _env_name(value)

    @property
    def label(self) -> str:
        return self.name or self.kind


class SecurityHubSettings(_Strict):
    region: str | None = None  # default: the AWS chain's region, else providers.aws.region
    profile: str | None = None  # default: providers.aws.profile, else the standard chain
    endpoint: str | None = None  # default: providers.aws.endpoint, else AWS_ENDPOINT_URL
    timeout: float = Field(default=30.0, gt=0, le=300)


class JiraSettings(_Strict):
    url: str | None = None  # https://your-site.atlassian.net
    project: str | None = None  # project key, e.g. SEC
    issue_type: str = "Task"
    email_env: str = "JIRA_EMAIL"  # the Atlassian account the API token belongs to
    token_env: str = "JIRA_API_TOKEN"
    label: str = "nhi"  # every issue nhi creates carries it; the item's own label is nhi-<key>
    done_transition: str = "Done"  # name of the transition (or status) that closes an item
    timeout: float = Field(default=30.0, gt=0, le=300)

    @field_validator("email_env", "token_env")
    @classmethod
    def _env(cls, value: str) -> str | None:
        return _env_name(value)

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        if not value or re.search(r"\s", value):
            raise ValueError("a Jira label cannot be empty or contain spaces")
        return value


class ExportConfig(_Strict):
    securityhub: SecurityHubSettings = Field(default_factory=SecurityHubSettings)
    jira: JiraSettings = Field(default_factory=JiraSettings)
