"""Demo topics, places and a week of opening hours, with their slots (see tiers_lieu/demo.py)."""
from datetime import time

from sqlalchemy import select

from ..accounts.service import find_by_email
from ..core.centre import centre_today
from ..database import utcnow
from ..extensions import db
from . import reservations
from . import opening
from .availability import Window, booking_rules, free_slots
from .contact import normalise_phone
from .models import Booking, Location, OpeningRule, Procedure, Topic
from .reservations import Contact
from .topics import active_topics

TOPICS = [
    {
        "slug": "demarches",
        "national_themes": ["admin_procedures"],  # pre-ticked in the session log (issue 16)
        "name_fr": "Démarches administratives",
        "name_en": "Administrative procedures",
        "description_fr": "CAF, impôts, Ameli, France Travail, ANTS, retraite, logement : "
                          "on vous aide à faire vos démarches en ligne.",
        "description_en": "CAF, taxes, health insurance, France Travail, ANTS, pension, housing: "
                          "we help you with your procedures online.",
        "pictogram": "demarches.svg",
        "colour": "#1d4e89",
        "default_duration": 45,
        "mednum_services": ["Aide aux démarches administratives"],
        "di_thematiques": ["difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
                           "numerique--acceder-a-des-services-en-ligne"],
        "what_to_bring_fr": "Une pièce d'identité (carte d'identité, passeport ou titre de séjour)\n"
                            "Votre carte Vitale\n"
                            "Vos identifiants : FranceConnect, numéro allocataire CAF, "
                            "numéro fiscal…\n"
                            "Les derniers courriers reçus au sujet de la démarche\n"
                            "Votre téléphone portable chargé, pour les codes reçus par SMS",
        "what_to_bring_en": "An identity document (ID card, passport or residence permit)\n"
                            "Your carte Vitale (health insurance card)\n"
                            "Your log-ins: FranceConnect, CAF claimant number, tax number…\n"
                            "The latest letters you received about the procedure\n"
                            "Your mobile phone, charged, for the codes sent by text message",
        "procedures": ["CAF", "impots.gouv", "Ameli", "France Travail", "ANTS",
                       "Retraite", "Logement social", "Titre de séjour (ANEF)"],
    },
    {
        "slug": "achats",
        "national_themes": ["banking_shopping", "digital_security"],  # pre-ticked in the session log (issue 16)
        "name_fr": "Achats en ligne",
        "name_en": "Online shopping",
        "description_fr": "Acheter en sécurité, réserver un billet de train ou de bus, "
                          "repérer les arnaques, renvoyer un article.",
        "description_en": "Buying safely, booking a train or bus ticket, spotting scams, "
                          "sending an item back.",
        "pictogram": "achats.svg",
        "colour": "#0f766e",
        "default_duration": 30,
        "mednum_services": ["Utilisation sécurisée du numérique", "Maîtrise des outils numériques du quotidien"],
        "di_thematiques": ["numerique--acceder-a-des-services-en-ligne",
                           "numerique--maitriser-les-fondamentaux-du-numerique"],
        "what_to_bring_fr": "Votre téléphone portable chargé\n"
                            "Votre adresse e-mail et son mot de passe (gardé pour vous)\n"
                            "Votre carte bancaire, si vous voulez payer pendant le rendez-vous\n"
                            "Le message ou le courrier qui vous pose question",
        "what_to_bring_en": "Your mobile phone, charged\n"
                            "Your e-mail address and its password (kept to yourself)\n"
                            "Your bank card, if you want to pay during the appointment\n"
                            "The message or letter you have a question about",
        "procedures": ["SNCF Connect", "Bus Citéa", "Sites marchands",
                       "Arnaques et sécurité", "Retours et remboursements"],
    },
    {
        "slug": "scolarite",
        "national_themes": ["parenting"],  # pre-ticked in the session log (issue 16)
        "name_fr": "Suivi scolaire",
        "name_en": "School follow-up",
        "description_fr": "Pronote, ENT, EduConnect, cantine et périscolaire, Parcoursup, bourses : "
                          "suivre la scolarité de vos enfants en ligne.",
        "description_en": "Pronote, school portal, EduConnect, canteen and after-school care, "
                          "Parcoursup, grants: follow your children's schooling online.",
        "pictogram": "scolarite.svg",
        "colour": "#b45309",
        "default_duration": 30,
        "mednum_services": ["Parentalité et éducation avec le numérique"],
        "di_thematiques": ["famille--soutien-a-la-parentalite-et-a-leducation",
                           "numerique--acceder-a-des-services-en-ligne"],
        "what_to_bring_fr": "Vos identifiants EduConnect (ou FranceConnect)\n"
                            "Le numéro INE de votre enfant (sur son bulletin ou son certificat "
                            "de scolarité)\n"
                            "Le nom de l'établissement et la classe de votre enfant\n"
                            "Les derniers courriers de l'école\n"
                            "Votre dernier avis d'imposition, pour une demande de bourse\n"
                            "Votre téléphone portable chargé",
        "what_to_bring_en": "Your EduConnect (or FranceConnect) log-in\n"
                            "Your child's INE number (on the school report or the certificate "
                            "of schooling)\n"
                            "The name of your child's school and class\n"
                            "The latest letters from the school\n"
                            "Your latest tax notice, to apply for a grant\n"
                            "Your mobile phone, charged",
        "procedures": ["Pronote", "ENT", "EduConnect", "Cantine et périscolaire",
                       "Parcoursup", "Bourses"],
    },
    {
        "slug": "smartphone",
        "national_themes": ["device_handling"],  # pre-ticked in the session log (issue 16)
        "name_fr": "Prise en main du smartphone",
        "name_en": "Getting started with a smartphone",
        "description_fr": "Appeler, envoyer des messages et des photos, installer une application, "
                          "régler son téléphone.",
        "description_en": "Making calls, sending messages and photos, installing an app, "
                          "setting up your phone.",
        "pictogram": "smartphone.svg",
        "colour": "#6d28d9",
        "default_duration": 30,
        "mednum_services": ["Maîtrise des outils numériques du quotidien"],
        "di_thematiques": ["numerique--maitriser-les-fondamentaux-du-numerique"],
        "what_to_bring_fr": "Votre smartphone chargé et son chargeur\n"
                            "Le code de déverrouillage du téléphone\n"
                            "L'adresse e-mail et le mot de passe de votre compte Google ou Apple, "
                            "si vous en avez un",
        "what_to_bring_en": "Your smartphone, charged, and its charger\n"
                            "The phone's unlock code\n"
                            "The e-mail address and password of your Google or Apple account, "
                            "if you have one",
        "procedures": ["Appels et messages", "Photos", "Installer une application",
                       "Réglages et sécurité"],
    },
]

LOCATIONS = ["Salle informatique", "Bureau d'accueil"]

# (weekday, start, end, slot length, place, facilitator's e-mail, topics, capacity, workshop title)
RULES = [
    (0, time(9), time(12), 45, "Salle informatique", "facilitator@example.org",
     ["demarches", "achats"], 1, None),
    (1, time(14), time(17), 30, "Bureau d'accueil", "volunteer@example.org",
     ["demarches", "scolarite"], 1, None),
    (2, time(9), time(12), 30, "Salle informatique", "volunteer@example.org",
     ["scolarite", "smartphone"], 1, None),
    (3, time(9, 30), time(12), 45, "Bureau d'accueil", "facilitator@example.org",
     ["demarches"], 1, None),
    (3, time(14), time(16), 120, "Salle informatique", "facilitator@example.org",
     ["smartphone"], 6, "Atelier smartphone : premiers pas"),
    (4, time(9), time(12), 30, "Salle informatique", "facilitator@example.org",
     ["demarches", "achats", "smartphone"], 1, None),
]


def first_or_add(model, lookup, **fields):
    """Return the row matching `lookup`, adding it with `fields` when there is none."""
    row = db.session.execute(db.select(model).filter_by(**lookup)).scalars().first()
    if row is None:
        row = model(**lookup, **fields)
        db.session.add(row)
        db.session.flush()
    return row


def demo_topics():
    topics = {}
    for position, data in enumerate(TOPICS, start=1):
        # Lists copied: a row must not share its JSON lists with this module's constants.
        fields = {key: list(value) if isinstance(value, list) else value
                  for key, value in data.items() if key not in ("slug", "procedures")}
        topic = first_or_add(Topic, {"slug": data["slug"]}, position=position, **fields)
        if not topic.mednum_services and not topic.di_thematiques:
            # A demo database from before the national lists (issue 16): give its topics theirs.
            topic.mednum_services = list(data["mednum_services"])
            topic.di_thematiques = list(data["di_thematiques"])
        for rank, name in enumerate(data["procedures"], start=1):
            first_or_add(Procedure, {"topic_id": topic.id, "name": name}, position=rank)
        topics[topic.slug] = topic
    return topics


def demo_rules(topics, locations, today):
    for weekday, start, end, length, place, email, slugs, capacity, title in RULES:
        location = locations[place]
        first_or_add(
            OpeningRule,
            {"weekday": weekday, "start_time": start, "location_id": location.id},
            end_time=end,
            slot_length=length,
            facilitator_id=find_by_email(email).id,
            topics=[topics[slug] for slug in slugs],
            capacity=capacity,
            workshop_title=title,
            valid_from=today,
        )


def demo_booking():
    """Add the demo topics, places, opening hours and public holidays, then generate the slots."""
    today = centre_today()
    topics = demo_topics()
    locations = {
        name: first_or_add(Location, {"name": name}, position=position)
        for position, name in enumerate(LOCATIONS, start=1)
    }
    demo_rules(topics, locations, today)
    for year in (today.year, today.year + 1):
        # Each commits, with the slots the opening hours and closures now offer.
        opening.add_public_holidays(db.session, year)


DEMO_RESIDENTS = [
    ("Fatima", "06 12 45 78 90", None, "Renouvellement de la prime d'activité sur le site de la CAF", "fr"),
    ("Jean-Pierre", "06 23 56 89 01", None, "Déclaration d'impôts en ligne", "fr"),
    ("Aminata", None, "aminata.demo@example.org", "Créer mon compte Ameli", "fr"),
    ("Kofi", "07 81 34 67 90", None, "Pronote for my daughter", "en"),
    ("Nadia", "06 45 78 01 23", None, None, "fr"),
    ("Sergio", None, "sergio.demo@example.org", "Acheter un billet de train", "fr"),
    ("Hélène", "06 56 89 12 34", None, "Premiers pas avec mon smartphone", "fr"),
]


def demo_bookings():
    """Book a few of the coming slots for fictional residents, through the real booking service."""
    if db.session.execute(select(Booking.id).limit(1)).first() is not None:
        return
    rules = booking_rules(db.session)
    window = Window.for_rules(rules, utcnow())
    topics = active_topics(db.session)
    for number, (first_name, phone, email, note, language) in enumerate(DEMO_RESIDENTS):
        topic = topics[number % len(topics)]
        slots = free_slots(db.session, window, topic.id, limit=6)
        if not slots:
            continue
        contact = Contact(first_name=first_name, phone=normalise_phone(phone) if phone else None, email=email,
                          note=note, reminder_consent=number % 2 == 0, language=language)
        reservations.book(db.session, slot=slots[number % len(slots)], topic_id=topic.id,
                          contact=contact, rules=rules)
