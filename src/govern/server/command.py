"""`govern serve` (the console and API) and `govern tokens` (who may use them).

Registered in :data:`govern.cli.main.COMMANDS` like every verb and imported only when run:
FastAPI, Starlette, Jinja2 and uvicorn (the ``console`` extra) never load on `govern`'s path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from fastapi import FastAPI

    from govern.server.settings import ConsoleSettings

database_option = click.option("--database", "database", metavar="URL", envvar="GOVERN_DATABASE_URL",
                               help="Store URL (default: GOVERN_DATABASE_URL, .govern/config.toml, "
                                    "then sqlite .govern/govern.db).")


def _role_map(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        who, sep, role = value.rpartition("=")
        if not sep or not who:
            raise click.BadParameter(f"{value!r}: expected IDENTITY=ROLE, e.g. ana@example.org=auditor")
        out[who] = role
    return out


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8321, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@database_option
@click.option("--policy", "-p", "policies", multiple=True, type=click.Path(path_type=Path), metavar="PACK",
              help="A policy pack folder (repeatable): verifies signatures, names who may sign, "
                   "and `govern diff` between two versions of one pack.")
@click.option("--trusted-header", metavar="HEADER",
              help="Header an authenticating reverse proxy sets to the user's identity (e.g. X-Forwarded-Email).")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="Address or network of that proxy (repeatable); the header is believed only from it.")
@click.option("--header-role", "header_roles", multiple=True, callback=_role_map, metavar="IDENTITY=ROLE",
              help="Role of a person arriving through the trusted header (repeatable; others are viewers).")
@click.option("--allow-anonymous", is_flag=True,
              help="No credentials needed (read-only, as an auditor). Only on a loopback --host.")
@click.option("--expiring-within", "days", default=30, show_default=True, type=click.IntRange(min=0),
              metavar="DAYS", help="Default horizon of the inventory's expiring column.")
@click.option("--notify-config", "notify_config", type=click.Path(path_type=Path), metavar="FILE",
              help="Also send notifications (the file `govern notify --config` reads, docs/notifications.md), "
                   "every --notify-every minutes; a cron job running `govern notify` may run beside it.")
@click.option("--notify-every", "notify_every", default=15.0, show_default=True,
              type=click.FloatRange(min=0.01), metavar="MINUTES", help="Minutes between notification passes.")
def serve(host: str, port: int, database: str | None, policies: tuple[Path, ...], trusted_header: str | None,
          trusted_proxies: tuple[str, ...], header_roles: dict[str, str], allow_anonymous: bool, days: int,
          notify_config: Path | None, notify_every: float) -> None:
    """Serve the web console and the JSON API over the audit store.

    \b
    Pages: inventory, use case (tier, rules, gate graph, history, sign-offs),
    decision (checks, values, evidence digests, PDF and JSON), my queue, expiring,
    audit (verification, event log), policy (packs, versions, diff), and a form to
    post a signed record. API: /api/v1/ (OpenAPI at /api/v1/openapi.json).

    \b
    Who may look: a bearer token (`govern tokens create`), or the identity in
    --trusted-header on connections from --trusted-proxy, or nobody with
    --allow-anonymous on loopback. Viewers see the inventory; auditors also
    decisions, evidence digests and the audit log (and every request of theirs is
    logged); admins also manage tokens. See docs/console.md for deployment behind
    a reverse proxy with PostgreSQL.

    \b
    With --notify-config the console also sends notifications (new sign-off
    requests, blocked decisions, expiring approvals and waivers, audit failures),
    each once: the same pass as `govern notify`, which may run beside it.

    \b
    Examples:
      govern serve --database sqlite:///build/demo/govern.db --policy build/demo/eu-ai-act --allow-anonymous
      govern serve --host 0.0.0.0 --database postgresql+psycopg://govern@db/govern -p policies/eu-ai-act \\
          --trusted-header X-Forwarded-Email --trusted-proxy 10.0.0.5
    """
    from govern.server.settings import ConsoleSettings

    settings = ConsoleSettings(database=database, policies=list(policies), host=host, port=port,
                               trusted_header=trusted_header, trusted_proxies=list(trusted_proxies),
                               header_roles=header_roles, allow_anonymous=allow_anonymous, expiring_within=days).check()
    config = None
    if notify_config is not None:  # a bad file is exit 2 before anything is served
        from govern.notify.config import load_config

        config = load_config(notify_config)
        if config.missing:
            from govern.errors import InputError

            raise InputError(list(config.missing))
    app = build(settings)
    import uvicorn

    where = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    click.echo(f"govern console on {where} (store {app.state.store_url}); Ctrl-C stops it", err=True)
    notifier = None
    if config is not None:
        from govern.server.notifier import Notifier

        console = app.state.console
        notifier = Notifier(console.store, config, [p.policy for p in console.packs], notify_every * 60).start()
        click.echo(f"sending notifications every {notify_every:g} min ({notify_config})", err=True)
    try:
        # proxy_headers off: the client address is the TCP peer, which is what --trusted-proxy is checked against
        uvicorn.run(app, host=host, port=port, proxy_headers=False, server_header=False, log_level="warning",
                    access_log=False)
    finally:
        if notifier is not None:
            notifier.stop()


def build(settings: "ConsoleSettings") -> "FastAPI":
    """Open the store and the packs, and make the application (what tests run under uvicorn too)."""
    from govern.record.config import existing_store, no_store_error, redact
    from govern.record.store import Store
    from govern.server.app import create_app
    from govern.server.data import Console, load_packs

    _need_console_extra()
    if existing_store(settings.database) is None:
        raise no_store_error(settings.database)
    packs = load_packs(settings.policies)
    store = Store.open(settings.database)  # migrated to the current schema
    if not store.url.startswith("sqlite"):
        from govern.record.engine import make_engine

        store.engine.dispose()
        store.engine = make_engine(store.url, pooled=True)  # SQLite opens a file; PostgreSQL keeps connections
    app = create_app(settings, Console(store, packs))
    app.state.store_url = redact(store.url)
    return app


def _need_console_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import jinja2  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        from govern.errors import Diagnostic, InputError

        raise InputError(Diagnostic("console-deps-missing", f"govern serve needs the `console` extra: {exc}",
                                    hint="pip install 'govern[console]'")) from None


@click.group()
def tokens() -> None:
    """Bearer tokens for the console and its API (`govern serve`).

    \b
    A token is shown once, when it is made, and stored only as its sha256. Roles:
      viewer   the inventory, use cases, the queue, what expires, the packs
      auditor  also decisions, evidence digests, PDF reports and the audit log
               (every request of theirs is written to the access log)
      admin    also creates and revokes tokens in the console

    \b
    Examples:
      govern tokens create --name ci-dashboard --role viewer
      govern tokens list
      govern tokens revoke ci-dashboard
    """


def _open(database: str | None):  # noqa: ANN202
    from govern.record.config import existing_store, no_store_error
    from govern.record.store import Store

    if existing_store(database) is None:
        raise no_store_error(database)
    return Store.open(database)


@tokens.command()
@click.option("--name", required=True, help="Who or what holds it (unique; never reused).")
@click.option("--role", required=True, type=click.Choice(["viewer", "auditor", "admin"]), help="What it may see.")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@database_option
def create(name: str, role: str, fmt: str, database: str | None) -> None:
    """Make a token; it is printed once (stdout), never stored."""
    from govern.server.tokens import create as make

    with _open(database) as store:
        info, token = make(store, name, role)
    if fmt == "json":
        import json

        click.echo(json.dumps({**info.to_dict(), "token": token}))
        return
    click.echo(f"token {info.name} ({info.role}) created; it is shown only now:", err=True)
    click.echo(token)


@tokens.command(name="list")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@database_option
def list_(fmt: str, database: str | None) -> None:
    """Every token ever made: name, role, created, revoked (never the token)."""
    from govern.server.tokens import listing

    with _open(database) as store:
        found = listing(store)
    if fmt == "json":
        import json

        click.echo(json.dumps({"tokens": [t.to_dict() for t in found]}))
        return
    if not found:
        click.echo("no tokens yet: govern tokens create --name NAME --role viewer|auditor|admin")
    for t in found:
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
        click.echo(f"{t.name}  {t.role}  created {t.created_at:%Y-%m-%d %H:%M} UTC  {state}")


@tokens.command()
@click.argument("name")
@database_option
def revoke(name: str, database: str | None) -> None:
    """Revoke a token by name: it stops working on the next request."""
    from govern.server.tokens import revoke as drop

    with _open(database) as store:
        info = drop(store, name)
    click.echo(f"token {info.name} ({info.role}) revoked")
