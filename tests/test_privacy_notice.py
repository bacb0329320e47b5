"""The privacy notice (/privacy) and the record of processing (/admin/privacy) say what the settings
in force say: the centre, the data-protection contact and each retention in months; the notice is
reached from every page's footer, the booking and call-back forms and the kiosk."""
import pytest
from flask import current_app
from flask_babel import force_locale

from tiers_lieu.accounts.models import Role
from tiers_lieu.core.centre import Centre
from tiers_lieu.extensions import db
from tiers_lieu.privacy import notice, retention
from tiers_lieu.privacy.models import RETENTION_RANGE

from .factories import make_slots, make_topic

PRIVACY_LINK = 'href="/privacy"'


@pytest.fixture
def centre(app):
    db.session.add(Centre(name="Maison Pour Tous du Plan", address="12 rue des Tilleuls, 26000 Valence",
                          phone="04 75 00 00 00", email="accueil@mpt-plan.example.org"))
    db.session.commit()
    return "Maison Pour Tous du Plan"


def save(**values):
    retention.save(db.session, actor=None, **values)
    db.session.commit()


def test_every_setting_is_told_to_residents_and_filed_in_the_record():
    assert set(notice.TOLD_TO_RESIDENTS) == set(RETENTION_RANGE)
    assert set(notice.RECORD_KINDS) == set(RETENTION_RANGE)


def test_the_notice_names_the_centre_and_sends_questions_to_the_desk_by_default(client, centre):
    page = client.get("/privacy?lang=en").page
    assert "<h1>Your personal data</h1>" in page
    assert centre in page and "12 rue des Tilleuls, 26000 Valence" in page and "accueil@mpt-plan.example.org" in page
    assert "ask at the reception desk or contact the centre" in page
    assert "24 months after the appointment" in page and "6 months after your request ended" in page
    assert "3 months after they were sent" in page and "Until the end of the day." in page
    assert "14 days" in page  # the nightly backups kept (BACKUP_KEEP)
    assert "https://www.cnil.fr/fr/plaintes" in page and "75334 Paris Cedex 07" in page
    assert 'href="/booking"' in page  # where residents find their appointment to delete their details
    assert "When we send you a confirmation or a reminder" in page and "For the centre's staff" in page
    assert "Your visits are kept under your name only if you agree." in page  # the resident record needs no consent


def test_the_notice_follows_the_settings_as_soon_as_they_are_saved(client, centre):
    save(booking_months=36, callback_months=1, message_months=2, resident_months=18,
         protection_contact="Mme Martin, dpo@mpt-plan.example.org")
    page = client.get("/privacy?lang=en").page
    assert "36 months after the appointment" in page and "24 months after the appointment" not in page
    assert "1 month after your request ended" in page  # the singular
    assert "2 months after they were sent" in page and "18 months after your last visit" in page
    assert "write to or call: <bdi>Mme Martin, dpo@mpt-plan.example.org</bdi>" in page
    assert "ask at the reception desk or contact the centre" not in page


def test_the_notice_reads_in_french_by_default(client, centre):
    page = client.get("/privacy").page
    assert '<html lang="fr"' in page
    assert "<h1>Vos données personnelles</h1>" in page
    assert "24 mois après le rendez-vous" in page and "CNIL" in page


def test_an_empty_database_still_has_a_notice(client):
    """Before the centre is set up, the configured name and the default retention show."""
    page = client.get("/privacy?lang=en").page
    assert current_app.config["CENTRE_NAME"] in page and "24 months after the appointment" in page


def test_the_notice_is_linked_from_the_footer_the_forms_and_the_kiosk(client):
    topic = make_topic()
    slot = make_slots(topic)[0]
    for path in ("/", f"/book/{topic.slug}", f"/book/slot/{slot.id}?topic={topic.slug}",
                 f"/book/{topic.slug}/callback", "/booking", "/login", "/kiosk"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert PRIVACY_LINK in response.page, path
    form = client.get(f"/book/slot/{slot.id}?topic={topic.slug}").page
    assert form.index(PRIVACY_LINK) < form.index("</form>")  # beside the fields, not only in the footer
    callback = client.get(f"/book/{topic.slug}/callback").page
    assert callback.index(PRIVACY_LINK) < callback.index("</form>")


def test_the_record_of_processing_is_written_from_the_settings(client, login_as, centre):
    save(resident_months=30, audit_author_months=6, protection_contact="dpo@mpt-plan.example.org")
    login_as(Role.COORDINATOR)
    page = client.get("/admin/privacy?lang=en").page
    assert "<h1>Record of processing</h1>" in page
    assert centre in page and "dpo@mpt-plan.example.org" in page
    assert "<td>30 months</td>" in page and "<td>6 months</td>" in page and "<td>24 months</td>" in page
    with force_locale("en"):
        meanings = [str(meaning) for meaning in retention.MEANINGS.values()]
    assert [meaning for meaning in meanings if meaning not in page] == []
    assert "Argon2" in page and "data-print" in page
    assert "last 14 nightly copies" in page
    assert 'href="/admin/privacy"' in client.get("/admin/?lang=en").page
    assert 'href="/admin/privacy"' in client.get("/admin/retention?lang=en").page


def test_the_record_says_when_the_login_cookie_may_travel_in_clear(client, login_as, app):
    login_as(Role.COORDINATOR)
    app.config["SESSION_COOKIE_SECURE"] = False
    assert "set SESSION_COOKIE_SECURE=1" in client.get("/admin/privacy?lang=en").page
    with force_locale("en"):
        measures = notice.security_measures({**app.config, "SESSION_COOKIE_SECURE": True}, "sqlite")
    assert "The login cookie is only sent over HTTPS." in measures
    assert not any("SESSION_COOKIE_SECURE=1" in measure for measure in measures)


def test_the_record_says_what_erasing_does_on_the_database_in_use(client, login_as):
    """SQLite overwrites erased values (secure_delete); PostgreSQL keeps old row versions until a vacuum."""
    login_as(Role.COORDINATOR)
    page = client.get("/admin/privacy?lang=en").page
    overwritten, vacuum = "erased values are overwritten in the database file", "at its next vacuum"
    if db.session.get_bind().dialect.name == "sqlite":
        assert overwritten in page and vacuum not in page
    else:
        assert vacuum in page and overwritten not in page


def test_only_coordinators_read_the_record(client, login_as):
    assert client.get("/admin/privacy").status_code in (302, 401)
    login_as(Role.FACILITATOR)
    assert client.get("/admin/privacy").status_code == 403
