"""Entry point for gunicorn: `gunicorn wsgi:app`."""
from tiers_lieu import create_app

app = create_app()
