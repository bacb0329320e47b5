"""The published open-data files on the demo centre: the MedNum CSV validates against our Table
Schema with frictionless, the data·inclusion files against the official Pydantic models, the
opening hours parse and match the booking week, and no file holds anything about a person."""
import csv
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import frictionless
import pytest
from data_inclusion.schema import v1
from opening_hours import OpeningHours
from sqlalchemy import select

from tiers_lieu.accounts.models import User
from tiers_lieu.booking.models import Booking, CallbackRequest, Slot, Topic
from tiers_lieu.core.centre import centre_today
from tiers_lieu.demo import load_demo
from tiers_lieu.desk.models import Resident
from tiers_lieu.extensions import db
from tiers_lieu.opendata import mednum

from .conftest import empty_database, make_app

SCHEMA = Path(__file__).resolve().parent.parent / "tiers_lieu" / "opendata" / "schemas" / "lieux-de-mediation-numerique.json"
CSV = "/open-data/lieux-de-mediation-numerique.csv"
JSON = "/open-data/lieux-de-mediation-numerique.json"
STRUCTURES = "/open-data/data-inclusion/structures.json"
SERVICES = "/open-data/data-inclusion/services.json"
FILES = (CSV, JSON, STRUCTURES, SERVICES)
PARIS = ZoneInfo("Europe/Paris")

# The field names of La MedNum's standard v1.0.2, in its order: schema.json of
# https://github.com/LaMednum/standard-mediation-num at commit e347ff40a0072ed2e0caf7f04384dfd2c84dbaff
# ("version": "v1.0.2"), read in December 2026. Copied here: the tests have no network.
STANDARD_FIELDS = [
    "id", "pivot", "nom", "commune", "code_postal", "code_insee", "adresse", "complement_adresse", "latitude",
    "longitude", "typologie", "telephone", "courriels", "site_web", "horaires", "presentation_resume",
    "presentation_detail", "source", "itinerance", "structure_parente", "date_maj", "services",
    "publics_specifiquement_adresses", "prise_en_charge_specifique", "frais_a_charge",
    "dispositif_programmes_nationaux", "formations_labels", "autres_formations_labels", "modalites_acces",
    "modalites_accompagnement", "fiche_acces_libre", "prise_rdv",
]
STANDARD_REQUIRED = {"id", "pivot", "nom", "commune", "code_postal", "code_insee", "adresse", "date_maj"} - {"code_insee"}


def frictionless_errors(text):
    """Validate a CSV text against our Table Schema: the list of errors (empty when valid)."""
    schema = frictionless.Schema.from_descriptor(json.loads(SCHEMA.read_text()))
    resource = frictionless.Resource(text.encode("utf-8"), format="csv", encoding="utf-8", schema=schema)
    report = frictionless.validate(resource)
    return report.flatten(["rowNumber", "fieldName", "type", "note"])


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(request, database_urls):
    """An app holding the whole demo, shared by the module's tests, emptied at the end."""
    if request.param not in database_urls:
        pytest.skip("PostgreSQL variant: set TEST_DATABASE_URL to run it")
    app = make_app(database_urls[request.param])
    with app.app_context():
        load_demo()
        yield app
    empty_database(app)


@pytest.fixture
def client(demo):
    with demo.app_context():
        yield demo.test_client()


def test_our_schema_has_the_standards_fields_in_its_order():
    schema = json.loads(SCHEMA.read_text())
    assert [field["name"] for field in schema["fields"]] == STANDARD_FIELDS == list(mednum.FIELDS)
    required = {field["name"] for field in schema["fields"] if field.get("constraints", {}).get("required")}
    assert required == STANDARD_REQUIRED == set(mednum.REQUIRED)
    types = {field["name"]: field["type"] for field in schema["fields"]}
    assert types["date_maj"] == "date" and types["latitude"] == types["longitude"] == "number"
    assert {name for name, kind in types.items() if kind == "string"} == set(STANDARD_FIELDS) - {
        "date_maj", "latitude", "longitude"}


def test_our_schema_refuses_what_the_standard_refuses():
    header = ",".join(STANDARD_FIELDS)
    good = dict.fromkeys(STANDARD_FIELDS, "")
    good.update(id="a--centre", pivot="12345678200010", nom="Lieu", commune="Valence", code_postal="26000",
                adresse="Place", date_maj="2026-12-01", frais_a_charge="Gratuit|Payant")

    def text(**changes):
        row = {**good, **changes}
        out = io.StringIO()
        csv.DictWriter(out, STANDARD_FIELDS).writerow(row)
        return header + "\r\n" + out.getvalue()

    assert frictionless_errors(text()) == []
    for change in ({"frais_a_charge": "Gratuit|"}, {"frais_a_charge": "Gratos"}, {"pivot": "123"},
                   {"code_postal": "2600"}, {"telephone": "0475000000"}, {"date_maj": "01/12/2026"},
                   {"presentation_resume": "x" * 281}, {"services": "Aide aux démarches administratives;Autre"},
                   {"typologie": "CENTRE_SOCIAL"}, {"nom": ""}):
        assert frictionless_errors(text(**change)), change


def test_the_demo_csv_validates_and_carries_the_centre(client):
    response = client.get(CSV)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    today = centre_today().isoformat()
    assert response.headers["Content-Disposition"] == (
        f'inline; filename="{today}_localhost_lieux-de-mediation-numerique_valence.csv"')
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(STANDARD_FIELDS)
    assert frictionless_errors(text) == []
    [row] = csv_rows(text)
    assert row["id"] == "localhost--centre" and row["pivot"].isdigit() and row["code_insee"] == "26362"
    assert row["commune"] == "Valence" and row["code_postal"] == "26000" and row["typologie"] == "CS"
    assert row["telephone"] == "+33475000000" and row["itinerance"] == "Fixe"
    assert row["prise_rdv"] == "http://localhost/"
    assert "Prendre un RDV en ligne" in row["modalites_acces"].split("|")
    assert "Téléphoner" in row["modalites_acces"].split("|")
    # The union of the active topics' services, in the standard's order.
    topics = db.session.execute(select(Topic).where(Topic.active.is_(True))).scalars().all()
    expected = {service for topic in topics for service in topic.mednum_services}
    assert set(row["services"].split("|")) == expected
    assert row["date_maj"] <= centre_today().isoformat()


def test_the_json_form_has_the_same_values(client):
    [row] = csv_rows(client.get(CSV).get_data(as_text=True))
    [item] = client.get(JSON).get_json()
    for name, value in item.items():
        if isinstance(value, list):
            assert "|".join(value) == row[name], name
        elif isinstance(value, float):
            assert value == float(row[name])
        else:
            assert value == row[name], name
    assert set(item) == {name for name, value in row.items() if value}


def test_the_data_inclusion_files_validate_with_the_official_models(client):
    [structure] = client.get(STRUCTURES).get_json()
    parsed = v1.Structure.model_validate(structure, context={"ignore_warnings": False})
    assert parsed.id == "localhost--centre" and parsed.siret and parsed.code_insee == "26362"
    services = client.get(SERVICES).get_json()
    topics = db.session.execute(select(Topic).where(Topic.active.is_(True)).order_by(Topic.position)).scalars().all()
    assert len(services) == len(topics) > 0
    for item, topic in zip(services, topics):
        service = v1.Service.model_validate(item, context={"ignore_warnings": False})
        assert service.structure_id == parsed.id and service.id == f"localhost--topic-{topic.id}"
        assert str(service.lien_mobilisation) == f"http://localhost/book/{topic.slug}"
        assert service.thematiques == set(topic.di_thematiques)
        assert service.type == v1.TypeService.ACCOMPAGNEMENT and service.publics == {v1.Public.TOUS_PUBLICS}
        assert client.get(f"/book/{topic.slug}").status_code == 200


def test_the_opening_hours_parse_and_match_the_booking_week(client):
    [row] = csv_rows(client.get(CSV).get_data(as_text=True))
    hours = OpeningHours(row["horaires"], country="FR", timezone=PARIS)
    [structure] = client.get(STRUCTURES).get_json()
    assert structure["horaires_accueil"] == row["horaires"]
    today = centre_today()
    start = datetime.combine(today + timedelta(days=1), datetime.min.time(), PARIS)
    slots = db.session.execute(select(Slot).where(Slot.starts_at >= start, Slot.starts_at < start + timedelta(days=7))
                               ).scalars().all()
    assert slots
    for slot in slots:
        local = slot.starts_at.astimezone(PARIS).replace(tzinfo=None)
        assert hours.is_open(local + timedelta(minutes=1)), local
    # Nights are closed.
    for day in range(1, 8):
        assert hours.is_closed(datetime.combine(today + timedelta(days=day), datetime.min.time()).replace(hour=3))


def test_each_services_hours_parse_and_hold_its_topics_slots(client):
    services = {item["id"]: item for item in client.get(SERVICES).get_json()}
    today = centre_today()
    start = datetime.combine(today + timedelta(days=1), datetime.min.time(), PARIS)
    slots = db.session.execute(select(Slot).where(Slot.starts_at >= start, Slot.starts_at < start + timedelta(days=7))
                               ).scalars().all()
    checked = 0
    for topic in db.session.execute(select(Topic).where(Topic.active.is_(True))).scalars():
        hours = OpeningHours(services[f"localhost--topic-{topic.id}"]["horaires_accueil"], country="FR",
                             timezone=PARIS)
        for slot in slots:
            if topic in slot.topics:
                assert hours.is_open(slot.starts_at.astimezone(PARIS).replace(tzinfo=None) + timedelta(minutes=1))
                checked += 1
    assert checked


def test_no_file_holds_anything_about_a_person(client):
    bodies = "\n".join(client.get(url).get_data(as_text=True) for url in FILES).casefold()
    people = []
    for resident in db.session.execute(select(Resident)).scalars():
        people += [resident.first_name, resident.last_name, resident.phone, resident.email]
    for booking in db.session.execute(select(Booking)).scalars():
        people += [getattr(booking, name, None) for name in ("first_name", "phone", "email")]
    for request_ in db.session.execute(select(CallbackRequest)).scalars():
        people += [getattr(request_, name, None) for name in ("first_name", "phone", "email")]
    for user in db.session.execute(select(User)).scalars():
        people += [user.email, user.display_name]
    people = {value for value in people if value and len(value) >= 3}
    assert len(people) > 50
    # Whole words: a first name may be part of a longer word ("Ali" in "qualité").
    found = {value for value in people if re.search(rf"(?<!\w){re.escape(value.casefold())}(?!\w)", bodies)}
    assert found == set()


def test_the_files_are_cached_an_hour_and_answer_304_when_unchanged(client):
    for url in FILES:
        response = client.get(url)
        assert response.headers["Cache-Control"] == "public, max-age=3600"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        modified = response.headers["Last-Modified"]
        again = client.get(url, headers={"If-Modified-Since": modified})
        assert again.status_code == 304 and again.data == b""
        older = client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"})
        assert older.status_code == 200 and older.data == response.data
