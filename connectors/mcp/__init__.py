"""Local MCP agent configs: every configured MCP server and the standing secrets in them
(see connector.py)."""

from .connector import McpConnector

__all__ = ["McpConnector"]
