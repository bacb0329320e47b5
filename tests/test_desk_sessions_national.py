"""The session log in the national report's vocabulary (issue 16): national themes pre-ticked from the
topics, the Associations domain, the workshop's title and level, gender, the new age bands, and the
commune (from the centre's list, or another by its postal code), remembered for residents who agreed."""
import json
import re

import pytest

from tiers_lieu.accounts.models import Role
from tiers_lieu.audit import ACTIONS, TARGETS, AuditEvent
from tiers_lieu.booking.models import BookingStatus, Topic
from tiers_lieu.core.communes import official_commune, postal_code_matches
from tiers_lieu.database import utcnow
from tiers_lieu.desk.lists import DEMO_COMMUNES, ensure_demo_communes
from tiers_lieu.desk.models import AdminDomain, AgeBracket, Commune, HelpSession, NationalTheme, Resident
from tiers_lieu.desk.residents import directory
from tiers_lieu.extensions import db
from tiers_lieu.privacy import rights

from .conftest import csrf_token_from, submit
from .factories import make_slots, make_topic
from .test_desk_sessions import session_form, today
from .test_stats_daily_counts import recounted, stored


def post(client, url, **overrides):
    page = client.get(url)
    assert page.status_code == 200, page.page[:500]
    return client.post(url, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)),
                                  **session_form(**overrides)})


def box(page, name, value):
    """The <input> of this checkbox or radio button."""
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="{re.escape(value)}"[^>]*>', page)
    assert found, (name, value)
    return found.group(0)


def ticked(page, name):
    return {re.search(r'value="([^"]*)"', tag).group(1)
            for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', page) if "checked" in tag}


def count_sessions():
    return db.session.execute(db.select(db.func.count(HelpSession.id))).scalar_one()


@pytest.fixture
def communes(app):
    ensure_demo_communes(db.session)
    return {row.name: row for row in db.session.execute(db.select(Commune)).scalars()}


@pytest.fixture
def admin_topic(app):
    return make_topic(national_themes=["admin_procedures", "email"])


@pytest.fixture
def checked_in(app, make_booking, admin_topic):
    slot = make_slots(admin_topic, days_ahead=0, hour=23)[0]
    return make_booking(slot, topic=admin_topic, status=BookingStatus.CHECKED_IN)


def test_the_vocabulary_has_the_national_reports_lists():
    assert len(NationalTheme) == 19 and NationalTheme.ADMIN_PROCEDURES.value == "admin_procedures"
    assert len(AdminDomain) == 11 and AdminDomain.ASSOCIATIONS.value == "associations"
    assert [bracket.value for bracket in AgeBracket][:3] == ["under_12", "12_17", "18_24"]
    assert "under_18" not in {bracket.value for bracket in AgeBracket}
    from datetime import date
    assert AgeBracket.of_birth_year(2016, date(2026, 12, 4)) is AgeBracket.UNDER_12
    assert AgeBracket.of_birth_year(2014, date(2026, 12, 4)) is AgeBracket.FROM_12
    assert AgeBracket.of_birth_year(2008, date(2026, 12, 4)) is AgeBracket.FROM_18


def test_the_demo_communes_are_the_official_ones():
    for name, postal_code, insee_code in DEMO_COMMUNES:
        official = official_commune(insee_code)
        assert official is not None and official.name == name and postal_code_matches(postal_code, insee_code)


def test_themes_are_pre_ticked_from_the_booking_topic_and_saved(client, login_as, checked_in, admin_topic):
    login_as()
    url = f"/desk/sessions/new?booking={checked_in.id}"
    page = client.get(url).page
    assert ticked(page, "themes") == {"admin_procedures", "email"}
    assert 'data-themes="admin_procedures email"' in box(page, "topics", str(admin_topic.id))
    assert "Aide aux démarches administratives" in page and "Thématiques nationales" in page
    response = post(client, url, topics=str(admin_topic.id), themes=["email", "admin_procedures"],
                    admin_domain="associations", gender="female", age_bracket="12_17")
    assert response.status_code == 302, response.page[:3000]
    logged = db.session.execute(db.select(HelpSession)).scalar_one()
    assert logged.themes == ["email", "admin_procedures"]  # the report's order
    assert (logged.admin_domain, logged.gender, logged.age_bracket) == ("associations", "female", "12_17")


def test_a_session_without_a_theme_is_refused_with_the_topics_themes_ticked_to_confirm(client, login_as,
                                                                                       admin_topic):
    login_as()
    response = post(client, "/desk/sessions/new", topics=str(admin_topic.id), themes=None, note="Gardé")
    assert response.status_code == 200
    assert 'id="themes-error"' in response.page and "Cochez au moins une thématique nationale" in response.page
    assert ticked(response.page, "themes") == {"admin_procedures", "email"} and "Gardé" in response.page
    assert count_sessions() == 0
    # Nothing to offer without a topic: still refused, nothing ticked.
    response = post(client, "/desk/sessions/new", themes=None)
    assert response.status_code == 200 and ticked(response.page, "themes") == set()
    assert count_sessions() == 0


def test_the_associations_domain_goes_with_the_administrative_theme(client, login_as):
    login_as()
    page = client.get("/desk/sessions/new").page
    assert '<option value="associations">Associations</option>' in page
    response = post(client, "/desk/sessions/new", themes="email", admin_domain="associations")
    assert response.status_code == 200 and "cochez aussi la thématique « Aide aux démarches" in response.page
    assert count_sessions() == 0
    assert post(client, "/desk/sessions/new", themes="admin_procedures", admin_domain="associations"
                ).status_code == 302
    assert db.session.execute(db.select(HelpSession.admin_domain)).scalar_one() == "associations"


@pytest.mark.parametrize("overrides, message", [
    ({"themes": "not_a_theme"}, "Choisissez les thématiques dans la liste"),
    ({"themes": ["email", "digital_security'); DROP TABLE x;--"]}, "Choisissez les thématiques dans la liste"),
    ({"commune": "999999"}, "Choisissez une commune de la liste"),
    ({"commune": "abc"}, "Choisissez une commune de la liste"),
    ({"commune": "other", "other_postal_code": ""}, "Indiquez le code postal de l'autre commune"),
    ({"commune": "other", "other_postal_code": "2600"}, "Un code postal a 5 chiffres"),
    ({"commune": "other", "other_postal_code": "26 000"}, "Un code postal a 5 chiffres"),
    ({"commune": "other", "other_postal_code": "99999"}, "Aucune commune n'a le code postal 99999"),
    ({"gender": "other"}, 'id="gender-error"'),
    ({"age_bracket": "under_18"}, 'id="age_bracket-error"'),
    ({"kind": "workshop", "workshop_title": ""}, "Indiquez le titre de l'atelier"),
    ({"kind": "workshop", "workshop_title": "x" * 121}, 'id="workshop_title-error"'),
])
def test_bad_values_are_explained_and_nothing_is_saved(client, login_as, communes, overrides, message):
    login_as()
    response = post(client, "/desk/sessions/new", note="À garder", **overrides)
    assert response.status_code == 200 and message in response.page, response.page[-4000:]
    assert "À garder" in response.page
    assert count_sessions() == 0


def test_an_inactive_commune_is_refused_for_a_new_session_but_kept_on_an_old_one(client, login_as, communes):
    login_as()
    chabeuil = communes["Chabeuil"]
    assert post(client, "/desk/sessions/new", commune=str(chabeuil.id)).status_code == 302
    logged = db.session.execute(db.select(HelpSession)).scalar_one()
    assert logged.commune_id == chabeuil.id
    chabeuil.active = False
    db.session.commit()
    page = client.get("/desk/sessions/new").page
    assert "Chabeuil" not in page and "Valence (26000)" in page
    response = post(client, "/desk/sessions/new", commune=str(chabeuil.id))
    assert response.status_code == 200 and "Choisissez une commune de la liste" in response.page
    assert count_sessions() == 1
    edit = f"/desk/sessions/{logged.id}/edit"
    assert re.search(rf'<option selected value="{chabeuil.id}">Chabeuil \(26120\)</option>', client.get(edit).page)
    assert post(client, edit, commune=str(chabeuil.id)).status_code == 302


def test_a_commune_of_the_list_or_another_by_its_postal_code(client, login_as, communes):
    login_as()
    page = client.get("/desk/sessions/new").page
    assert "Bourg-lès-Valence (26500)" in page and '<option value="other">Autre commune</option>' in page
    assert post(client, "/desk/sessions/new", commune=str(communes["Bourg-lès-Valence"].id),
                other_postal_code="26400").status_code == 302
    assert post(client, "/desk/sessions/new", commune="other", other_postal_code="07300").status_code == 302
    assert post(client, "/desk/sessions/new", commune="").status_code == 302
    rows = db.session.execute(db.select(HelpSession.commune_id, HelpSession.other_postal_code)
                              .order_by(HelpSession.id)).all()
    # A postal code typed beside a commune of the list is not kept: the list's commune says it all.
    assert [tuple(row) for row in rows] == [(communes["Bourg-lès-Valence"].id, None), (None, "07300"), (None, None)]


def test_a_workshop_has_a_title_and_a_level_an_individual_session_has_neither(client, login_as, make_booking):
    login_as()
    topic = make_topic(slug="smartphone", national_themes=["device_handling"])
    slot = make_slots(topic, days_ahead=0, hour=23, capacity=6, title="Atelier smartphone : premiers pas")[0]
    make_booking(slot, topic=topic, first_name="Awa")
    url = f"/desk/sessions/new?slot={slot.id}"
    page = client.get(url).page
    assert 'value="Atelier smartphone : premiers pas"' in page  # the slot's title, to confirm
    assert ticked(page, "themes") == {"device_handling"}
    assert "Débutant" in page and "Niveau de l'atelier" in page
    assert post(client, url, kind="workshop", participant_count="4", workshop_title="Premiers pas",
                workshop_level="beginner", themes="device_handling").status_code == 302
    workshop = db.session.execute(db.select(HelpSession)).scalar_one()
    assert (workshop.workshop_title, workshop.workshop_level) == ("Premiers pas", "beginner")
    assert post(client, "/desk/sessions/new", workshop_title="Oublié", workshop_level="advanced").status_code == 302
    single = db.session.execute(db.select(HelpSession).where(HelpSession.id != workshop.id)).scalar_one()
    assert (single.workshop_title, single.workshop_level) == (None, None)
    response = post(client, "/desk/sessions/new", kind="workshop", workshop_title="T", workshop_level="expert")
    assert response.status_code == 200 and 'id="workshop_level-error"' in response.page


def test_gender_defaults_to_not_given(client, login_as):
    login_as()
    page = client.get("/desk/sessions/new").page
    assert "checked" in box(page, "gender", "not_given") and "checked" not in box(page, "gender", "female")
    assert "Moins de 12 ans" in page and "12–17 ans" in page
    assert post(client, "/desk/sessions/new", gender="male").status_code == 302
    assert db.session.execute(db.select(HelpSession.gender)).scalar_one() == "male"


def test_the_commune_is_remembered_only_for_a_resident_who_agreed(client, login_as, communes):
    user = login_as()
    remembered = Resident(first_name="Hélène", name_key="helene", remember_consent_at=utcnow(),
                          remember_consent_by_id=user.id)
    stranger = Resident(first_name="Karim", name_key="karim")
    db.session.add_all([remembered, stranger])
    db.session.commit()
    portes = communes["Portes-lès-Valence"]
    assert post(client, f"/desk/sessions/new?resident={remembered.id}", commune=str(portes.id)).status_code == 302
    assert post(client, f"/desk/sessions/new?resident={stranger.id}", commune=str(portes.id)).status_code == 302
    db.session.expire_all()
    assert db.session.get(Resident, remembered.id).commune_id == portes.id
    assert db.session.get(Resident, stranger.id).commune_id is None
    # The next session starts from it; "not given" this time does not forget it.
    page = client.get(f"/desk/sessions/new?resident={remembered.id}").page
    assert re.search(rf'<option selected value="{portes.id}">', page)
    assert "<option selected value=\"\">" in client.get(f"/desk/sessions/new?resident={stranger.id}").page
    assert post(client, f"/desk/sessions/new?resident={remembered.id}", commune="").status_code == 302
    assert post(client, f"/desk/sessions/new?resident={remembered.id}", commune="other",
                other_postal_code="26400").status_code == 302
    db.session.expire_all()
    resident = db.session.get(Resident, remembered.id)
    assert (resident.commune_id, resident.other_postal_code) == (None, "26400")
    page = client.get(f"/desk/sessions/new?resident={remembered.id}").page
    assert '<option selected value="other">' in page and 'value="26400"' in page


def test_editing_keeps_every_value_and_audits_the_themes(client, login_as, communes, admin_topic):
    login_as()
    values = dict(topics=str(admin_topic.id), themes=["admin_procedures", "digital_security"],
                  admin_domain="housing", gender="female", age_bracket="under_12", commune="other",
                  other_postal_code="26400", kind="workshop", workshop_title="Sécurité en ligne",
                  workshop_level="intermediate", participant_count="3")
    assert post(client, "/desk/sessions/new", **values).status_code == 302
    logged = db.session.execute(db.select(HelpSession)).scalar_one()
    url = f"/desk/sessions/{logged.id}/edit"
    page = client.get(url).page
    assert ticked(page, "themes") == {"admin_procedures", "digital_security"}
    assert ticked(page, "gender") == {"female"} and ticked(page, "workshop_level") == {"intermediate"}
    assert 'value="Sécurité en ligne"' in page and 'value="26400"' in page
    assert '<option selected value="other">' in page and '<option selected value="under_12">' in page
    response = post(client, url, **values)
    assert response.status_code == 302
    assert "Rien n'a été modifié" in client.get(response.headers["Location"]).page
    assert post(client, url, **{**values, "themes": ["digital_security"], "admin_domain": "",
                                "commune": str(communes["Valence"].id)}).status_code == 302
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "session.updated")).scalar_one()
    assert sorted(event.details["fields"]) == ["admin_domain", "commune_id", "other_postal_code", "themes"]
    db.session.expire_all()
    logged = db.session.get(HelpSession, logged.id)
    assert logged.themes == ["digital_security"] and logged.commune_id == communes["Valence"].id
    assert logged.other_postal_code is None
    # The dashboard's per-day counts followed the themes and the commune (stats/daily_counts.py).
    db.session.rollback()
    assert stored() == recounted()
    history = client.get(url).page
    assert "Thématiques nationales (compte rendu d'activité)" in history and "Commune de résidence" in history


# --- the communes list of the set-up pages ----------------------------------------------------

def test_coordinators_keep_the_communes_list_with_official_codes(client, login_as):
    login_as(Role.COORDINATOR)
    url = "/admin/lists/communes"
    assert "Communes desservies" in client.get(url).page
    assert submit(client, f"{url}/new", {"name": "st marcel les valence", "postal_code": "26320"},
                  form_url=url).status_code == 302
    row = db.session.execute(db.select(Commune)).scalar_one()
    # The official spelling and the INSEE code, found from the name and postal code.
    assert (row.name, row.postal_code, row.insee_code, row.active) == ("Saint-Marcel-lès-Valence", "26320",
                                                                       "26313", True)
    assert submit(client, f"{url}/{row.id}", {"name": "Saint-Marcel-lès-Valence", "postal_code": "26320",
                                              "insee_code": "26313", "active": ""}).status_code == 302
    db.session.expire_all()
    assert not db.session.get(Commune, row.id).active
    assert submit(client, f"{url}/new", {"name": "Valence", "postal_code": "26000", "insee_code": "26362"},
                  form_url=url).status_code == 302
    submit(client, f"{url}/{row.id}/move", {"direction": "down"}, form_url=url)
    actions = db.session.execute(db.select(AuditEvent.action).where(AuditEvent.action.like("settings.%"))
                                 .order_by(AuditEvent.id)).scalars().all()
    assert actions == ["settings.commune_add", "settings.commune_edit", "settings.commune_add",
                       "settings.commune_move"]
    assert {"settings.commune_add", "settings.commune_edit", "settings.commune_move"} <= set(ACTIONS)
    assert "commune" in TARGETS
    page = client.get(url).page
    assert "26362" in page and "Désactivée" in page or "Désactivé" in page
    assert "A ajouté une commune à la liste" in client.get("/admin/audit").page


@pytest.mark.parametrize("data, field, message", [
    ({"name": "Valence", "postal_code": "26500"}, "name", "Aucune commune de ce nom n'a le code postal 26500"),
    ({"name": "Valence", "postal_code": "2600"}, "postal_code", "Un code postal a 5 chiffres"),
    ({"name": "Valence", "postal_code": "99999"}, "postal_code", "Aucune commune n'a le code postal 99999"),
    ({"name": "Valence", "postal_code": "26500", "insee_code": "26058"}, "name",
     "Le code INSEE 26058 est celui d'une autre commune : Bourg-lès-Valence"),
    ({"name": "Valence", "postal_code": "26500", "insee_code": "26362"}, "postal_code",
     "n'a pas le code postal 26500"),
    ({"name": "Valence", "postal_code": "26000", "insee_code": "00000"}, "insee_code",
     "Aucune commune n'a le code INSEE 00000"),
    ({"name": "", "postal_code": "26000"}, "name", ""),
])
def test_a_commune_that_does_not_match_the_official_list_is_refused(client, login_as, data, field, message):
    login_as(Role.COORDINATOR)
    response = submit(client, "/admin/lists/communes/new", data, form_url="/admin/lists/communes")
    assert response.status_code == 200 and f'id="{field}-error"' in response.page and message in response.page
    assert db.session.execute(db.select(db.func.count(Commune.id))).scalar_one() == 0


def test_a_topic_gets_its_national_themes_on_its_page(client, login_as):
    login_as(Role.COORDINATOR)
    topic = make_topic()
    url = f"/admin/topics/{topic.id}"
    page = client.get(url).page
    assert "Thématiques nationales (compte rendu d'activité)" in page
    data = {"slug": topic.slug, "name_fr": topic.name_fr, "name_en": topic.name_en, "description_fr": "",
            "description_en": "", "pictogram": "demarches.svg", "colour": "#1d4e89", "default_duration": "45",
            "what_to_bring_fr": "", "what_to_bring_en": "", "position": "1", "active": "y"}
    assert submit(client, url, {**data, "national_themes": ["email", "admin_procedures"]}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Topic, topic.id).national_themes == ["email", "admin_procedures"]
    response = submit(client, url, {**data, "national_themes": ["made_up"]})
    assert response.status_code == 200 and 'id="national_themes-error"' in response.page


# --- the resident's commune -------------------------------------------------------------------

def test_the_residents_page_edits_the_commune_the_export_shows_it_and_erasure_clears_it(client, login_as,
                                                                                      communes):
    user = login_as()
    resident = Resident(first_name="Zénobie", name_key="zenobie", remember_consent_at=utcnow(),
                        remember_consent_by_id=user.id)
    db.session.add(resident)
    db.session.commit()
    url = f"/desk/residents/{resident.id}/edit"
    valence = communes["Valence"]
    response = submit(client, url, {"first_name": "Zénobie", "language": "fr", "commune": str(valence.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Resident, resident.id).commune_id == valence.id
    assert "Valence (26000)" in client.get(f"/desk/residents/{resident.id}").page
    response = submit(client, url, {"first_name": "Zénobie", "language": "fr", "commune": "other",
                                    "other_postal_code": "1234"})
    assert response.status_code == 200 and "Un code postal a 5 chiffres" in response.page
    response = submit(client, url, {"first_name": "Zénobie", "language": "fr", "commune": "424242"})
    assert response.status_code == 200 and "Choisissez une commune de la liste" in response.page
    db.session.expire_all()
    assert db.session.get(Resident, resident.id).commune_id == valence.id

    assert post(client, f"/desk/sessions/new?resident={resident.id}", commune=str(valence.id)).status_code == 302
    holdings = rights.gather(db.session, rights.find(db.session, resident_id=resident.id))
    data = json.loads(json.dumps(rights.as_data(holdings), default=str))
    assert data["residents"][0]["commune"] == {"name": "Valence", "postal_code": "26000", "insee_code": "26362"}
    assert data["help_sessions"][0]["commune"]["insee_code"] == "26362"
    assert data["help_sessions"][0]["national_themes"] == ["Prendre en main du matériel"] or \
        data["help_sessions"][0]["national_themes"] == ["Getting started with a device"]

    directory.anonymise(db.session, [resident.id], utcnow())
    db.session.commit()
    db.session.expire_all()
    erased = db.session.get(Resident, resident.id)
    assert (erased.commune_id, erased.other_postal_code) == (None, None)


def test_a_session_logged_before_gender_was_asked_keeps_it_unrecorded_when_edited(client, login_as):
    user = login_as()
    old = HelpSession(day=today(), duration_minutes=30, facilitator_id=user.id, kind="individual",
                      channel="on_site", equipment="computer", equipment_own=False, assistance="with",
                      outcome="resolved", age_bracket="unknown", situation="unknown")
    old.themes = ["email"]
    db.session.add(old)
    db.session.commit()
    url = f"/desk/sessions/{old.id}/edit"
    page = client.get(url).page
    assert ticked(page, "gender") == set() and ticked(page, "themes") == {"email"}
    response = post(client, url, gender=None, themes="email", start_time="")
    assert response.status_code == 302
    changes = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "session.updated")).scalars()
    assert [event.details["fields"] for event in changes] == []
    db.session.expire_all()
    assert db.session.get(HelpSession, old.id).gender is None
