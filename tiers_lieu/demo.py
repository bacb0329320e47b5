"""Demo data, so that `make run` shows a living centre on first start.

Each domain adds a step to `DEMO_STEPS`; every step is idempotent, so running the command again
adds nothing twice.
"""
import click
from flask import current_app
from flask.cli import AppGroup

from .accounts.models import Role, User
from .accounts.service import create_user, find_by_email
from .booking.demo import demo_booking, demo_bookings
from .core.centre import Centre
from .desk.demo import demo_today
from .desk.lists import ensure_default_lists
from .extensions import db
from .notify.demo import demo_deliveries

DEMO_PASSWORD = "tournesol-violet-demo"
DEMO_STAFF = [
    ("coordinator@example.org", "Nadia Benali", Role.COORDINATOR, "fr"),
    ("facilitator@example.org", "Julien Morel", Role.FACILITATOR, "fr"),
    ("volunteer@example.org", "Afiavi Dossou", Role.FACILITATOR, "en"),
]

seed = AppGroup("seed", help="Demo and benchmark data.")


def demo_centre():
    if db.session.execute(db.select(Centre)).first() is None:
        db.session.add(Centre(
            name="Maison Pour Tous — Petit Charran",
            address="Place du Petit Charran, 26000 Valence",
            phone="04 75 00 00 00",
            email="accueil@example.org",
        ))
        db.session.commit()


def demo_staff():
    for email, name, role, language in DEMO_STAFF:
        if find_by_email(email) is None:
            create_user(email, name, DEMO_PASSWORD, role=role, language=language)


def demo_lists():
    ensure_default_lists(db.session)


def demo_activity():
    from .core.centre import centre_timezone
    from .stats.history import six_months_of_activity

    six_months_of_activity(db.session, centre_timezone())


# The deliveries last: every booking step before queued its confirmations.
DEMO_STEPS = [demo_centre, demo_staff, demo_booking, demo_bookings, demo_lists, demo_activity, demo_today,
              demo_deliveries]


def load_demo():
    for step in DEMO_STEPS:
        step()


def database_is_empty():
    return db.session.execute(db.select(User.id).limit(1)).first() is None


@seed.command("demo")
@click.option("--if-empty", is_flag=True, help="Only load the demo into a database with no account.")
def demo(if_empty):
    """Load the demo centre: staff accounts and, as features arrive, their data."""
    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException("Demo data is refused in production.")
    if if_empty and not database_is_empty():
        click.echo("The database already has data; demo not loaded.")
        return
    load_demo()
    click.echo(f"Demo loaded. Staff log in with the password '{DEMO_PASSWORD}'.")


@seed.command("lists")
def lists():
    """Fill empty lists of needs and referral targets with the national report's usual entries."""
    ensure_default_lists(db.session)
    click.echo("Needs and referral targets are ready.")
