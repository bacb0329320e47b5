"""`flask slots generate|holidays` and the `reminders` command the factory puts in `flask notify`."""
from datetime import timedelta

import click
from flask.cli import AppGroup, with_appcontext

from ..core.centre import centre_now, centre_timezone
from ..extensions import db
from ..ops.jobs import recorded_job
from . import opening
from .reminders import queue_reminders

slots = AppGroup("slots", help="Bookable slots, generated from the opening hours.")


@slots.command("generate")
@click.option("--weeks", type=click.IntRange(min=1),
              help="How many weeks ahead; the booking horizon (8 weeks unless the coordinator changed it) by default.")
@recorded_job("slots-generate")
def generate(weeks):
    """Create the coming slots from the opening hours and remove those no longer offered."""
    start, end, report = opening.generate_for_horizon(db.session, weeks)
    db.session.commit()
    click.echo(f"Slots from {start} to {end}: {report.created} created, {report.updated} updated, "
               f"{report.removed} removed, {len(report.kept_booked)} kept because booked.")
    tz = centre_timezone()
    for slot in report.kept_booked:
        click.echo(f"  kept: slot {slot.id} on {slot.starts_at.astimezone(tz):%Y-%m-%d %H:%M} "
                   f"({slot.seats_taken} booked): residents to call")
    return {"created": report.created, "updated": report.updated, "removed": report.removed,
            "kept_booked": len(report.kept_booked)}


@slots.command("holidays")
@click.option("--year", type=click.IntRange(min=2000, max=2200),
              help="The year; the current one by default.")
@recorded_job("slots-holidays")
def holidays(year):
    """Close the centre on the French public holidays of a year; their free slots go."""
    year = year or centre_now().year
    created, resync = opening.add_public_holidays(db.session, year)
    click.echo(f"{len(created)} public holidays of {year} added as closures.")
    if resync.kept_booked:
        click.echo(f"  {len(resync.kept_booked)} booked slots on them are kept: residents to call.")
    return {"closures": len(created), "kept_booked": len(resync.kept_booked)}


@click.command("reminders")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day of the appointments; tomorrow by default.")
@with_appcontext
@recorded_job("notify-reminders")
def reminders(day):
    """Queue tomorrow's reminders for residents who asked for one; run it once a day."""
    day = day.date() if day else centre_now().date() + timedelta(days=1)
    count = queue_reminders(db.session, day, centre_timezone())
    click.echo(f"{count} reminders queued for {day}; `flask notify send` delivers them.")
    return {"queued": count}
