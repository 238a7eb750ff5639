"""``flask --app run datasets load-builtin``: load or refresh the system datasets shipped with EvalHub."""
import click

from app.datasets import bp
from app.services.datasets import builtin


@bp.cli.command("load-builtin")
def load_builtin_command() -> None:
    """Create the built-in system datasets; a changed file becomes a new version (idempotent)."""
    failed = False
    for slug, outcome in builtin.load_builtin():
        click.echo(f"{slug}: {outcome}")
        failed = failed or outcome.startswith("failed")
    if failed:
        raise click.ClickException("some built-in datasets could not be loaded")
