"""A facilitator's own opening hours and absences: /desk/hours (issue 4 §7).

A facilitator manages only their own; a coordinator may open anyone's from here too, and
manages everyone's at /admin/hours. Centre-wide closures stay on /admin/closures.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..admin import opening
from ..admin.forms import AbsenceForm, OpeningRuleForm
from ..admin.hours import say_cancelled, upcoming_absences
from ..booking.contact import display_phone
from ..booking.models import Closure, OpeningRule
from ..extensions import db
from .views import bp


def own_rule_or_403(rule_id):
    rule = db.session.get(OpeningRule, rule_id) or abort(404)
    if rule.facilitator_id != current_user.id and not current_user.is_coordinator:
        abort(403)
    return rule


def own_absence_form():
    form = AbsenceForm(prefix="absence")
    del form.facilitator  # always the facilitator themselves
    return form


def render_hours(form=None):
    return render_template("desk/hours/index.html", rules=opening.rules_of(current_user.id),
                           absences=upcoming_absences(current_user.id),
                           form=form or own_absence_form(), calls=opening.calls_to_make(), display_phone=display_phone)


@bp.route("/hours")
def hours():
    return render_hours()


@bp.route("/hours/new", methods=["GET", "POST"])
def hours_rule_new():
    return rule_page(OpeningRule(capacity=1))


@bp.route("/hours/<int:rule_id>", methods=["GET", "POST"])
def hours_rule_edit(rule_id):
    return rule_page(own_rule_or_403(rule_id))


def rule_page(rule):
    form = OpeningRuleForm(obj=rule)
    del form.facilitator  # always the facilitator themselves (or whoever the rule already names)
    if rule.id is not None and not form.is_submitted():
        form.topics.data = [topic.id for topic in rule.topics]
        form.location.data = rule.location_id
    opening.fill_rule_choices(form, rule if rule.id else None)
    facilitator_id = rule.facilitator_id if rule.id else current_user.id
    if form.validate_on_submit() and opening.check_overlap(rule, form, facilitator_id):
        cancelled = opening.save_rule(rule, form, facilitator_id)
        flash(_("The opening hours are saved; the slots follow."), "success")
        say_cancelled(cancelled)
        return redirect(url_for("desk.hours"))
    return render_template("desk/hours/rule.html", form=form, rule=rule,
                           action=url_for("desk.hours_rule_edit", rule_id=rule.id) if rule.id
                           else url_for("desk.hours_rule_new"),
                           back=url_for("desk.hours"), back_label=_("My opening hours"), choose_facilitator=False)


@bp.route("/hours/<int:rule_id>/active", methods=["POST"])
def hours_rule_active(rule_id):
    rule = own_rule_or_403(rule_id)
    cancelled = opening.set_rule_active(rule, request.form.get("active") == "1")
    flash(_("The opening hours are saved; the slots follow."), "success")
    say_cancelled(cancelled)
    return redirect(url_for("desk.hours"))


@bp.route("/hours/absences", methods=["POST"])
def absence_new():
    form = own_absence_form()
    if form.validate_on_submit():
        cancelled = opening.add_absence(current_user.id, form.start_date.data, form.end_date.data,
                                        form.reason.data)
        flash(_("The absence is saved; its slots are no longer offered."), "success")
        say_cancelled(cancelled)
        return redirect(url_for("desk.hours"))
    return render_hours(form)


@bp.route("/hours/absences/<int:absence_id>/delete", methods=["POST"])
def absence_delete(absence_id):
    absence = db.session.get(Closure, absence_id) or abort(404)
    if absence.facilitator_id != current_user.id:
        # Another facilitator's absence, or a closure of the whole centre: not theirs to lift.
        abort(403)
    opening.remove_absence(absence)
    flash(_("The absence is removed; the slots are offered again."), "success")
    return redirect(url_for("desk.hours"))


@bp.route("/hours/calls/done", methods=["POST"])
def hours_calls_done():
    opening.forget_calls()
    return redirect(url_for("desk.hours"))
