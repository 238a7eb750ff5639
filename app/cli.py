"""Command-line tools: ``flask --app run users|tokens|init``."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from app.services import accounts, tokens

users_cli = AppGroup("users", help="Manage users.")
tokens_cli = AppGroup("tokens", help="Manage API tokens.")


@users_cli.command("create")
@click.argument("username")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(username: str, admin: bool, password_stdin: bool) -> None:
    """Create USERNAME (the password is prompted for, or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(username, password, "admin" if admin else "user")
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {'admin' if admin else 'user'} {user.username}.")


@tokens_cli.command("create")
@click.argument("username")
@click.argument("name")
def create_token(username: str, name: str) -> None:
    """Create an API token NAME for USERNAME and print it (shown only this once)."""
    user = accounts.find_user(username)
    if user is None:
        raise click.ClickException(f"No user named {username!r}.")
    _token, value = tokens.create_token(user, name)
    click.echo(value)


@click.command("init")
def init_command() -> None:
    """Migrate the database and create the first admin when there is no user (what the embedded start does)."""
    from app.embedded import prepare_database
    prepare_database()


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(init_command)
