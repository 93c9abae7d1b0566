"""The kit shared by connectors: what every provider package under connectors/ builds on.

- connector.py   the Connector base class, CollectContext (per-scan context), scope errors, revoke types
- registry.py    finding connectors through the ``nhi.connectors`` entry-point group
- http.py        RestClient: paging, retries, error mapping for REST/JSON providers
- credentials.py secrets from nhi.yaml or the environment (Admin keys, tokens)
- payloads.py    required fields and ISO times in transform_* functions
- secrets.py     identifying a secret without keeping it (salted hash, hint)
- http_fake.py   the loopback HTTP server REST fakes are built on
- times.py       keeping recorded fixture timestamps relative to "now"
- demo.py        bringing the demo estate up (every provider's fake)
- lazy.py        a provider SDK named at a module top, imported on first use

Nothing here imports a provider SDK; connectors/ depends on the kit, never the reverse.
"""
