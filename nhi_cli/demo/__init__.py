"""The built-in demo estate: local fakes that serve fixtures/demo/ to the real connectors."""
