"""A facilitator's own opening hours and absences: /desk/hours (issue 4 §7)."""
from flask import abort

from .views import bp


@bp.route("/hours")
def hours():
    abort(404)  # skeleton: replaced by the opening-hours pages
