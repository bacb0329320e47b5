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
from .desk.lists import ensure_default_lists, ensure_demo_communes
from .extensions import db
from .notify.demo import demo_deliveries

DEMO_PASSWORD = "tournesol-violet-demo"
DEMO_STAFF = [
    ("coordinator@example.org", "Nadia Benali", Role.COORDINATOR, "fr"),
    ("facilitator@example.org", "Julien Morel", Role.FACILITATOR, "fr"),
    ("volunteer@example.org", "Afiavi Dossou", Role.FACILITATOR, "en"),
]

seed = AppGroup("seed", help="Demo and benchmark data.")


# The demo centre's public identity, as the national open-data files publish it. Made up: the
# SIRET only passes the checksum (SIREN 123 456 782 is the usual example), the links lead nowhere.
DEMO_IDENTITY = {
    "siret_or_rna": "12345678200010",
    "postal_code": "26000",
    "commune": "Valence",
    "insee_code": "26362",
    "latitude": 44.9263,
    "longitude": 4.9121,
    "typology": ["CS"],
    "website": "https://mpt-petit-charran.example.org/",
    "acceslibre_url": "https://acceslibre.beta.gouv.fr/app/26-valence/a/centre-social/erp/"
                      "maison-pour-tous-du-petit-charran-demo/",
    "national_programmes": ["Conseillers numériques", "Aidants Connect"],
    "fees": ["Gratuit"],
    "publics": ["Familles et/ou enfants", "Seniors", "Jeunes"],
    "specific_support": ["Langues étrangères (autres)", "Langues étrangères (anglais)", "Illettrisme"],
    "access_modes": ["Se présenter", "Téléphoner", "Contacter par mail"],
    "support_modes": ["Accompagnement individuel", "Dans un atelier collectif"],
    "summary": "Espace numérique du centre social : aide gratuite aux démarches en ligne, au suivi "
               "scolaire et à l'usage du smartphone, sur rendez-vous ou en atelier.",
    "presentation": "La Maison Pour Tous du Petit Charran accueille les habitants de Valence et des "
                    "communes voisines pour les accompagner dans leurs usages du numérique.\n\n"
                    "Un conseiller numérique et des bénévoles aident, sur rendez-vous, à faire ses "
                    "démarches administratives en ligne (CAF, impôts, Ameli, France Travail, ANTS), à "
                    "suivre la scolarité de ses enfants (Pronote, EduConnect), à acheter en sécurité et "
                    "à prendre en main son smartphone. Des ateliers collectifs ont lieu chaque semaine.\n\n"
                    "L'accueil est gratuit et ouvert à tous. Nous pouvons accompagner les personnes qui "
                    "parlent peu le français ou qui ont des difficultés à lire et à écrire.",
}


def demo_centre():
    # Fresh lists for the row: the session sees a list change only when it is a new list.
    identity = {name: list(value) if isinstance(value, list) else value for name, value in DEMO_IDENTITY.items()}
    centre = db.session.execute(db.select(Centre)).scalars().first()
    if centre is None:
        db.session.add(Centre(
            name="Maison Pour Tous — Petit Charran",
            address="Place du Petit Charran",
            phone="04 75 00 00 00",
            email="accueil@example.org",
            **identity,
        ))
        db.session.commit()
    elif not centre.siret_or_rna and centre.address == "Place du Petit Charran, 26000 Valence":
        # A demo database from before the public identity: give it one.
        centre.address = "Place du Petit Charran"
        for name, value in identity.items():
            setattr(centre, name, value)
        db.session.commit()


def demo_staff():
    for email, name, role, language in DEMO_STAFF:
        if find_by_email(email) is None:
            create_user(email, name, DEMO_PASSWORD, role=role, language=language)


def demo_lists():
    ensure_default_lists(db.session)
    ensure_demo_communes(db.session)


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
