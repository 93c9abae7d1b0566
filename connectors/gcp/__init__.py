"""GCP: service accounts, their keys, project and service-account IAM policies, impersonation
trust and last authentication (Policy Analyzer). Google SDKs are imported lazily."""

from .connector import GcpConnector

__all__ = ["GcpConnector"]
