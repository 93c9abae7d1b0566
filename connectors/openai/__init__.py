"""OpenAI organization through the Admin API (see connector.py)."""

from .connector import OpenAIConnector

__all__ = ["OpenAIConnector"]
