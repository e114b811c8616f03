"""CLI commands: `policy init [FILE]` and `policy show` (registered on the root app by provision.cli)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from provision.cli._common import JsonOption, console, emit, err_console, run_context
from provision.cli.plan import effective_policy
from provision.errors import InputError

policy_app = typer.Typer(name="policy", help="The licensing policy (TOML).", no_args_is_help=True)


@policy_app.command("init")
def policy_init(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The policy file to write.")] = Path("policy.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite the file if it exists.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Write the default policy, every key with its comment, to edit and use with --policy FILE."""
    from provision.core.policy import DEFAULT_POLICY_TOML

    if file.exists() and not force:
        raise InputError(
            f"{file}: already exists; edit it, or pass --force to overwrite it with the defaults"
        )
    target = file.resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=target.parent, prefix=f".{target.name}.", delete=False
        ) as tmp:
            tmp.write(DEFAULT_POLICY_TOML)
        os.chmod(tmp.name, 0o644)  # a policy holds no secret; operators and the nightly job read it
        Path(tmp.name).replace(target)
    except OSError as exc:
        raise InputError(f"{file}: cannot write the policy file: {exc}") from exc
    if json_output:
        emit(ctx, {"file": str(target)})
        return
    console.print(
        f"wrote {file}: edit it, then use it with `provision --policy {file} …` or PROVISION_POLICY={file}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@policy_app.command("show")
def policy_show(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Print the effective policy with the defaults' comments; keys that differ are marked."""
    from provision.core.policy import commented_toml, differences

    settings = run_context(ctx).settings
    policy = effective_policy(settings)
    source = settings.policy_file
    if json_output:
        emit(
            ctx,
            {
                "source": str(source) if source else None,
                "policy": policy.to_data(),
                "differs": differences(policy),
            },
        )
        return
    err_console.print(
        f"# effective policy ({source or 'defaults'})", markup=False, highlight=False, soft_wrap=True
    )
    console.print(commented_toml(policy), end="", markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(policy_app)
