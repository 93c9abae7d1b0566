"""GitHub organisations: app installations, fine-grained PATs, deploy keys, SSO authorizations
(see connector.py)."""

from .connector import GithubConnector

__all__ = ["GithubConnector"]
