"""A provider SDK named at a module's top but loaded on first use.

Connector modules import each other at their top, where the structure shows; the SDKs they
drive (grpc, google-cloud-*, boto3, azure-identity, kubernetes) must not load until a scan,
revoke or demo needs them, so that `nhi --help` and listing providers stay fast. Most SDK
imports sit inside the get-layer functions that call them; a module that uses an SDK all over
(a fake serving its protocol) names it once with :func:`sdk` instead.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name``; the first attribute read imports it."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not loaded yet"
        return f"<lazy module {self._name!r}, {state}>"


def sdk(name: str) -> Any:
    """The module ``name`` (dotted, e.g. ``"google.protobuf.json_format"``), imported when first
    used. Typed ``Any``: an SDK is untyped to nhi either way."""
    return LazyModule(name)
