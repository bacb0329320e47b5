"""The centre's public identity (issue 16, part 1): its migration, validators, and the form."""
import re

import pytest
from flask_babel import force_locale
from flask_migrate import downgrade, upgrade
from sqlalchemy import JSON, column, inspect, select, table, text

from config import TestConfig
from tiers_lieu import create_app
from tiers_lieu.accounts.models import Role
from tiers_lieu.audit import AuditEvent
from tiers_lieu.admin.locator import locator
from tiers_lieu.booking.models import Topic
from tiers_lieu.core.centre import Centre, CentreDetails, current_centre
from tiers_lieu.core import identity
from tiers_lieu.database import UTCDateTime
from tiers_lieu.core.identity import (CommuneProblem, acceslibre_url_is_valid, check_commune, compact,
                                     identity_problems, in_france, is_https_url, luhn_is_valid, rna_is_valid,
                                     siret_is_valid, siret_or_rna_is_valid)
from tiers_lieu.extensions import db

from .conftest import submit
from .test_migrations import schema_differences


# --- migration -------------------------------------------------------------------------------

def test_identity_migration_keeps_existing_rows_valid_and_goes_down_again(blank_database_url):
    config = type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": blank_database_url})
    app = create_app(config)
    with app.app_context():
        upgrade(revision="0013_account_recovery")
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO centre (name, address, phone, email) "
                                    "VALUES ('Centre social', '1 rue', '', '')"))
            connection.execute(text(
                "INSERT INTO topic (slug, name_fr, name_en, description_fr, description_en, pictogram,"
                " colour, default_duration, what_to_bring_fr, what_to_bring_en, active, position)"
                " VALUES ('caf', 'CAF', '', '', '', '', '#1d4e89', 30, '', '', true, 0)"))
        upgrade(revision="0014_centre_identity")
        # Read through typed columns, not the models: later migrations add columns of their own.
        lists = [column(name, JSON) for name in ("typology", "fees", "publics", "support_modes")]
        centre_table = table("centre", column("siret_or_rna"), column("postal_code"), column("summary"),
                             column("latitude"), column("updated_at", UTCDateTime), *lists)
        topic_table = table("topic", column("mednum_services", JSON), column("di_thematiques", JSON),
                            column("updated_at", UTCDateTime))
        with db.engine.connect() as connection:
            centre = connection.execute(select(centre_table)).one()
            topic = connection.execute(select(topic_table)).one()
        assert centre.siret_or_rna == centre.postal_code == centre.summary == ""
        assert centre.latitude is None and centre.updated_at.tzinfo is not None
        assert centre.typology == ["CS"] and centre.fees == centre.publics == centre.support_modes == []
        assert topic.mednum_services == topic.di_thematiques == [] and topic.updated_at is not None

        downgrade(revision="0013_account_recovery")
        columns = {column["name"] for column in inspect(db.engine).get_columns("centre")}
        assert "siret_or_rna" not in columns and "name" in columns
        columns = {column["name"] for column in inspect(db.engine).get_columns("topic")}
        assert "mednum_services" not in columns
        upgrade()
        assert schema_differences() == []
        db.engine.dispose()


# --- validators ------------------------------------------------------------------------------

@pytest.mark.parametrize("siret", [
    "73282932000074",        # SIRETs as companies print them (their Luhn keys are right)
    "732 829 320 00074",     # the same, spaced as on letters
    "44306184100047",
    "12002701600563",
    "35600000000048",        # La Poste's head office: passes Luhn too
    "35600000049837",        # La Poste's SIREN: digits add up to 45, a multiple of 5, no Luhn key
    "12345678200010",        # the demo's made-up one
])
def test_sirets_with_a_right_check_key_are_accepted(siret):
    assert siret_is_valid(siret) and siret_or_rna_is_valid(siret) and not rna_is_valid(siret)


@pytest.mark.parametrize("siret", [
    "73282932000075",        # last digit changed
    "73282932000047",        # two digits swapped
    "7328293200007",         # 13 digits
    "732829320000744",       # 15 digits
    "7328293200007A",
    "35600000012344",        # La Poste's SIREN, digits adding up to 28 and no Luhn key either
    "",
])
def test_sirets_with_a_wrong_key_or_length_are_refused(siret):
    assert not siret_is_valid(siret)


def test_la_poste_offices_follow_their_own_rule():
    assert not luhn_is_valid("35600000049837") and siret_is_valid("35600000049837")
    assert not siret_is_valid("35600000049838")
    # The rule is only La Poste's: another SIREN with digits adding up to 45 must pass Luhn.
    assert not siret_is_valid("35600100049827")


@pytest.mark.parametrize("rna, valid", [
    ("W262001234", True), ("w26 200 1234", True), ("W2A1001234", True), ("W9R2001234", True),
    ("W26200123", False), ("W2620012345", False), ("X262001234", False), ("262001234", False),
    ("WA62001234", False), ("", False),
])
def test_rna_numbers_are_w_and_nine_characters(rna, valid):
    assert rna_is_valid(rna) is valid
    if valid:  # and they fit MedNum's `pivot` pattern once compacted
        assert re.fullmatch(r"[a-zA-Z0-9]{9,14}", compact(rna))


@pytest.mark.parametrize("latitude, longitude", [
    (44.9263, 4.9121),    # Valence
    (48.3904, -4.4861),   # Brest
    (51.0344, 2.3768),    # Dunkerque
    (41.9192, 8.7386),    # Ajaccio
    (43.7009, 7.2683),    # Nice
    (16.2411, -61.5331),  # Pointe-à-Pitre
    (14.6161, -61.0588),  # Fort-de-France
    (4.9372, -52.326),    # Cayenne
    (-20.8821, 55.4507),  # Saint-Denis (La Réunion)
    (-12.7806, 45.2279),  # Mamoudzou
    (46.7811, -56.1764),  # Saint-Pierre
    (-22.2758, 166.458),  # Nouméa
    (-17.5516, -149.5585),  # Papeete
    (-13.2825, -176.1745),  # Mata-Utu
])
def test_points_in_france_and_overseas_are_in_france(latitude, longitude):
    assert in_france(latitude, longitude)


@pytest.mark.parametrize("latitude, longitude", [
    (4.9121, 44.9263),    # Valence with latitude and longitude swapped: Somalia
    (-44.9263, 4.9121),   # a sign lost: the southern ocean
    (44.9263, -8.9121),   # the Atlantic (the boxes are coarse: -4.9 would pass, in the Bay of Biscay)
    (40.4168, -3.7038),   # Madrid
    (51.5072, -0.1276),   # London
    (0.0, 0.0),
    (float("nan"), 4.9), (None, 4.9), (44.9, None),
])
def test_points_outside_france_are_refused(latitude, longitude):
    assert not in_france(latitude, longitude)


@pytest.mark.parametrize("url, https, acceslibre", [
    ("https://acceslibre.beta.gouv.fr/app/26-valence/a/centre-social/erp/mpt/", True, True),
    ("http://acceslibre.beta.gouv.fr/app/x/", False, False),
    ("https://acceslibre.beta.gouv.fr.example.org/app/x/", True, False),
    ("https://example.org/", True, False),
    ("acceslibre.beta.gouv.fr/app/x", False, False),
    ("https://", False, False),
    ("javascript:alert(1)", False, False),
    ("https://exa mple.org/", False, False),
])
def test_links_must_be_https_and_acceslibre_records_on_acceslibre(url, https, acceslibre):
    assert is_https_url(url) is https
    assert acceslibre_url_is_valid(url) is acceslibre


@pytest.mark.parametrize("postal_code, commune, insee, problem, field, found", [
    ("26000", "Valence", "", None, "", "26362"),
    ("26000", "VALENCE", "", None, "", "26362"),
    ("26500", "Bourg-les-Valence", "", None, "", "26058"),
    ("26320", "St Marcel les Valence", "", None, "", "26313"),
    ("26000", "Valence", "26362", None, "", "26362"),
    ("26000", "", "26362", None, "", "26362"),  # the code alone names the commune
    ("", "", "", None, "", None),               # nothing given: only incomplete
    ("26500", "Valence", "", CommuneProblem.WRONG_POSTAL_CODE, "postal_code", None),
    ("26000", "Valense", "", CommuneProblem.UNKNOWN_COMMUNE, "commune", None),
    ("99999", "Valence", "", CommuneProblem.UNKNOWN_POSTAL_CODE, "postal_code", None),
    ("2600", "Valence", "", CommuneProblem.UNKNOWN_POSTAL_CODE, "postal_code", None),
    ("", "Valence", "", CommuneProblem.INCOMPLETE, "postal_code", None),
    ("26000", "", "", CommuneProblem.INCOMPLETE, "commune", None),
    ("26000", "Valence", "26058", CommuneProblem.INSEE_MISMATCH, "insee_code", None),
    ("26000", "Valence", "99999", CommuneProblem.UNKNOWN_INSEE_CODE, "insee_code", None),
])
def test_the_commune_is_checked_against_the_official_list(postal_code, commune, insee, problem, field, found):
    check = check_commune(postal_code, commune, insee)
    assert (check.problem, check.field) == (problem, field)
    assert (check.commune.insee_code if check.commune else None) == found


def test_identity_problems_name_each_field_that_cannot_be_published(app):
    details = CentreDetails("MPT", "1 rue", "", "", siret_or_rna="73282932000075", postal_code="26500",
                            commune="Valence", latitude=4.9, longitude=44.9, summary="x" * 281,
                            website="http://example.org", acceslibre_url="https://example.org/")
    assert [problem.field for problem in identity_problems(details)] == [
        "siret_or_rna", "postal_code", "latitude", "summary", "website", "acceslibre_url"]
    good = CentreDetails("MPT", "1 rue", "", "", siret_or_rna="W262001234", postal_code="26000",
                         commune="Valence", insee_code="26362", latitude=44.93, longitude=4.89,
                         summary="x" * 280)
    assert identity_problems(good) == []
    assert [p.field for p in identity_problems(CentreDetails("MPT", "", "", "", latitude=44.9))] == ["latitude"]


def test_the_postal_address_adds_the_postal_code_and_commune_once():
    street = CentreDetails("MPT", "Place du Petit Charran", "", "", postal_code="26000", commune="Valence")
    assert street.postal_address == "Place du Petit Charran, 26000 Valence"
    legacy = CentreDetails("MPT", "Place du Petit Charran, 26000 Valence", "", "", postal_code="26000",
                           commune="Valence")
    assert legacy.postal_address == "Place du Petit Charran, 26000 Valence"
    assert CentreDetails("MPT", "1 rue", "", "").postal_address == "1 rue"


def test_the_locator_draws_the_point_in_metropolitan_france_only():
    valence = locator(44.9263, 4.9121)
    brest = locator(48.39, -4.49)
    assert valence.point and brest.point and brest.point[0] < valence.point[0]
    assert 0 < valence.point[0] < valence.width and 0 < valence.point[1] < valence.height
    assert locator(-20.88, 55.45).point is None and str(locator(-20.88, 55.45).elsewhere) == "Réunion"
    assert locator(4.9, 44.9) is None and locator(None, None) is None


# --- the set-up form -------------------------------------------------------------------------

@pytest.fixture
def coordinator(client, login_as):
    return login_as(Role.COORDINATOR)


IDENTITY = {
    "name": "MPT Petit Charran", "siret_or_rna": "732 829 320 00074", "typology": ["CS"],
    "address": "Place du Petit Charran", "postal_code": "26000", "commune": "valence", "insee_code": "",
    "latitude": "44,9263", "longitude": "4.9121", "phone": "0475123456", "email": "Accueil@MPT.example.org",
    "website": "https://mpt.example.org/",
    "acceslibre_url": "https://acceslibre.beta.gouv.fr/app/26-valence/a/centre-social/erp/mpt/",
    "national_programmes": ["Conseillers numériques"], "fees": ["Gratuit"],
    "publics": ["Seniors", "Familles et/ou enfants"],
    "specific_support": ["Langues étrangères (autres)", "Illettrisme"],
    "access_modes": ["Se présenter", "Téléphoner"], "support_modes": ["Accompagnement individuel"],
    "summary": "Aide gratuite aux démarches en ligne.", "presentation": "Un espace numérique.\r\nOuvert à tous.",
}


def saved_centre():
    db.session.expire_all()
    return db.session.execute(db.select(Centre)).scalar_one_or_none()


def audit_events():
    """The audit trail of the centre's details (logging in is audited too)."""
    return db.session.execute(db.select(AuditEvent).where(AuditEvent.target_type == "centre")
                              .order_by(AuditEvent.id)).scalars().all()


def test_the_whole_identity_is_saved_with_the_official_commune(client, coordinator):
    response = submit(client, "/admin/centre", IDENTITY)
    assert response.status_code == 302, response.page
    centre = saved_centre()
    assert (centre.siret_or_rna, centre.postal_code, centre.commune, centre.insee_code) == (
        "73282932000074", "26000", "Valence", "26362")
    assert (centre.latitude, centre.longitude) == (44.9263, 4.9121)
    assert centre.typology == ["CS"] and centre.fees == ["Gratuit"]
    assert centre.publics == ["Seniors", "Familles et/ou enfants"]
    assert centre.specific_support == ["Langues étrangères (autres)", "Illettrisme"]
    assert centre.access_modes == ["Se présenter", "Téléphoner"]
    assert centre.support_modes == ["Accompagnement individuel"]
    assert centre.national_programmes == ["Conseillers numériques"]
    assert centre.summary == "Aide gratuite aux démarches en ligne."
    assert centre.updated_at is not None
    [event] = audit_events()
    assert event.action == "settings.centre_add" and "insee_code" in event.details["fields"]

    page = client.get("/admin/centre").page
    assert "https://www.openstreetmap.org/?mlat=44.926300&amp;mlon=4.912100" in client.get("/admin/centre").get_data(as_text=True)
    assert "<circle" in page and 'value="26362"' in page
    assert "Place du Petit Charran, 26000 Valence" in client.get("/").page  # the footer

    # A second save records only what changed.
    first_update = centre.updated_at
    response = submit(client, "/admin/centre", {**IDENTITY, "fees": ["Gratuit", "Payant"], "insee_code": "26362",
                                                "summary": "Autre résumé."})
    assert response.status_code == 302
    centre = saved_centre()
    assert centre.fees == ["Gratuit", "Payant"] and centre.updated_at >= first_update
    event = audit_events()[-1]
    assert event.action == "settings.centre_edit" and event.details["fields"] == ["fees", "summary"]


def test_the_insee_code_alone_fills_the_commune_name(client, coordinator):
    response = submit(client, "/admin/centre", {**IDENTITY, "postal_code": "26500", "commune": "",
                                                "insee_code": "26058"})
    assert response.status_code == 302
    assert (saved_centre().commune, saved_centre().insee_code) == ("Bourg-lès-Valence", "26058")


def test_an_identity_may_be_left_incomplete(client, coordinator):
    data = {"name": "MPT", "address": "1 rue du Charran", "phone": "0475123456", "email": "a@example.org"}
    assert submit(client, "/admin/centre", data).status_code == 302
    centre = saved_centre()
    assert (centre.siret_or_rna, centre.postal_code, centre.latitude, centre.typology) == ("", "", None, [])


@pytest.mark.parametrize("change, field, message", [
    ({"siret_or_rna": "73282932000075"}, "siret_or_rna", identity.SIRET_MESSAGE),
    ({"siret_or_rna": "W2620012"}, "siret_or_rna", identity.SIRET_MESSAGE),
    ({"postal_code": "26500"}, "postal_code", CommuneProblem.WRONG_POSTAL_CODE.message),
    ({"postal_code": "2600"}, "postal_code", CommuneProblem.UNKNOWN_POSTAL_CODE.message),
    ({"commune": "Valense"}, "commune", CommuneProblem.UNKNOWN_COMMUNE.message),
    ({"postal_code": ""}, "postal_code", CommuneProblem.INCOMPLETE.message),
    ({"insee_code": "26058"}, "insee_code", CommuneProblem.INSEE_MISMATCH.message),
    ({"insee_code": "99999"}, "insee_code", CommuneProblem.UNKNOWN_INSEE_CODE.message),
    ({"latitude": "4.9121", "longitude": "44.9263"}, "latitude", identity.COORDINATES_MESSAGE),
    ({"latitude": "abc"}, "latitude", "44.9334"),
    ({"longitude": "200"}, "longitude", "44.9334"),
    ({"longitude": ""}, "longitude", identity.COORDINATES_PAIR_MESSAGE),
    ({"summary": "é" * 281}, "summary", "281"),
    ({"website": "http://mpt.example.org/"}, "website", identity.HTTPS_MESSAGE),
    ({"acceslibre_url": "https://example.org/erp/mpt/"}, "acceslibre_url", identity.ACCESLIBRE_MESSAGE),
    ({"fees": ["Gratuit", "Offert"]}, "fees", ""),
    ({"typology": ["XYZ"]}, "typology", ""),
    ({"name": "=1+1"}, "name", identity.FORMULA_MESSAGE),
    ({"address": "@SUM(A1)"}, "address", identity.FORMULA_MESSAGE),
    ({"summary": "-2+3"}, "summary", identity.FORMULA_MESSAGE),
    ({"presentation": "+33 4 75 00 00 00"}, "presentation", identity.FORMULA_MESSAGE),
])
def test_bad_identity_is_explained_and_nothing_is_saved(client, coordinator, change, field, message):
    response = submit(client, "/admin/centre", {**IDENTITY, **change})
    assert response.status_code == 200
    assert f'id="{field}-error"' in response.page
    with force_locale("fr"):  # the page's language
        assert str(message) in response.page
    assert saved_centre() is None and audit_events() == []
    # What was typed is shown again.
    typed = change[field] if isinstance(change[field], str) else None
    if typed:
        assert typed in response.page


def test_a_summary_of_280_characters_is_accepted_line_breaks_included(client, coordinator):
    summary = "é" * 138 + "\r\n" + "è" * 140
    assert submit(client, "/admin/centre", {**IDENTITY, "summary": summary}).status_code == 302
    assert len(saved_centre().summary) == 279
    page = client.get("/admin/centre").page
    assert "279 caractères sur 280" in page


def test_the_configured_centre_is_the_starting_point(client, coordinator):
    page = client.get("/admin/centre").page
    assert "Maison Pour Tous" in page and re.search(r'<input checked [^>]*value="CS"', page)


# --- the demo --------------------------------------------------------------------------------

CENTRE_VOCABULARIES = {"typology": "typologie", "national_programmes": "dispositif_programmes_nationaux",
                       "fees": "frais_a_charge", "publics": "publics_specifiquement_adresses",
                       "specific_support": "prise_en_charge_specifique", "access_modes": "modalites_acces",
                       "support_modes": "modalites_accompagnement"}


def test_the_demo_centre_and_its_topics_have_a_complete_valid_identity(app):
    from tiers_lieu.booking.demo import demo_topics
    from tiers_lieu.demo import demo_centre
    from tiers_lieu.opendata import vocabulary

    demo_centre()
    demo_topics()
    db.session.commit()
    details = current_centre()
    assert identity_problems(details) == []
    assert siret_is_valid(details.siret_or_rna) and details.insee_code == "26362"
    assert check_commune(details.postal_code, details.commune, details.insee_code).commune.name == "Valence"
    assert details.postal_address == "Place du Petit Charran, 26000 Valence"
    assert details.summary and details.presentation and len(details.summary) <= 280
    for name, vocabulary_name in CENTRE_VOCABULARIES.items():
        values = getattr(details, name)
        assert values and all(vocabulary.is_valid(vocabulary_name, value) for value in values), name
    assert "Langues étrangères (autres)" in details.specific_support and details.fees == ("Gratuit",)
    for topic in db.session.execute(db.select(Topic)).scalars():
        assert topic.mednum_services and all(vocabulary.is_valid("services", s) for s in topic.mednum_services)
        assert topic.di_thematiques and all(vocabulary.is_valid("thematiques", t) for t in topic.di_thematiques)


def test_a_form_sent_without_the_identity_fields_keeps_them(client, coordinator):
    """A page opened before an upgrade sends only the old fields: what was saved stays."""
    assert submit(client, "/admin/centre", IDENTITY).status_code == 302
    old_page = {"name": "MPT", "address": "Place du Petit Charran", "phone": "0475123456",
                "email": "accueil@mpt.example.org"}
    assert submit(client, "/admin/centre", old_page).status_code == 302
    centre = saved_centre()
    assert centre.name == "MPT" and (centre.latitude, centre.insee_code) == (44.9263, "26362")
    assert centre.siret_or_rna == "73282932000074" and centre.summary == IDENTITY["summary"]
    # Checkbox lists are another matter: a browser sends nothing for a list with nothing ticked.
    assert centre.fees == []
