"""Everyone's opening hours and absences, for coordinators: /admin/hours.

The screens are shared with a facilitator's own page (/desk/hours) through
`booking.opening_pages`; the rules themselves live in `booking.opening`.
"""
from flask import abort, request

from ..booking import opening_pages as pages
from ..booking.models import Closure, OpeningRule
from ..extensions import db
from .blueprint import bp


@bp.route("/hours")
def hours():
    return pages.hours_page(pages.everyone())


@bp.route("/hours/new", methods=["GET", "POST"])
def hours_rule_new():
    return pages.rule_page(OpeningRule(capacity=1), pages.everyone())


@bp.route("/hours/<int:rule_id>", methods=["GET", "POST"])
def hours_rule_edit(rule_id):
    return pages.rule_page(db.session.get(OpeningRule, rule_id) or abort(404), pages.everyone())


@bp.route("/hours/<int:rule_id>/active", methods=["POST"])
def hours_rule_active(rule_id):
    rule = db.session.get(OpeningRule, rule_id) or abort(404)
    return pages.rule_active(rule, request.form.get("active") == "1", pages.everyone())


@bp.route("/hours/absences", methods=["POST"])
def hours_absence_new():
    return pages.absence_new(pages.everyone())


@bp.route("/hours/absences/<int:absence_id>/delete", methods=["POST"])
def hours_absence_delete(absence_id):
    absence = db.session.get(Closure, absence_id) or abort(404)
    if absence.facilitator_id is None:
        abort(404)  # centre-wide closures are managed on their own page
    return pages.absence_delete(absence, pages.everyone())


@bp.route("/hours/calls/done", methods=["POST"])
def hours_calls_done():
    return pages.calls_done(pages.everyone())
