"""`nhi config validate`: check an nhi.yaml and list every error, each with file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nhi_cli.cli.common import cli_context
from nhi_cli.config_check import check_config
from nhi_cli.errors import ConfigError
from nhi_cli.text import visible

config_app = typer.Typer(
    help="Check the configuration file (nhi.yaml).\n\nExample: nhi config validate nhi.yaml", no_args_is_help=True
)


@config_app.command("validate")
def validate(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(help="The file to check (default: --config, NHI_CONFIG, else ./nhi.yaml).", show_default=False),
    ] = None,
) -> None:
    """Check nhi.yaml against the schema and every provider's settings; list all errors.

    Each error names file:line and the setting, with a suggestion for a misspelt key
    ("did you mean profile?"). Exit 0 when the file is valid, 2 when it has errors.

    Example: nhi config validate nhi.yaml
    """
    st = cli_context(ctx)
    target = path or st.config_path or Path("nhi.yaml")
    errors = check_config(target)
    for message in errors:
        st.err.print(visible(message), highlight=False, markup=False, soft_wrap=True)
    if errors:
        raise ConfigError(f"{target}: {len(errors)} error{'s' if len(errors) != 1 else ''}")
    st.out.print(f"{target}: valid", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
