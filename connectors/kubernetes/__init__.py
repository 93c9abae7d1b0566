"""Kubernetes clusters through their API servers (see connector.py)."""

from .connector import KubernetesConnector

__all__ = ["KubernetesConnector"]
