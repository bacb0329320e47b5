"""The /admin blueprint, on which every set-up page module adds its routes.

Alone in its module so that those modules import it and it imports none of them; the list of
the set-up pages is `admin.pages`, which the application factory registers.
"""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
