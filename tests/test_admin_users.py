"""Coordinators manage staff accounts on /admin/users."""
import pytest

from tiers_lieu.accounts.models import Role, User
from tiers_lieu.audit import AuditEvent
from tiers_lieu.extensions import db

from .conftest import log_in, submit

NEW_PASSWORD = "marble giraffe near Romans"


@pytest.fixture
def coordinator(client, login_as):
    return login_as(Role.COORDINATOR)


def reload(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


def edit(client, user, **changes):
    data = {"email": user.email, "display_name": user.display_name, "role": user.role,
            "language": user.language, "active": "y" if user.active else ""}
    data.update(changes)
    return submit(client, f"/admin/users/{user.id}", {k: v for k, v in data.items() if v != ""})


def test_the_list_shows_every_account(client, coordinator, make_user):
    other = make_user(name="Afiavi Dossou")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Afiavi Dossou" in page and other.email in page
    assert coordinator.display_name in page


def test_create_an_account_that_must_choose_its_password(app, client, coordinator):
    response = submit(client, "/admin/users/new", {
        "email": "New.Person@Example.org", "display_name": "New Person", "role": "facilitator",
        "language": "en", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
    })
    assert response.status_code == 302
    user = db.session.execute(db.select(User).where(User.email == "new.person@example.org")).scalar_one()
    assert (user.role, user.language, user.must_change_password) == ("facilitator", "en", True)
    newcomer = app.test_client()
    assert log_in(newcomer, "new.person@example.org", NEW_PASSWORD).headers["Location"] == "/account/password"


def test_create_refuses_a_duplicate_and_keeps_what_was_typed(client, coordinator, make_user):
    taken = make_user()
    response = submit(client, "/admin/users/new?lang=en", {
        "email": taken.email, "display_name": "Someone Typed This", "role": "facilitator",
        "language": "fr", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "An account with this e-mail address already exists." in page
    assert 'value="Someone Typed This"' in page


@pytest.mark.parametrize("email, password, confirm, message", [
    ("not-an-email", NEW_PASSWORD, NEW_PASSWORD, "Invalid email address."),
    ("ok@example.org", "short", "short", "Use at least 12 characters"),
    ("ok@example.org", NEW_PASSWORD, "something else", "The two passwords are different."),
    ("ok@example.org", "password1234", "password1234", "too common"),
])
def test_create_explains_bad_input(client, coordinator, email, password, confirm, message):
    response = submit(client, "/admin/users/new?lang=en", {
        "email": email, "display_name": "X", "role": "facilitator", "language": "fr",
        "new_password": password, "confirm_password": confirm,
    })
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(User.id))).scalar_one() == 1


def test_an_unknown_role_is_refused(client, coordinator):
    response = submit(client, "/admin/users/new", {
        "email": "ok@example.org", "display_name": "X", "role": "superuser", "language": "fr",
        "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
    })
    assert response.status_code == 200
    assert db.session.execute(db.select(db.func.count(User.id))).scalar_one() == 1


def test_change_role_and_deactivate(app, client, coordinator, make_user):
    other = make_user()
    other_browser = app.test_client()
    log_in(other_browser, other.email)

    assert edit(client, other, role="coordinator").status_code == 302
    assert reload(other).role == "coordinator"
    assert edit(client, reload(other), active="").status_code == 302
    assert reload(other).active is False
    assert other_browser.get("/desk/").status_code == 302
    assert log_in(app.test_client(), other.email).status_code == 200


def test_the_last_coordinator_cannot_be_demoted(client, coordinator):
    response = edit(client, coordinator, role="facilitator")
    assert "Il doit toujours y avoir au moins un·e coordinateur·rice actif·ve." in response.get_data(as_text=True)
    assert reload(coordinator).role == "coordinator"


def test_a_coordinator_cannot_deactivate_themselves(client, coordinator, make_user):
    make_user(role=Role.COORDINATOR)
    response = edit(client, coordinator, active="")
    assert response.status_code == 200
    assert reload(coordinator).active is True


def test_reset_password_logs_the_person_out_and_forces_a_new_one(app, client, coordinator, make_user):
    other = make_user()
    other_browser = app.test_client()
    log_in(other_browser, other.email)
    response = submit(client, f"/admin/users/{other.id}/password",
                      {"reset-new_password": NEW_PASSWORD, "reset-confirm_password": NEW_PASSWORD},
                      form_url=f"/admin/users/{other.id}")
    assert response.status_code == 302
    assert other_browser.get("/desk/").status_code == 302
    fresh = app.test_client()
    assert log_in(fresh, other.email, NEW_PASSWORD).headers["Location"] == "/account/password"


def test_reset_password_with_a_weak_password_says_why(client, coordinator, make_user):
    other = make_user()
    response = submit(client, f"/admin/users/{other.id}/password?lang=en",
                      {"reset-new_password": "short", "reset-confirm_password": "short"},
                      form_url=f"/admin/users/{other.id}")
    assert response.status_code == 200
    assert "Use at least 12 characters" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/admin/users/999999", "/admin/users/abc"])
def test_unknown_account_is_a_404(client, coordinator, path):
    assert client.get(path).status_code == 404


def test_changes_are_audited_without_personal_values(client, coordinator, make_user):
    other = make_user(name="Very Private Name")
    edit(client, other, role="coordinator", display_name="Another Private Name")
    event = db.session.execute(
        db.select(AuditEvent).where(AuditEvent.action == "user.update")
    ).scalar_one()
    assert event.actor_id == coordinator.id and event.target_id == other.id
    assert event.details["fields"] == ["display_name", "role"]
    assert "Private" not in str(event.details)
