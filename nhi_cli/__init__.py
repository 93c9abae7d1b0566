"""nhi: govern non-human identities and the AI agents that use them."""

__version__ = "0.1.0"
