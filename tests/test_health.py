"""GET /healthz tells a load balancer whether the database answers."""
from datetime import datetime, timedelta, timezone

import pytest

from config import TestConfig
from tiers_lieu import create_app


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("url", [
    "sqlite:////nonexistent-directory/tiers_lieu.db",
    "postgresql+psycopg://nobody@127.0.0.1:1/none",
])
def test_healthz_answers_503_when_the_database_does_not(url):
    app = create_app(type("Unreachable", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url,
                                                         "PROPAGATE_EXCEPTIONS": False}))
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    # The other pages say so politely, with the centre's phone number, instead of a traceback.
    page = client.get("/")
    assert page.status_code == 500
    assert "Un problème est survenu de notre côté" in page.get_data(as_text=True)
    assert "04 75 00 00 00" in page.get_data(as_text=True)


def test_security_txt_says_where_to_report_a_vulnerability(client, app):
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    fields = dict(line.split(": ", 1) for line in response.get_data(as_text=True).splitlines())
    assert fields["Contact"].startswith("mailto:") and "@" in fields["Contact"]
    assert fields["Canonical"] == "http://localhost/.well-known/security.txt"
    expires = datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert timedelta(days=30) < expires - datetime.now(timezone.utc) < timedelta(days=365)
    app.config["SECURITY_CONTACT"] = "https://numerique.example.org/securite"
    assert "Contact: https://numerique.example.org/securite" in client.get("/.well-known/security.txt").page
