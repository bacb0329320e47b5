"""The centre as one row of La MedNum's "lieux de médiation numérique" file (schema v1.0.2), which
the national cartography of digital-inclusion places reads.

The rule: the published file is never invalid. A field whose stored value the schema would refuse
(a SIRET whose key is wrong, a point outside France, a 300-character summary…) is left empty,
and `publication_report` says which and why, for the coordinators' page. When a field the schema
requires cannot be filled, the file has its header and no row: a valid file that publishes
nothing, rather than a row the cartography would reject whole.

Choices:
- `id` is "<producer id>--centre". The producer id (OPENDATA_PRODUCER, by default the public
  address's host name) names this installation; the centre is its only place. It stays the same
  when the centre's name, SIRET or address change, which is what `id` is for (following a place
  from one file to the next). data·inclusion's structure carries the same id.
- `date_maj` is the day of the latest change to what the row says: the centre's identity, a
  topic (its services), an opening rule or a closure (the hours). Opening rules and closures have
  no modification time of their own: the audit log records each change with its time.
- `horaires` is rebuilt from `today` (osm_hours), so the file changes at midnight even without
  an edit: the HTTP Last-Modified is the later of `date_maj`'s change and the start of the day.
"""
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import NamedTuple, Optional
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..audit import AuditEvent
from ..booking.contact import normalise_phone
from ..booking.models import OpeningRule, Topic
from ..booking.osm_hours import centre_opening_hours
from ..core import identity
from ..core.centre import CentreDetails, Centre, centre_timezone, details_of
from ..core.links import public_link, public_url
from . import vocabulary

# The schema's fields, in its order (schema.json of LaMednum/standard-mediation-num v1.0.2).
FIELDS = (
    "id", "pivot", "nom", "commune", "code_postal", "code_insee", "adresse", "complement_adresse",
    "latitude", "longitude", "typologie", "telephone", "courriels", "site_web", "horaires",
    "presentation_resume", "presentation_detail", "source", "itinerance", "structure_parente",
    "date_maj", "services", "publics_specifiquement_adresses", "prise_en_charge_specifique",
    "frais_a_charge", "dispositif_programmes_nationaux", "formations_labels", "autres_formations_labels",
    "modalites_acces", "modalites_accompagnement", "fiche_acces_libre", "prise_rdv",
)
REQUIRED = ("id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj")
# Fields holding several values, joined by "|".
MULTIPLE = frozenset({
    "typologie", "courriels", "site_web", "itinerance", "services", "publics_specifiquement_adresses",
    "prise_en_charge_specifique", "frais_a_charge", "dispositif_programmes_nationaux", "formations_labels",
    "modalites_acces", "modalites_accompagnement",
})
SEPARATOR = "|"
PIVOT = re.compile(r"[a-zA-Z0-9]{9,14}")
PHONE = re.compile(r"(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)\d{6,9}")
# A plain check that an address is an e-mail address: no separator, no space, one @.
EMAIL = re.compile(r"[^@\s|,]+@[^@\s|,]+\.[^@\s|,]+")
URL = re.compile(r"https?://[^\s|]+")
ACCESLIBRE = re.compile(r"https://acceslibre\.beta\.gouv\.fr/[^\s|]*")
LICENCE = "Licence Ouverte / Open Licence 2.0 (etalab-2.0)"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
SCHEMA_URL = "https://schema.data.gouv.fr/LaMednum/standard-mediation-num/1.0.2/"

# Which audit actions change the opening hours the file publishes.
HOURS_ACTIONS = ("settings.opening_rule_add", "settings.opening_rule_edit", "settings.opening_rule_activate",
                 "settings.opening_rule_deactivate", "settings.closure_add", "settings.closure_delete")

# The centre's fields as the admin form names them, for the report's links.
CENTRE_FIELD = {
    "pivot": "siret_or_rna", "nom": "name", "commune": "commune", "code_postal": "postal_code",
    "code_insee": "insee_code", "adresse": "address", "latitude": "latitude", "longitude": "longitude",
    "typologie": "typology", "telephone": "phone", "courriels": "email", "site_web": "website",
    "presentation_resume": "summary", "presentation_detail": "presentation",
    "publics_specifiquement_adresses": "publics", "prise_en_charge_specifique": "specific_support",
    "frais_a_charge": "fees", "dispositif_programmes_nationaux": "national_programmes",
    "modalites_acces": "access_modes", "modalites_accompagnement": "support_modes",
    "fiche_acces_libre": "acceslibre_url",
}

MISSING = _l("Not given.")
NO_CENTRE = _l("The centre's details have never been saved: fill in and save the centre's page.")
PHONE_MESSAGE = _l("This phone number cannot be written in the international form the file needs "
                   "(+33…).")
EMAIL_MESSAGE = _l("This e-mail address does not look right.")
NO_SERVICES = _l("No active topic says which national service it is: choose one on each topic's page.")
NO_HOURS = _l("The centre has no opening hours: the file says it is closed.")


class Gap(NamedTuple):
    """A field the published file leaves empty, and why: `problem` is a lazy translated message.
    `topic_id` names the topic to fix, when it is a topic's; otherwise it is the centre's page."""

    field: str
    problem: object
    required: bool = False
    topic_id: Optional[int] = None
    form_field: str = ""


@dataclass
class Publication:
    """Everything the open-data files say, worked out once per request."""

    centre: CentreDetails
    has_row: bool
    topics: list
    today: date
    date_maj: date
    last_change: datetime  # aware UTC: the latest change of the data
    horaires: str
    values: dict = field(default_factory=dict)  # MedNum field -> list of values, or a str, "" = left out
    gaps: list = field(default_factory=list)

    @property
    def complete(self):
        """Whether every field the schema requires could be filled: the row is published."""
        return not any(gap.required for gap in self.gaps)

    @property
    def last_modified(self):
        """The HTTP Last-Modified: the last change, or today's start when later (see above)."""
        start_of_day = datetime.combine(self.today, time(), tzinfo=centre_timezone()).astimezone(timezone.utc)
        return max(self.last_change, start_of_day)


def producer_id():
    """Who publishes: OPENDATA_PRODUCER, or the public address's host name ("mpt-valence-fr")."""
    configured = current_app.config.get("OPENDATA_PRODUCER")
    name = configured or urlsplit(public_url()).hostname or "tiers-lieu"
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "tiers-lieu"


def place_id():
    return f"{producer_id()}--centre"


def territory(centre):
    """The file name's territory: the commune, in lowercase ASCII ("valence")."""
    ascii_name = unicodedata.normalize("NFKD", centre.commune or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "france"


def international_phone(phone):
    """"04 75 00 00 00" -> "+33475000000", or None when the schema's pattern refuses it."""
    number = normalise_phone(phone or "")
    return number if number and PHONE.fullmatch(number) else None


def email_is_valid(email):
    """What both standards take: one address (our pattern) that data·inclusion's validator
    (email-validator, RFC 5322, without asking the domain) accepts as it is."""
    if not EMAIL.fullmatch(email):
        return False
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def centre_row_and_details(session):
    row = session.execute(select(Centre).order_by(Centre.id).limit(1)).scalar()
    return row, (details_of(row) if row is not None else None)


def last_change(session, centre_row, topics):
    """The latest change, among the centre, the topics and the hours' audit records (aware UTC)."""
    times = [centre_row.updated_at] if centre_row is not None and centre_row.updated_at else []
    times += [topic.updated_at for topic in topics if topic.updated_at]
    hours = session.execute(select(func.max(AuditEvent.at)).where(AuditEvent.action.in_(HOURS_ACTIONS))).scalar()
    if hours is not None:
        times.append(hours)
    times = [moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc) for moment in times]
    return max(times) if times else datetime(2000, 1, 1, tzinfo=timezone.utc)


def publication(session, today):
    """Work out what the files publish and what they leave out."""
    centre_row, details = centre_row_and_details(session)
    topics = list(session.execute(select(Topic).order_by(Topic.position, Topic.id)).scalars())
    changed = last_change(session, centre_row, topics)
    # The day of the change at the centre; never after `today`, nor after the UTC date: the
    # standards refuse a day in the future, and a reader's clock may be on UTC (Paris is a day
    # ahead of it between 22:00 or 23:00 and midnight UTC).
    date_maj = min(changed.astimezone(centre_timezone()).date(), today, datetime.now(timezone.utc).date())
    if details is None:
        details = CentreDetails(current_app.config["CENTRE_NAME"], "", "", "")
    result = Publication(details, centre_row is not None, [topic for topic in topics if topic.active], today,
                         date_maj, changed, centre_opening_hours(session, today))
    _fill(result, session)
    return result


def _fill(result, session):
    centre, values, gaps = result.centre, result.values, result.gaps
    problems = {problem.field: problem.message for problem in identity.identity_problems(centre)}

    def give(name, value, problem_field=None):
        """Publish `value` unless the centre's field has a problem; say why when it is empty."""
        problem = problems.get(problem_field or CENTRE_FIELD.get(name, ""))
        if problem is not None:
            values[name] = ""
            gaps.append(Gap(name, problem, name in REQUIRED, form_field=problem_field or CENTRE_FIELD.get(name, "")))
        elif not value:
            values[name] = ""
            gaps.append(Gap(name, MISSING, name in REQUIRED, form_field=CENTRE_FIELD.get(name, "")))
        else:
            values[name] = value

    if not result.has_row:
        gaps.append(Gap("id", NO_CENTRE, True))
    values["id"] = place_id()
    pivot = identity.compact(centre.siret_or_rna)
    give("pivot", pivot if PIVOT.fullmatch(pivot) else "")
    give("nom", (centre.name or "").strip())
    # The commune check reports its problem on one field; the three go together or not at all.
    commune_problem = next((problems[name] for name in ("postal_code", "commune", "insee_code") if name in problems),
                           None)
    check = identity.check_commune(centre.postal_code, centre.commune, centre.insee_code)
    for name, value in (("commune", check.commune.name if check.commune else ""),
                        ("code_postal", (centre.postal_code or "").strip() if check.commune else ""),
                        ("code_insee", check.commune.insee_code if check.commune else "")):
        if commune_problem is not None:
            values[name] = ""
            gaps.append(Gap(name, commune_problem, name in REQUIRED, form_field=CENTRE_FIELD[name]))
        else:
            give(name, value)
    give("adresse", (centre.address or "").strip())
    values["complement_adresse"] = ""
    coordinates_ok = "latitude" not in problems and centre.latitude is not None and centre.longitude is not None
    give("latitude", f"{centre.latitude:.6f}".rstrip("0").rstrip(".") if coordinates_ok else "", "latitude")
    give("longitude", f"{centre.longitude:.6f}".rstrip("0").rstrip(".") if coordinates_ok else "", "latitude")
    give("typologie", vocabulary.in_order("typologie", centre.typology))
    phone = international_phone(centre.phone)
    if centre.phone and phone is None:
        problems["phone"] = PHONE_MESSAGE
    give("telephone", phone or "")
    email = (centre.email or "").strip()
    if email and not email_is_valid(email):
        problems["email"] = EMAIL_MESSAGE
    give("courriels", [email] if email else [])
    # Our schema's patterns: one address per value, no space nor "|" (the list separator).
    if centre.website and not URL.fullmatch(centre.website):
        problems.setdefault("website", identity.HTTPS_MESSAGE)
    give("site_web", [centre.website] if centre.website else [])
    values["horaires"] = result.horaires
    if result.horaires == "off":
        gaps.append(Gap("horaires", NO_HOURS))
    give("presentation_resume", (centre.summary or "").strip())
    give("presentation_detail", (centre.presentation or "").strip())
    values["source"] = values["nom"]  # as published: empty when the name cannot be
    values["itinerance"] = ["Fixe"]
    values["structure_parente"] = ""
    values["date_maj"] = result.date_maj.isoformat()
    services = {service for topic in result.topics for service in topic.mednum_services or ()}
    values["services"] = vocabulary.in_order("services", services)
    if not values["services"]:
        gaps.append(Gap("services", NO_SERVICES))
    for name, stored in (("publics_specifiquement_adresses", centre.publics),
                         ("prise_en_charge_specifique", centre.specific_support),
                         ("frais_a_charge", centre.fees),
                         ("dispositif_programmes_nationaux", centre.national_programmes)):
        give(name, vocabulary.in_order(name, stored))
    values["formations_labels"] = []
    values["autres_formations_labels"] = ""
    values["modalites_acces"] = access_modes(centre, phone, email)
    values["modalites_accompagnement"] = support_modes(session, centre, result.today)
    if centre.acceslibre_url and not ACCESLIBRE.fullmatch(centre.acceslibre_url):
        problems.setdefault("acceslibre_url", identity.ACCESLIBRE_MESSAGE)
    give("fiche_acces_libre", centre.acceslibre_url)
    values["prise_rdv"] = public_link("booking.home")


def access_modes(centre, phone, email):
    """How people reach the centre: what coordinators ticked, plus what the app itself offers
    (online booking always; a phone number or an e-mail address when the file publishes one)."""
    chosen = set(vocabulary.only_valid("modalites_acces", centre.access_modes))
    chosen.add(vocabulary.ONLINE_BOOKING)
    if phone:
        chosen.add("Téléphoner")
    if email:
        chosen.add("Contacter par mail")
    # A place that receives people by appointment receives the public.
    chosen.discard("Ce lieu n'accueille pas de public")
    return [value for value in vocabulary.values("modalites_acces") if value in chosen]


def support_modes(session, centre, today):
    """How people are helped: what coordinators ticked, plus one-to-one help and workshops when
    opening rules in force offer them."""
    chosen = set(vocabulary.only_valid("modalites_accompagnement", centre.support_modes))
    capacities = session.execute(select(OpeningRule.capacity).where(
        OpeningRule.active.is_(True), (OpeningRule.valid_until.is_(None)) | (OpeningRule.valid_until >= today)
    ).distinct()).scalars().all()
    if any(capacity == 1 for capacity in capacities):
        chosen.add("Accompagnement individuel")
    if any(capacity > 1 for capacity in capacities):
        chosen.add("Dans un atelier collectif")
    return [value for value in vocabulary.values("modalites_accompagnement") if value in chosen]


def as_text(value):
    return SEPARATOR.join(value) if isinstance(value, (list, tuple)) else (value or "")


def lieu_row(session, today, result=None):
    """The centre's row, field -> text as the CSV writes it, in the schema's order."""
    result = result or publication(session, today)
    return {name: as_text(result.values.get(name, "")) for name in FIELDS}


def rows(result):
    """The file's rows: the centre's, or none when a required field is missing."""
    if not result.complete:
        return []
    return [{name: as_text(result.values.get(name, "")) for name in FIELDS}]


def lieux_csv(session, today, result=None):
    """The CSV file: a header of the schema's field names, "," between fields, UTF-8."""
    result = result or publication(session, today)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows(result))
    return out.getvalue()


def lieux_json(session, today, result=None):
    """The same rows as JSON objects: multi-valued fields as lists, coordinates as numbers, empty
    fields left out (the cartography's own JSON form of the standard)."""
    result = result or publication(session, today)
    objects = []
    for row in rows(result):
        item = {}
        for name in FIELDS:
            value = result.values.get(name, "")
            if not value:
                continue
            if name in ("latitude", "longitude"):
                value = float(value)
            elif name in MULTIPLE and not isinstance(value, list):
                value = [value]
            item[name] = value
        objects.append(item)
    return objects


def file_name(result):
    """`YYYY-MM-DD_<producer>_lieux-de-mediation-numerique_<territory>.csv`, as the standard names files."""
    return f"{result.today.isoformat()}_{producer_id()}_lieux-de-mediation-numerique_{territory(result.centre)}.csv"


def publication_report(session, today, result=None):
    """What the files leave out and why: a list of `Gap` (field, problem, …) for the coordinators."""
    result = result or publication(session, today)
    return list(result.gaps)
