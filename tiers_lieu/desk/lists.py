"""The lists a centre starts with: needs noticed and referral targets, in French and English.

The coordinator extends them on the set-up pages; these are the national report's usual entries.
"""
from sqlalchemy import func, select

from .models import Commune, Need, ReferralKind, ReferralTarget

DEFAULT_NEEDS = [
    ("Pas d'adresse e-mail", "No e-mail address"),
    ("Pas d'équipement à la maison", "No device at home"),
    ("Pas de connexion Internet à la maison", "No Internet connection at home"),
    ("Découvrir les bases du smartphone", "Needs the basics of the smartphone"),
    ("Découvrir les bases de l'ordinateur", "Needs the basics of the computer"),
    ("Mots de passe et identifiants", "Passwords and log-ins"),
    ("Créer ou utiliser un compte FranceConnect", "Create or use a FranceConnect account"),
    ("Scanner ou envoyer un document", "Scan or send a document"),
    ("Difficultés de lecture ou d'écriture", "Difficulty reading or writing"),
    ("Difficultés avec le français", "Difficulty with French"),
    ("Sécurité en ligne, arnaques", "Online safety, scams"),
]

DEFAULT_REFERRALS = [
    (ReferralKind.ADMINISTRATION, "Mairie de Valence", "Valence town hall"),
    (ReferralKind.ADMINISTRATION, "Préfecture de la Drôme", "Drôme prefecture"),
    (ReferralKind.OPERATOR, "CAF de la Drôme", "CAF (family benefits)"),
    (ReferralKind.OPERATOR, "CPAM (Assurance Maladie)", "CPAM (health insurance)"),
    (ReferralKind.OPERATOR, "Centre des finances publiques", "Tax office"),
    (ReferralKind.FRANCE_SERVICES, "France Services", "France Services"),
    (ReferralKind.SOCIAL, "CCAS de Valence", "Valence social services (CCAS)"),
    (ReferralKind.EMPLOYMENT, "France Travail", "France Travail"),
    (ReferralKind.EMPLOYMENT, "Mission locale", "Mission locale (youth employment)"),
    (ReferralKind.DIGITAL_MEDIATION, "Autre lieu de médiation numérique", "Another digital-mediation place"),
    (ReferralKind.OTHER, "Autre", "Other"),
]


def ensure_default_lists(session):
    """Fill the needs and referral targets with the usual entries where they are empty; commit."""
    if session.execute(select(func.count(Need.id))).scalar_one() == 0:
        session.add_all(Need(label_fr=fr, label_en=en, position=n) for n, (fr, en) in enumerate(DEFAULT_NEEDS))
    if session.execute(select(func.count(ReferralTarget.id))).scalar_one() == 0:
        session.add_all(ReferralTarget(kind=kind.value, label_fr=fr, label_en=en, position=n)
                        for n, (kind, fr, en) in enumerate(DEFAULT_REFERRALS))
    session.commit()


# The demo centre's communes, Valence and its neighbours: (name, postal code, INSEE code), as the
# official list has them (tests/test_desk_sessions_national.py checks them with core/communes.py).
DEMO_COMMUNES = [
    ("Valence", "26000", "26362"),
    ("Bourg-lès-Valence", "26500", "26058"),
    ("Portes-lès-Valence", "26800", "26252"),
    ("Guilherand-Granges", "07500", "07102"),
    ("Saint-Marcel-lès-Valence", "26320", "26313"),
    ("Chabeuil", "26120", "26064"),
    ("Beaumont-lès-Valence", "26760", "26037"),
    ("Étoile-sur-Rhône", "26800", "26124"),
    ("Montélier", "26120", "26197"),
    ("Alixan", "26300", "26004"),
]


def ensure_demo_communes(session):
    """Fill an empty communes list with the demo's; commit. Not in `ensure_default_lists`: a real
    centre's communes are its own, entered on the set-up page."""
    if session.execute(select(func.count(Commune.id))).scalar_one() == 0:
        session.add_all(Commune(name=name, postal_code=postal_code, insee_code=insee_code, position=n)
                        for n, (name, postal_code, insee_code) in enumerate(DEMO_COMMUNES))
    session.commit()
