"""`flask stats rebuild`: count every day's help sessions again for the dashboard; and `bench`,
a large, realistic history for the statistics' benchmark, which the factory puts in `flask seed`."""
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from ..core.centre import centre_timezone
from ..extensions import db
from .daily_counts import refresh
from .history import bench_history

stats = click.Group("stats", help="The usage statistics.")


@stats.command("rebuild")
def rebuild():
    """Count every day's help sessions again (after changing sessions with SQL of your own)."""
    began = time.perf_counter()
    with db.engine.begin() as connection:
        refresh(connection)
    click.echo(f"Help sessions counted again per day ({time.perf_counter() - began:.1f} s).")


@click.command("bench")
@click.option("--years", default=3, show_default=True, type=click.IntRange(1, 10),
              help="How many years of history to write, up to yesterday.")
@click.option("--bookings", type=click.IntRange(1_000, 2_000_000),
              help="At least this many bookings (by default 40,000 a year).")
@click.option("--residents", default=22_000, show_default=True, type=click.IntRange(100, 1_000_000))
@with_appcontext
def bench(years, bookings, residents):
    """Add a network of places with years of bookings, walk-ins and help sessions (after `seed demo`)."""
    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException("Benchmark data is refused in production.")
    began = time.perf_counter()
    try:
        counts = bench_history(db.session, centre_timezone(), years=years, bookings=bookings or 40_000 * years,
                               residents=residents)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(", ".join(f"{name}: {value}" for name, value in sorted(counts.items()))
               + f" ({time.perf_counter() - began:.0f} s)")
