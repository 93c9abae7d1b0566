"""Two demo scans on one day are the same estate: `nhi diff` must show no change at all."""

from __future__ import annotations

import json


def test_two_demo_scans_diff_to_nothing(nhi):
    assert nhi("-q", "scan", "--demo").code == 0
    assert nhi("-q", "scan", "--demo").code == 0
    result = nhi("diff", "--format", "json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)["summary"]
    assert summary == {key: 0 for key in summary}, summary
