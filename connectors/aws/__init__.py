"""AWS: IAM users, roles, access keys, policies and trusts (see connector.py)."""

from .connector import AwsConnector

__all__ = ["AwsConnector"]
