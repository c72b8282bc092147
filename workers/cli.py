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
