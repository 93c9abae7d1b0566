"""GCP: service accounts, their keys, project and service-account IAM policies, impersonation
trust and last authentication (Policy Analyzer). Google SDKs are imported lazily."""
from nhi_connectors.gcp.connector import GcpConnector

__all__ = ["GcpConnector"]
