"""Coordinators set the centre up: topics and procedures, places, lists, the centre's details."""
import pytest

from tiers_lieu.accounts.models import Role
from tiers_lieu.admin.forms import contrast_with_white
from tiers_lieu.core.centre import Centre
from tiers_lieu.audit import AuditEvent
from tiers_lieu.booking.models import Location, Procedure, Topic
from tiers_lieu.desk.models import Need, ReferralTarget
from tiers_lieu.extensions import db

from .conftest import submit


@pytest.fixture
def coordinator(client, login_as):
    return login_as(Role.COORDINATOR)


def count(model):
    return db.session.execute(db.select(db.func.count(model.id))).scalar_one()


def actions():
    return [event.action for event in db.session.execute(
        db.select(AuditEvent).order_by(AuditEvent.id)).scalars()]


TOPIC = {
    "slug": "emploi-cv", "name_fr": "Emploi et CV", "name_en": "Jobs and CV",
    "description_fr": "Écrire un CV", "description_en": "Write a CV", "pictogram": "demarches.svg",
    "colour": "#1D4E89", "default_duration": "45", "what_to_bring_fr": "Votre CV\nUne clé USB",
    "what_to_bring_en": "Your CV\nA USB stick", "position": "5", "active": "y",
}


@pytest.mark.parametrize("url", [
    "/admin/", "/admin/topics", "/admin/topics/new", "/admin/lists/places", "/admin/lists/needs",
    "/admin/centre", "/admin/audit", "/admin/hours", "/admin/hours/new",
])
def test_facilitators_are_refused_the_set_up(client, login_as, url):
    login_as(Role.FACILITATOR)
    assert client.get(url).status_code == 403


def test_the_index_links_every_set_up_page(client, coordinator):
    page = client.get("/admin/").page
    for url in ("/admin/topics", "/admin/hours", "/admin/closures", "/admin/lists/places", "/admin/lists/needs",
                "/admin/lists/referrals", "/admin/rules", "/admin/centre", "/admin/users", "/admin/audit"):
        assert f'href="{url}"' in page


def test_a_topic_is_created_edited_and_audited(client, coordinator):
    page = client.get("/admin/topics/new").page
    assert "img/topics/smartphone.svg" in page  # the pictograms are shown to choose from
    response = submit(client, "/admin/topics/new", TOPIC)
    assert response.status_code == 302
    topic = db.session.execute(db.select(Topic)).scalar_one()
    assert (topic.slug, topic.colour, topic.default_duration) == ("emploi-cv", "#1d4e89", 45)
    assert topic.localised_lines("en") == ["Your CV", "A USB stick"]
    assert "Emploi et CV" in client.get("/admin/topics").page

    response = submit(client, f"/admin/topics/{topic.id}", {**TOPIC, "name_en": "Jobs", "active": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert (topic.name_en, topic.active) == ("Jobs", False)
    events = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    assert [e.action for e in events][-2:] == ["settings.topic_add", "settings.topic_edit"]
    assert sorted(events[-1].details["fields"]) == ["active", "name_en"]
    assert events[-1].target_id == topic.id


@pytest.mark.parametrize("change, field", [
    ({"slug": "Démarches!"}, "slug"),
    ({"slug": ""}, "slug"),
    ({"colour": "blue"}, "colour"),
    ({"colour": "#ffff00"}, "colour"),  # too light on a white page
    ({"pictogram": "../../secret.svg"}, "pictogram"),
    ({"default_duration": "0"}, "default_duration"),
    ({"name_en": ""}, "name_en"),
])
def test_bad_topics_are_explained_and_nothing_is_lost(client, coordinator, change, field):
    response = submit(client, "/admin/topics/new", {**TOPIC, **change})
    assert response.status_code == 200
    assert f'id="{field}-error"' in response.page
    assert "Emploi et CV" in response.page  # what was typed is still there
    assert count(Topic) == 0


def test_a_slug_is_unique(client, coordinator, make_topic):
    make_topic(slug="emploi-cv")
    response = submit(client, "/admin/topics/new", TOPIC)
    assert response.status_code == 200 and 'id="slug-error"' in response.page
    assert count(Topic) == 1


def test_colour_contrast():
    assert contrast_with_white("#1d4e89") > 7
    assert contrast_with_white("#ffffff") == pytest.approx(1)


def test_topics_are_reordered(client, coordinator, make_topic):
    first, second = make_topic(), make_topic()
    submit(client, f"/admin/topics/{second.id}/move", {"direction": "up"}, form_url="/admin/topics")
    db.session.expire_all()
    assert second.position < first.position
    assert submit(client, f"/admin/topics/{second.id}/move", {"direction": "sideways"},
                  form_url="/admin/topics").status_code == 400


def test_procedures_are_added_renamed_deactivated_and_ordered(client, coordinator, make_topic):
    topic = make_topic()
    url = f"/admin/topics/{topic.id}"
    assert submit(client, f"{url}/procedures", {"procedure-name": "CAF"}, form_url=url).status_code == 302
    submit(client, f"{url}/procedures", {"procedure-name": "Ameli"}, form_url=url)
    caf, ameli = db.session.execute(db.select(Procedure).order_by(Procedure.position)).scalars().all()
    assert (caf.name, ameli.name) == ("CAF", "Ameli")

    response = submit(client, f"{url}/procedures", {"procedure-name": ""}, form_url=url)
    assert response.status_code == 200 and 'id="procedure-name-error"' in response.page
    assert 'value="' + topic.slug + '"' in response.page  # the topic's form is still filled

    submit(client, f"/admin/procedures/{caf.id}", {"name": "CAF de la Drôme"})
    submit(client, f"/admin/procedures/{ameli.id}/move", {"direction": "up"}, form_url=url)
    submit(client, f"/admin/procedures/{caf.id}/active", {"active": "0"}, form_url=url)
    db.session.expire_all()
    assert (caf.name, caf.active) == ("CAF de la Drôme", False)
    assert ameli.position < caf.position
    assert count(Procedure) == 2  # deactivated, never deleted
    assert {"settings.procedure_add", "settings.procedure_edit", "settings.procedure_move",
            "settings.procedure_deactivate"} <= set(actions())


@pytest.mark.parametrize("url, method", [
    ("/admin/topics/999999", "get"), ("/admin/procedures/999999", "get"), ("/admin/lists/places/999999", "get"),
    ("/admin/lists/unknown", "get"), ("/admin/hours/999999", "get"),
])
def test_unknown_ids_are_a_translated_404(client, coordinator, url, method):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page introuvable" in response.page, response.page[:600]


@pytest.mark.parametrize("name, model, data", [
    ("places", Location, {"name": "Salle du fond"}),
    ("needs", Need, {"label_fr": "Pas de téléphone", "label_en": "No phone"}),
    ("referrals", ReferralTarget, {"kind": "social", "label_fr": "Secours populaire", "label_en": "Secours populaire"}),
])
def test_simple_lists_add_edit_deactivate_reorder(client, coordinator, name, model, data):
    url = f"/admin/lists/{name}"
    before = count(model)
    assert submit(client, f"{url}/new", data, form_url=url).status_code == 302
    row = db.session.execute(db.select(model).order_by(model.id.desc())).scalars().first()
    assert count(model) == before + 1 and row.active
    edited = {**data, **{key: value + " (bis)" for key, value in data.items() if key != "kind"}}
    assert submit(client, f"{url}/{row.id}", {**edited, "active": ""}).status_code == 302
    db.session.expire_all()
    assert not row.active
    submit(client, f"{url}/{row.id}/move", {"direction": "up"}, form_url=url)
    assert f"settings.{ {'places': 'location', 'needs': 'need', 'referrals': 'referral_target'}[name] }_edit" in actions()
    assert "(bis)" in client.get(url).page


@pytest.mark.parametrize("name, data, field", [
    ("places", {"name": ""}, "name"),
    ("needs", {"label_fr": "Pas de téléphone", "label_en": ""}, "label_en"),
    ("referrals", {"kind": "nowhere", "label_fr": "X", "label_en": "X"}, "kind"),
])
def test_bad_list_entries_are_explained(client, coordinator, name, data, field):
    model = {"places": Location, "needs": Need, "referrals": ReferralTarget}[name]
    before = count(model)
    response = submit(client, f"/admin/lists/{name}/new", data, form_url=f"/admin/lists/{name}")
    assert response.status_code == 200 and f'id="{field}-error"' in response.page
    assert count(model) == before


def test_the_centre_is_created_then_edited_and_shown_in_the_footer(client, coordinator):
    assert count(Centre) == 0
    page = client.get("/admin/centre").page
    assert "Maison Pour Tous" in page  # the configured defaults to start from
    data = {"name": "MPT Petit Charran", "address": "1 rue du Charran, 26000 Valence",
            "phone": "0475123456", "email": "Accueil@MPT.example.org"}
    assert submit(client, "/admin/centre", data).status_code == 302
    centre = db.session.execute(db.select(Centre)).scalar_one()
    assert (centre.phone, centre.email) == ("04 75 12 34 56", "accueil@mpt.example.org")
    page = client.get("/").page
    assert "MPT Petit Charran" in page and "04 75 12 34 56" in page
    submit(client, "/admin/centre", {**data, "name": "MPT"})
    assert actions()[-2:] == ["settings.centre_add", "settings.centre_edit"]
    assert count(Centre) == 1


@pytest.mark.parametrize("change, field", [
    ({"email": "not-an-address"}, "email"), ({"phone": "12"}, "phone"), ({"name": ""}, "name"),
])
def test_bad_centre_details_are_explained(client, coordinator, change, field):
    data = {"name": "MPT", "address": "Valence", "phone": "0475123456", "email": "a@example.org", **change}
    response = submit(client, "/admin/centre", data)
    assert response.status_code == 200 and f'id="{field}-error"' in response.page
    assert count(Centre) == 0
