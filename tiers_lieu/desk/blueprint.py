"""The /desk blueprint, on which every page module of the desk adds its routes.

It is alone in its module so that those modules import it, and it imports none of them: the
list of the desk's pages is `desk.pages`, which the application factory registers.
"""
from flask import Blueprint

bp = Blueprint("desk", __name__, url_prefix="/desk")
