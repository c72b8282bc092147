"""Commands that run worker code; they join the `gateway` command via an entry point."""
from __future__ import annotations

import click


@click.command()
@click.option("--burst", is_flag=True, help="drain the queues and exit")
@click.option("--with-scheduler/--without-scheduler", default=True, show_default=True,
              help="run due scheduled jobs (send retries)")
def worker(burst: bool, with_scheduler: bool) -> None:
    """Run an RQ worker on the sends, reports and bulk queues (needs REDIS_URL)."""
    from workers.runner import run_worker

    run_worker(burst=burst, with_scheduler=with_scheduler)


@click.command("classify")
def classify_command() -> None:
    """JSON lines {"id","text"} on stdin -> one result line each on stdout (DESIGN §3)."""
    import sys

    from workers.evaluation import classify_lines

    errors = classify_lines(sys.stdin, sys.stdout)
    if errors:   # every line still has its answer on stdout; a batch is not aborted for one bad line
        click.echo(f"{errors} input lines could not be read", err=True)


@click.command("eval")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def eval_command(path: str) -> None:
    """Per-category precision, recall and F1, macro-F1, and place accuracy on a labelled file."""
    from workers.evaluation import evaluate_file, format_report

    click.echo(format_report(evaluate_file(path)))


@click.group("trends")
def trends() -> None:
    """Trends: spike warnings, weekly digests, de-identified exports."""


def _runtime():
    from gateway.runtime import build_runtime, install

    return install(build_runtime())


@trends.command("check")
def trends_check() -> None:
    """Look for spikes now and warn the forums concerned (not twice within 7 days)."""
    from workers.trends.run import check_trends

    result = check_trends(_runtime())
    click.echo(f"{result.spikes} spikes ({result.suppressed} already warned in the last 7 days); "
               f"{result.warned_forums} forums warned, {result.messages} messages queued")


@trends.command("digest")
@click.option("--week", default=None, help="ISO week to summarise, e.g. 2026-W45 (default: the last whole week)")
def trends_digest(week: str | None) -> None:
    """Send the weekly digest to every working group (once per group and week).

    Schedule: the workers' periodic loop sends it on its own from the weekday and hour in
    workers/trends/settings.yaml (Monday 07:00 UTC, for the week before); running this from
    cron instead, e.g. `0 7 * * 1 gateway trends digest`, is just as safe: a group never gets
    the same week twice.
    """
    from workers.trends.run import send_digests

    result = send_digests(_runtime(), _parse_week(week) if week else None)
    click.echo(f"week of {result.week_start}: {result.sent} digests sent, {result.already_sent} already sent, "
               f"{result.messages} messages queued")


@trends.command("export")
@click.option("--hxl", is_flag=True, help="add the HXL hashtag row under the headers")
@click.option("--weeks", default=12, show_default=True, type=click.IntRange(1, 520), help="whole ISO weeks before this one")
def trends_export(hxl: bool, weeks: int) -> None:
    """Weekly counts by category, region and cercle as CSV on stdout (1 and 2 shown as "<3")."""
    from gateway.trends.service import trends_csv

    runtime = _runtime()
    with runtime.transaction() as session:
        click.echo(trends_csv(session, runtime.now(), weeks=weeks, hxl=hxl), nl=False)


def _parse_week(text: str):
    from datetime import datetime

    try:
        return datetime.strptime(text.replace("-", "") + "1", "%GW%V%u").date()
    except ValueError:
        raise click.BadParameter(f"expected an ISO week such as 2026-W45, got {text!r}", param_hint="--week")


@click.command()
def escalate() -> None:
    """Escalate alerts not acknowledged in time to backups and the triage desk (workers do it periodically)."""
    from gateway.runtime import current
    from workers.escalation import escalate_overdue

    result = escalate_overdue(current())
    click.echo(f"{result.alerts_escalated} alerts escalated; {result.messages} messages queued")
