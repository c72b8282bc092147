"""The `gateway` command.

Commands that run worker code (`worker`, `classify`, …) live in the workers package and
join this group through the `gateway.commands` entry point, so gateway never imports
workers (DESIGN §1).
"""
from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import click

from gateway.config import load_config
from gateway.errors import GatewayError


@click.group()
def main() -> None:
    """SMS/USSD community reporting gateway."""


def _runtime():
    from gateway.runtime import build_runtime, install

    return install(build_runtime(load_config()))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", "processes", default=2, show_default=True, help="gunicorn processes (with REDIS_URL)")
def serve(host: str, port: int, processes: int) -> None:
    """Run the web server. Without REDIS_URL: SQLite-ready, embedded queue and worker."""
    config = load_config()
    _check_spool(config)
    if config.embedded:
        _serve_embedded(config, host, port)
    else:
        from gateway.serving import run_gunicorn

        run_gunicorn("gateway.wsgi:app", bind=f"{host}:{port}", workers=processes)


def _serve_embedded(config, host: str, port: int) -> None:
    from gateway import create_app
    from gateway.embedded import start_embedded_worker
    from gateway.store.migrate import upgrade

    upgrade(config.database_url)
    if not config.public_base_url_given:
        config = config.with_overrides(public_base_url=f"http://{host}:{port}")
    app = create_app(config)
    start_embedded_worker(app.extensions["gateway"])
    click.echo(f"gateway on http://{host}:{port} (embedded queue and worker, "
               f"provider {config.sms_provider}, database {config.database_url.split(':')[0]})")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply the Alembic migrations (to the latest by default)."""
    from gateway.store.migrate import upgrade

    upgrade(load_config().database_url, revision)
    click.echo(f"database upgraded to {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION (e.g. base)."""
    from gateway.store.migrate import downgrade

    downgrade(load_config().database_url, revision)
    click.echo(f"database downgraded to {revision}")


@main.group()
def config() -> None:
    """Forums, working groups and coordinators."""


@config.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def config_load(path: Path) -> None:
    """Load a forums file (idempotent: loading it twice changes nothing)."""
    from gateway.forums_file import parse_forums_file
    from gateway.store.forums import load_forums

    specs = parse_forums_file(path.read_text(encoding="utf-8"))
    with _runtime().transaction() as session:
        summary = load_forums(session, specs)
    click.echo(f"{len(specs)} forums: {summary.created} created, {summary.updated} updated, "
               f"{summary.unchanged} unchanged, {summary.deactivated} deactivated")


@main.command()
@click.option("--grace", type=int, default=None, help="seconds a report may wait before re-enqueueing")
def sweep(grace: int | None) -> None:
    """Re-enqueue reports and messages whose job was lost."""
    from gateway.sweeper import sweep as run_sweep

    result = run_sweep(_runtime(), grace_seconds=grace)
    click.echo(f"{result.reports} reports and {result.sends} messages waiting; {result.enqueued} enqueued")


def _check_spool(config) -> None:
    """Before gunicorn forks: a clear error here beats 'worker failed to boot' there."""
    from gateway.spool import Spool

    Spool.from_config(config).check_writable()


@main.group()
def spool() -> None:
    """The disk spool where messages wait while the database is unreachable."""


@spool.command("status")
def spool_status() -> None:
    """Entries waiting, their size and age, and entries set aside for a person to look at."""
    from gateway.spool import Spool

    stats = Spool.from_config(load_config()).stats()
    click.echo(f"{stats.entries} waiting ({stats.bytes} bytes, oldest {stats.oldest_age_seconds:.0f} s); "
               f"{stats.quarantined} quarantined")


@spool.command("drain")
def spool_drain() -> None:
    """Replay the spooled entries into the database now (workers also do it periodically)."""
    from gateway.durable import drain

    result = drain(_runtime())
    click.echo("another drain is running" if result.busy else
               f"{result.replayed} replayed, {result.quarantined} quarantined, {result.remaining} waiting")
    sys.exit(1 if result.remaining else 0)


@main.command()
@click.option("--release", "reference", default=None, help="release this held report for processing")
def held(reference: str | None) -> None:
    """Reports held by the per-number rate limit: list them, or release one."""
    from gateway.store.reports import held_reports, release_held

    runtime = _runtime()
    if reference is None:
        with runtime.transaction() as session:
            for report in held_reports(session):
                click.echo(f"{report.reference} {report.created_at:%Y-%m-%d %H:%M} {report.channel}")
        return
    with runtime.transaction() as session:
        report_id = release_held(session, reference.upper(), runtime.now())
    if report_id is None:
        raise click.ClickException(f"no held report {reference}")
    runtime.queues.enqueue_report(report_id)
    click.echo(f"{reference.upper()} released")


@main.command()
@click.option("--limit", default=20, show_default=True)
def outbox(limit: int) -> None:
    """The latest outbound messages (what the console provider 'sent')."""
    from gateway.store.messages import latest_outbound

    with _runtime().transaction() as session:
        for row in latest_outbound(session, limit):
            click.echo(f"#{row.id} {row.created_at:%H:%M:%S} {row.kind:8} to {row.recipient:16} "
                       f"{row.status:14} {row.body}")


@main.group()
def simulate() -> None:
    """Play a phone: post to the running gateway exactly as a provider would."""


@simulate.command("sms")
@click.option("--from", "sender", required=True, help="the phone number, e.g. +22376123456")
@click.option("--to", "recipient", default="+15005550006", show_default=True)
@click.option("--url", default=None, help="gateway base URL (default PUBLIC_BASE_URL)")
@click.argument("text")
def simulate_sms(sender: str, recipient: str, url: str | None, text: str) -> None:
    """Send TEXT as an SMS through the Twilio webhook, signed as Twilio signs; print the reply."""
    from gateway.simulate import post_twilio_sms

    config = load_config()
    status, reply = post_twilio_sms(config, url or config.public_base_url, sender, recipient, text)
    click.echo(reply if status == 200 else f"HTTP {status}: {reply}")
    sys.exit(0 if status == 200 else 1)


@simulate.command("ussd")
@click.option("--from", "sender", required=True, help="the phone number, e.g. +22376123456")
@click.option("--url", default=None, help="gateway base URL (default PUBLIC_BASE_URL)")
@click.option("--service-code", default="*384*123#", show_default=True)
def simulate_ussd(sender: str, url: str | None, service_code: str) -> None:
    """A phone in the terminal: dial the USSD code, show each screen, read each answer from stdin.

    Hops are posted as Africa's Talking posts them (token in the URL, cumulative `text`).
    """
    from gateway.simulate import UssdDialogue, at_ussd_poster

    config = load_config()
    phone = UssdDialogue(at_ussd_poster(url or config.public_base_url, config.at_webhook_token),
                         sender, service_code)
    status, body = phone.dial()
    while status == 200 and body.startswith("CON "):
        click.echo(body[4:] + "\n" + "-" * 20)
        answer = sys.stdin.readline()
        if not answer:                   # end of input: the phone hangs up
            sys.exit(0)
        status, body = phone.answer(answer.rstrip("\r\n"))
    click.echo(body[4:] if status == 200 and body.startswith("END ") else f"HTTP {status}: {body}")
    sys.exit(0 if status == 200 else 1)


@main.group()
def menus() -> None:
    """USSD menus (menus/: screens as data, strings per language)."""


@menus.command("check")
@click.option("--dir", "menus_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="a copy of menus/ to check instead of the installed one")
def menus_check(menus_dir: Path | None) -> None:
    """Validate every menu: targets, reachability, strings in every language, 182-character
    screens, GSM-7. Prints each problem; exits 1 if there is any."""
    from menus import check_default

    problems = check_default(menus_dir) if menus_dir else check_default()
    for problem in problems:
        click.echo(str(problem))
    click.echo(f"{len(problems)} problem(s)" if problems else "menus OK", err=True)
    sys.exit(1 if problems else 0)


def _load_plugins() -> None:
    for entry in entry_points(group="gateway.commands"):
        main.add_command(entry.load(), entry.name)


def run() -> None:
    _load_plugins()
    try:
        main(standalone_mode=True)
    except GatewayError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
