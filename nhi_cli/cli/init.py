"""`nhi init`: write a commented nhi.yaml from the credentials detected on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nhi_cli.cli.common import cli_context
from nhi_cli.config import load_config
from nhi_cli.detect import detect
from nhi_cli.errors import ConfigError
from nhi_cli.init_config import render


def init(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the config.")] = Path("nhi.yaml"),
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile to record.")] = None,
    aws_org: Annotated[bool, typer.Option("--aws-org", help="Record Organization mode for AWS.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented nhi.yaml for the providers whose credentials are found here.

    Detection is the one `nhi scan` uses without a config (no API call). Providers not found
    are written commented out, with the reason. No key, token or secret is ever written.

    Example: nhi init --profile audit --aws-org && nhi config validate
    """
    st = cli_context(ctx)
    if output.exists() and not force:
        raise ConfigError(f"{output} already exists; pass --force to overwrite it")
    detections = detect(aws_profile=profile, aws_org=aws_org)
    for d in detections:
        st.say(d.line(), None if d.found else "dim")
    try:
        output.write_text(render(detections), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc.strerror}") from None
    load_config(output)  # what was written must load: a template bug is caught here, not at the next scan
    st.say(f"wrote {output}; check it with `nhi config validate {output}`, then run `nhi scan`")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
