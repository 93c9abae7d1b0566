"""moto's WSGI app behind a test's own middleware, served on an OS-chosen loopback port.

Tests that need to see or shape what the provider receives (count calls, split a GAAD answer
into pages, throttle once, hold a call unanswered) wrap moto's app instead of patching nhi.
"""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

WsgiApp = Callable[..., Any]


@contextmanager
def serve_moto(wrap: Callable[[WsgiApp], WsgiApp] = lambda app: app) -> Iterator[tuple[str, WsgiApp]]:
    """Serve ``wrap(moto_app)`` until the block ends; yields the base URL (moto state reset) and
    the wrapped app, so a test can read what its middleware saw."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    from nhi_connectors.aws import ai_fake
    from nhi_connectors.aws.fake import moto_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    ai_fake.reset()
    app = wrap(moto_app())  # moto behind the AI-platform fake, as the demo serves it
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
    try:
        yield url, app
    finally:
        server.shutdown()
        thread.join()
