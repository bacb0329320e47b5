"""`flask privacy purge`, run every night (README, "Scheduled jobs")."""
import click
from flask.cli import AppGroup

from ..extensions import db
from ..ops.jobs import recorded_job
from .purge import BATCH_SIZE, RULES, purge

privacy = AppGroup("privacy", help="Residents' personal data: apply the retention settings.")


@privacy.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what is due; change nothing.")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=BATCH_SIZE, show_default=True,
              help="Rows changed per transaction.")
@recorded_job("privacy-purge")
def purge_command(dry_run, batch_size):
    """Anonymise or delete the personal data older than the retention settings allow.

    Prints counts only, never a value. Safe to stop at any moment and to run again.
    """
    counts = purge(db.session, dry_run=dry_run, batch_size=batch_size)
    click.echo("Privacy purge, dry run: nothing changed; due now:" if dry_run else "Privacy purge done:")
    for rule in RULES:
        click.echo(f"  {counts[rule.name]:>8,}  {rule.name}: {rule.label}")
    return {rule.name: counts[rule.name] for rule in RULES}
