"""Command-line: staff accounts and demo data."""
from tiers_lieu.accounts.models import User
from tiers_lieu.demo import DEMO_PASSWORD
from tiers_lieu.extensions import db

from .conftest import log_in, make_app


def count_users():
    return db.session.execute(db.select(db.func.count(User.id))).scalar_one()


def test_users_create_asks_the_password_twice(runner):
    result = runner.invoke(args=["users", "create", "--email", "Boss@Example.org", "--name", "Boss",
                                 "--role", "coordinator"],
                           input="amber lantern at dawn\namber lantern at dawn\n")
    assert result.exit_code == 0, result.output
    user = db.session.execute(db.select(User)).scalar_one()
    assert (user.email, user.role) == ("boss@example.org", "coordinator")


def test_users_create_refuses_a_weak_password(runner):
    result = runner.invoke(args=["users", "create", "--email", "a@example.org", "--name", "A",
                                 "--password", "password1234"])
    assert result.exit_code != 0
    assert "trop courant" in result.output
    assert count_users() == 0


def test_seed_demo_creates_the_centre_and_staff_once(runner, client):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    assert count_users() == 3
    assert log_in(client, "coordinator@example.org", DEMO_PASSWORD).status_code == 302
    assert "Maison Pour Tous — Petit Charran" in client.get("/").get_data(as_text=True)


def test_seed_demo_if_empty_leaves_a_used_database_alone(runner, make_user):
    make_user()
    result = runner.invoke(args=["seed", "demo", "--if-empty"])
    assert "not loaded" in result.output
    assert count_users() == 1


def test_seed_demo_is_refused_in_production(database_urls):
    app = make_app(database_urls["sqlite"], DEMO_DATA_ALLOWED=False)
    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code != 0
    assert "refused in production" in result.output
