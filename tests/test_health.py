"""GET /healthz tells a load balancer whether the database answers."""
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
