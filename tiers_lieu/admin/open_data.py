"""/admin/open-data: what the centre publishes in the national open-data standards, what is left
out and why (with a link to the page that fixes it), and the addresses to give the national teams."""
import re

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from ..core.centre import centre_today
from ..core.links import public_link
from ..extensions import db
from ..opendata import data_inclusion, mednum, vocabulary
from .blueprint import bp

# The MedNum fields as the page names them.
FIELD_LABELS = {
    "id": _l("Identifier"), "pivot": _l("SIRET or RNA number"), "nom": _l("Name"), "commune": _l("Commune"),
    "code_postal": _l("Postal code"), "code_insee": _l("INSEE code of the commune"), "adresse": _l("Address"),
    "latitude": _l("Latitude"), "longitude": _l("Longitude"), "typologie": _l("Typology"),
    "telephone": _l("Phone number"), "courriels": _l("E-mail address"), "site_web": _l("Website"),
    "horaires": _l("Opening hours"), "presentation_resume": _l("Short presentation"),
    "presentation_detail": _l("Long presentation"), "date_maj": _l("Last updated"), "services": _l("Services"),
    "publics_specifiquement_adresses": _l("Publics specifically welcomed"),
    "prise_en_charge_specifique": _l("Specific support offered"), "frais_a_charge": _l("Fees"),
    "dispositif_programmes_nationaux": _l("National programmes"), "modalites_acces": _l("How people reach the centre"),
    "modalites_accompagnement": _l("How people are helped"), "fiche_acces_libre": _l("Accessibility record"),
    "prise_rdv": _l("Online booking"), "description": _l("Description"), "thematiques": _l("Themes (data·inclusion)"),
}
# What the preview shows, in this order, and the list each multi-valued field's labels come from.
PREVIEW = ("pivot", "nom", "adresse", "code_postal", "commune", "code_insee", "latitude", "longitude", "typologie",
           "telephone", "courriels", "site_web", "horaires", "presentation_resume", "services",
           "publics_specifiquement_adresses", "prise_en_charge_specifique", "frais_a_charge",
           "dispositif_programmes_nationaux", "modalites_acces", "modalites_accompagnement", "fiche_acces_libre",
           "prise_rdv", "date_maj")


def fix_link(gap):
    """Where to fix a gap: the topic's page or the centre's, at the field when it is known."""
    if gap.topic_id is not None:
        base = url_for("admin.edit_topic", topic_id=gap.topic_id)
    else:
        base = url_for("admin.centre")
    return f"{base}#{gap.form_field}" if gap.form_field else base


TIME_RANGE = re.compile(r"\d\d:\d\d-\d\d:\d\d")


def breakable(text):
    """Long codes and addresses as HTML a narrow screen may wrap where a reader expects it: after
    "/", "_", "," and ";", and between a number and a word ("26-valence"), never inside a time
    range such as 14:00-17:00 or a date."""
    ranges, pieces = TIME_RANGE.findall(text), []
    for index, part in enumerate(TIME_RANGE.split(text)):
        if index:
            pieces.append(Markup('<span class="nowrap">{}</span>').format(ranges[index - 1]))
        pieces.append(Markup("<wbr>").join(escape(piece) for piece in re.split(r"(?<=[/_,;])(?!/)|(?<=\d-)(?=[^\W\d_])", part)))
    return Markup("").join(pieces)


def shown(name, value):
    """A published value for people: list values by their labels, the rest as published."""
    if isinstance(value, list):
        if name in vocabulary.LISTS:
            return [vocabulary.label(name, item) for item in value]
        return [breakable(item) for item in value]
    return breakable(value) if value else value


@bp.route("/open-data")
def open_data():
    result = mednum.publication(db.session, centre_today())
    gaps = [(gap, FIELD_LABELS.get(gap.field, gap.field), None, fix_link(gap)) for gap in result.gaps]
    topic_gaps = [(gap, FIELD_LABELS.get(gap.field, gap.field), data_inclusion.topic_name(result, gap.topic_id),
                   fix_link(gap)) for gap in data_inclusion.services_report(db.session, result.today, result)]
    preview = [(name, FIELD_LABELS[name], shown(name, result.values.get(name))) for name in PREVIEW]
    services = [(item, [vocabulary.label("thematiques", theme) for theme in item["thematiques"] or ()])
                for item in data_inclusion.services(db.session, result.today, result)]
    addresses = {
        "mednum_csv": public_link("opendata.lieux_csv"),
        "mednum_json": public_link("opendata.lieux_json"),
        "structures": public_link("opendata.structures"),
        "services": public_link("opendata.services"),
    }
    return render_template("admin/open_data.html", result=result, gaps=gaps, topic_gaps=topic_gaps,
                           preview=preview, services=services, addresses=addresses,
                           structure=data_inclusion.structure(result), file_name=breakable(mednum.file_name(result)),
                           licence=mednum.LICENCE, licence_url=mednum.LICENCE_URL, schema_url=mednum.SCHEMA_URL)
