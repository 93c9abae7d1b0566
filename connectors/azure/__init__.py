"""Azure and Entra ID: service principals, app credentials, managed identities, permissions.

Nothing heavy is imported here; httpx and azure-identity load when a scan or revoke runs.
"""

from .connector import AzureConnector

__all__ = ["AzureConnector"]
