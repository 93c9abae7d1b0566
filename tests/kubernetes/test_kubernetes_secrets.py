"""A token planted in the cluster's token secret (and an Opaque secret beside it) never reaches
nhi: not the inventory, not stdout or stderr, not any report, not the log of a verbose scan."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

from k8s_helpers import PLANTED_B64, PLANTED_TOKEN, TOKEN, configure, fake_cluster, write_kubeconfig

PLANTED_OPAQUE = "PLANTED-OPAQUE-PASSWORD"
VALUES = (PLANTED_TOKEN, PLANTED_B64, PLANTED_OPAQUE, base64.b64encode(PLANTED_OPAQUE.encode()).decode(), TOKEN)


def test_planted_token_is_absent_from_every_output(nhi, caplog):
    caplog.set_level(logging.DEBUG)
    outputs = []
    with fake_cluster() as fake:
        write_kubeconfig(Path("kubeconfig"), {"prod": fake.url})
        configure({"page_size": 1})
        scan = nhi("--verbose", "scan", "--provider", "kubernetes")
        assert scan.code in (0, 1), scan.err
        outputs += [scan.out, scan.err]
        # the fake holds the value: prove the test can see it if it leaked
        assert any(s.get("data", {}).get("token") == PLANTED_B64 for s in fake.objects["secrets"])
    for fmt in ("table", "json", "sarif", "markdown", "csv", "html"):
        for what in ("findings", "inventory") if fmt in ("table", "json", "csv") else ("findings",):
            result = nhi("report", "--format", fmt, "--what", what)
            assert result.code == 0, result.err
            outputs += [result.out, result.err]
    for command in (("agents", "list"), ("findings",), ("inventory",)):
        result = nhi(*command)
        outputs += [result.out, result.err]
    outputs.append(caplog.text)
    outputs += [p.read_bytes().decode("latin-1") for p in Path(".").glob("nhi.db*")]
    for value in VALUES:
        assert not [i for i, text in enumerate(outputs) if value in text], value
