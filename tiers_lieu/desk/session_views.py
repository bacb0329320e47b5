"""The help-session log: /desk/sessions/… (issue 4 §4)."""
from flask import abort

from .views import bp


@bp.route("/sessions/new")
def new_session():
    abort(404)  # skeleton: replaced by the session log
