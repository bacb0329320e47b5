"""A facilitator's own opening hours and absences: /desk/hours.

A facilitator manages only their own; a coordinator may open anyone's rule from here too, and
manages everyone's at /admin/hours. Centre-wide closures stay on /admin/closures. The screens
are `booking.opening_pages`, the rules `booking.opening`.
"""
from flask import abort, request
from flask_login import current_user

from ..booking import opening_pages as pages
from ..booking.models import Closure, OpeningRule
from ..extensions import db
from .blueprint import bp


def own_rule_or_403(rule_id):
    rule = db.session.get(OpeningRule, rule_id) or abort(404)
    if rule.facilitator_id != current_user.id and not current_user.is_coordinator:
        abort(403)
    return rule


@bp.route("/hours")
def hours():
    return pages.hours_page(pages.own())


@bp.route("/hours/new", methods=["GET", "POST"])
def hours_rule_new():
    return pages.rule_page(OpeningRule(capacity=1), pages.own())


@bp.route("/hours/<int:rule_id>", methods=["GET", "POST"])
def hours_rule_edit(rule_id):
    return pages.rule_page(own_rule_or_403(rule_id), pages.own())


@bp.route("/hours/<int:rule_id>/active", methods=["POST"])
def hours_rule_active(rule_id):
    return pages.rule_active(own_rule_or_403(rule_id), request.form.get("active") == "1", pages.own())


@bp.route("/hours/absences", methods=["POST"])
def absence_new():
    return pages.absence_new(pages.own())


@bp.route("/hours/absences/<int:absence_id>/delete", methods=["POST"])
def absence_delete(absence_id):
    absence = db.session.get(Closure, absence_id) or abort(404)
    if absence.facilitator_id != current_user.id:
        # Another facilitator's absence, or a closure of the whole centre: not theirs to lift.
        abort(403)
    return pages.absence_delete(absence, pages.own())


@bp.route("/hours/calls/done", methods=["POST"])
def hours_calls_done():
    return pages.calls_done(pages.own())
