from datetime import datetime, timedelta

import click
from flask.cli import AppGroup

from ..core.centre import centre_timezone
from ..extensions import db
from ..notify.cli import notify
from .availability import booking_rules
from .reminders import queue_reminders
from .service import add_public_holidays, horizon, sync_slots

slots = AppGroup("slots", help="Bookable slots, generated from the opening hours.")


def horizon_weeks():
    """How far ahead residents may book, as the coordinator set it."""
    return booking_rules(db.session).horizon_weeks


def generate_for_horizon(weeks=None):
    """Sync the slots from today to the end of the booking horizon and return the report; the
    caller commits, together with the change that called for it."""
    tz = centre_timezone()
    start, end = horizon(datetime.now(tz).date(), weeks or horizon_weeks())
    return start, end, sync_slots(db.session, start, end, tz)


@slots.command("generate")
@click.option("--weeks", type=click.IntRange(min=1),
              help="How many weeks ahead; BOOKING_HORIZON_WEEKS (8) by default.")
def generate(weeks):
    """Create the coming slots from the opening hours and remove those no longer offered."""
    start, end, report = generate_for_horizon(weeks)
    db.session.commit()
    click.echo(f"Slots from {start} to {end}: {report.created} created, {report.updated} updated, "
               f"{report.removed} removed, {len(report.kept_booked)} kept because booked.")
    tz = centre_timezone()
    for slot in report.kept_booked:
        click.echo(f"  kept: slot {slot.id} on {slot.starts_at.astimezone(tz):%Y-%m-%d %H:%M} "
                   f"({slot.seats_taken} booked): residents to call")


@slots.command("holidays")
@click.option("--year", type=click.IntRange(min=2000, max=2200),
              help="The year; the current one by default.")
def holidays(year):
    """Close the centre on the French public holidays of a year."""
    year = year or datetime.now(centre_timezone()).year
    created = add_public_holidays(db.session, year)
    db.session.commit()
    click.echo(f"{len(created)} public holidays of {year} added as closures.")


@notify.command("reminders")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day of the appointments; tomorrow by default.")
def reminders(day):
    """Queue tomorrow's reminders for residents who asked for one; run it once a day."""
    tz = centre_timezone()
    day = day.date() if day else datetime.now(tz).date() + timedelta(days=1)
    count = queue_reminders(db.session, day, tz)
    click.echo(f"{count} reminders queued for {day}; `flask notify send` delivers them.")
