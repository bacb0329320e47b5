"""The centre and its topics in the data·inclusion schema v1: one structure (the centre) and one
service per active topic. data·inclusion pulls these files from the address the centre gives it.

Built from the same `Publication` as the MedNum row, so that both files leave out the same
invalid fields. Choices:
- ids: the structure is "<producer>--centre" (as MedNum's `id`), each service
  "<producer>--topic-<topic id>": a topic's short name can be edited, its id cannot.
- `publics` is ["tous-publics"]: anyone may book. The publics the centre specifically welcomes
  (MedNum's `publics_specifiquement_adresses`) go in `publics_precisions`, because in
  data·inclusion listing them would restrict the service to them.
- `frais` is one value: "payant" when the centre charges, otherwise "gratuit"; "Gratuit sous
  condition" goes in `frais_precisions`.
- A topic without a French description is left out (`description` is required): the report says so.
- A service's `horaires_accueil` are the hours of the opening rules that offer its topic (a rule
  naming no topic offers them all), with the centre's closures and public holidays: a topic
  offered on Wednesdays only reads "We …".
"""
from datetime import timedelta
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..booking.models import Closure, OpeningRule
from ..booking.osm_hours import HORIZON_DAYS, ClosedDays, HoursRule, osm_opening_hours
from ..booking.slotgen import french_public_holidays
from ..core.links import public_link
from . import vocabulary
from .mednum import Gap, place_id, producer_id, publication

# MedNum's national programmes and typologies that name a data·inclusion "réseau porteur".
NETWORKS = {
    "Conseillers numériques": "conseillers-numeriques",
    "France Services": "france-service",
    "Emmaüs Connect": "emmaus",
    "Relais numérique (Emmaüs Connect)": "emmaus",
    "La Croix Rouge": "croix-rouge",
    "Grande école du numérique": "grandes-ecoles-du-numerique",
}
TYPOLOGY_NETWORKS = {"EPN": "espaces-publics-numeriques", "MJC": "mjc", "CCAS": "ccas-cias", "CIAS": "ccas-cias",
                     "FT": "france-travail", "ML": "mission-locale", "LA_POSTE": "la-poste"}
# The lengths data·inclusion accepts for a name and a description.
NAME_MIN, NAME_MAX, DESCRIPTION_MIN = 3, 150, 5

NO_DESCRIPTION = _l("This topic has no description in French: data·inclusion needs one, the topic is left "
                    "out of services.json.")
NAME_LENGTH = _l("This name must be between 3 and 150 characters long.")
NO_THEMES = _l("This topic has no data·inclusion theme: choose at least one on the topic's page.")
NO_SERVICE = _l("This topic has no national cartography service: choose at least one on the topic's page.")


def _optional(value):
    return value if value else None


def structure(result):
    """The centre as a data·inclusion structure (a dict of JSON values), or None when its name
    cannot be published."""
    values, centre = result.values, result.centre
    name = (centre.name or "").strip()
    if not result.has_row or not NAME_MIN <= len(name) <= NAME_MAX:
        return None
    description = values.get("presentation_detail") or values.get("presentation_resume") or ""
    pivot = values.get("pivot") or ""
    networks = {NETWORKS[value] for value in values.get("dispositif_programmes_nationaux") or () if value in NETWORKS}
    networks |= {TYPOLOGY_NETWORKS[value] for value in values.get("typologie") or () if value in TYPOLOGY_NETWORKS}
    return {
        "source": producer_id(),
        "id": place_id(),
        "nom": name,
        "date_maj": result.date_maj.isoformat(),
        "description": description if len(description) >= DESCRIPTION_MIN else None,
        "lien_source": public_link("booking.home"),
        # data·inclusion takes a SIRET only (an RNA number has no place there).
        "siret": pivot if pivot.isdigit() and len(pivot) == 14 else None,
        "commune": _optional(values.get("commune")),
        "code_postal": _optional(values.get("code_postal")),
        "code_insee": _optional(values.get("code_insee")),
        "adresse": _optional(values.get("adresse")),
        "complement_adresse": None,
        "longitude": float(values["longitude"]) if values.get("longitude") else None,
        "latitude": float(values["latitude"]) if values.get("latitude") else None,
        "telephone": _optional(values.get("telephone")),
        "courriel": (values.get("courriels") or [None])[0],
        "site_web": (values.get("site_web") or [None])[0],
        "horaires_accueil": _optional(values.get("horaires")),
        "accessibilite_lieu": _optional(values.get("fiche_acces_libre")),
        "reseaux_porteurs": sorted(networks) or None,
    }


def topic_hours(session, today):
    """{topic id: OSM opening hours of the rules that offer it}, for the topics some rule offers."""
    rules = session.execute(select(OpeningRule).options(selectinload(OpeningRule.topics)).where(
        OpeningRule.active.is_(True),
        or_(OpeningRule.valid_until.is_(None), OpeningRule.valid_until >= today))).scalars().all()
    closures = [ClosedDays(closure.start_date, closure.end_date, closure.reason, closure.location_id,
                           closure.facilitator_id)
                for closure in session.execute(select(Closure).where(
                    Closure.end_date >= today, Closure.location_id.is_(None),
                    Closure.facilitator_id.is_(None))).scalars()]
    last_day = today + timedelta(days=HORIZON_DAYS)
    holidays = [holiday for year in range(today.year, last_day.year + 1) for holiday in french_public_holidays(year)]
    topic_ids = {topic.id for rule in rules for topic in rule.topics}
    hours = {}
    for topic_id in topic_ids:
        offering = [HoursRule(rule.weekday, rule.start_time, rule.end_time, rule.valid_from, rule.valid_until,
                              rule.capacity, rule.active)
                    for rule in rules if not rule.topics or any(topic.id == topic_id for topic in rule.topics)]
        hours[topic_id] = osm_opening_hours(offering, closures, holidays, today)
    return hours


def service(result, topic, hours=None):
    """One active topic as a data·inclusion service, or None when it cannot be published."""
    values = result.values
    name, description = (topic.name_fr or "").strip(), (topic.description_fr or "").strip()
    if not NAME_MIN <= len(name) <= NAME_MAX or len(description) < DESCRIPTION_MIN:
        return None
    fees = values.get("frais_a_charge") or []
    precisions = []
    if "Gratuit sous condition" in fees:
        precisions.append("Gratuit sous condition")
    publics = values.get("publics_specifiquement_adresses") or []
    modes_mobilisation = ["utiliser-lien-mobilisation"]
    access = values.get("modalites_acces") or []
    if "Téléphoner" in access:
        modes_mobilisation.append("telephoner")
    if "Se présenter" in access:
        modes_mobilisation.append("se-presenter")
    if "Contacter par mail" in access:
        modes_mobilisation.append("envoyer-un-courriel")
    modes_accueil = ["en-presentiel"]
    if "À distance" in (values.get("modalites_accompagnement") or []):
        modes_accueil.append("a-distance")
    page = public_link("booking.topic", slug=topic.slug)
    return {
        "source": producer_id(),
        "structure_id": place_id(),
        "id": f"{producer_id()}--topic-{topic.id}",
        "nom": name,
        "description": description,
        "lien_source": page,
        # The latest change of the centre, its topics and hours: what the service says comes from all three.
        "date_maj": result.date_maj.isoformat(),
        "type": "accompagnement",
        "thematiques": vocabulary.in_order("thematiques", topic.di_thematiques) or None,
        "frais": "payant" if "Payant" in fees else ("gratuit" if fees else None),
        "frais_precisions": "; ".join(precisions) or None,
        "publics": [vocabulary.ALL_PUBLICS],
        "publics_precisions": ("Publics spécifiquement accueillis : " + ", ".join(publics)) if publics else None,
        "commune": _optional(values.get("commune")),
        "code_postal": _optional(values.get("code_postal")),
        "code_insee": _optional(values.get("code_insee")),
        "adresse": _optional(values.get("adresse")),
        "longitude": float(values["longitude"]) if values.get("longitude") else None,
        "latitude": float(values["latitude"]) if values.get("latitude") else None,
        "telephone": _optional(values.get("telephone")),
        "courriel": (values.get("courriels") or [None])[0],
        "modes_accueil": modes_accueil,
        "lien_mobilisation": page,
        "modes_mobilisation": modes_mobilisation,
        "mobilisable_par": ["usagers"],
        "horaires_accueil": (hours or {}).get(topic.id) or _optional(values.get("horaires")),
    }


def structures(session, today, result=None):
    """structures.json: a list holding the centre, or an empty list when it cannot be published."""
    result = result or publication(session, today)
    found = structure(result)
    return [found] if found is not None else []


def services(session, today, result=None):
    """services.json: one service per active topic that can be published; none without the centre."""
    result = result or publication(session, today)
    if structure(result) is None:
        return []
    hours = topic_hours(session, result.today)
    return [found for found in (service(result, topic, hours) for topic in result.topics) if found is not None]


def services_report(session, today, result=None) -> list[Gap]:
    """What services.json leaves out or lacks, topic by topic."""
    result = result or publication(session, today)
    gaps = []
    for topic in result.topics:
        name = (topic.name_fr or "").strip()
        if not NAME_MIN <= len(name) <= NAME_MAX:
            gaps.append(Gap("nom", NAME_LENGTH, True, topic.id, "name_fr"))
        if len((topic.description_fr or "").strip()) < DESCRIPTION_MIN:
            gaps.append(Gap("description", NO_DESCRIPTION, True, topic.id, "description_fr"))
        if not vocabulary.only_valid("services", topic.mednum_services):
            gaps.append(Gap("services", NO_SERVICE, False, topic.id, "mednum_services"))
        if not vocabulary.only_valid("thematiques", topic.di_thematiques):
            gaps.append(Gap("thematiques", NO_THEMES, False, topic.id, "di_thematiques"))
    return gaps


def topic_name(result, topic_id) -> Optional[str]:
    return next((topic.name_fr for topic in result.topics if topic.id == topic_id), None)
