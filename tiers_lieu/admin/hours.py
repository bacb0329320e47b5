"""Everyone's opening hours and absences, for coordinators: /admin/hours."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.centre import centre_today
from ..booking.contact import display_phone
from ..booking.models import Closure, OpeningRule
from ..extensions import db
from . import opening
from .forms import AbsenceForm, OpeningRuleForm
from .views import bp


def say_cancelled(cancelled):
    """Tell staff what a change did to booked residents."""
    if cancelled:
        flash(ngettext("%(num)d booking was cancelled: the resident is notified. Call them too (list below).",
                       "%(num)d bookings were cancelled: the residents are notified. Call them too (list below).",
                       len(cancelled)), "error")


def upcoming_absences(facilitator_id=None):
    today = centre_today()
    query = (select(Closure).where(Closure.facilitator_id.is_not(None), Closure.end_date >= today)
             .options(selectinload(Closure.facilitator)).order_by(Closure.start_date, Closure.id))
    if facilitator_id is not None:
        query = query.where(Closure.facilitator_id == facilitator_id)
    return db.session.execute(query).scalars().all()


def absence_form(staff, prefix="absence"):
    form = AbsenceForm(prefix=prefix)
    form.facilitator.choices = [(user.id, user.display_name) for user in staff]
    return form


def render_hours(form=None):
    staff = opening.active_staff()
    return render_template("admin/hours.html", rules=opening.rules_of(), absences=upcoming_absences(),
                           form=form or absence_form(staff), calls=opening.calls_to_make(), display_phone=display_phone)


@bp.route("/hours")
def hours():
    return render_hours()


@bp.route("/hours/new", methods=["GET", "POST"])
def hours_rule_new():
    return rule_page(OpeningRule(capacity=1))


@bp.route("/hours/<int:rule_id>", methods=["GET", "POST"])
def hours_rule_edit(rule_id):
    return rule_page(db.session.get(OpeningRule, rule_id) or abort(404))


def rule_page(rule):
    form = OpeningRuleForm(obj=rule)
    if rule.id is not None and not form.is_submitted():
        form.topics.data = [topic.id for topic in rule.topics]
        form.facilitator.data = rule.facilitator_id or 0
        form.location.data = rule.location_id
    opening.fill_rule_choices(form, rule if rule.id else None, opening.active_staff())
    if form.validate_on_submit() and opening.check_overlap(rule, form, form.facilitator.data or None):
        cancelled = opening.save_rule(rule, form, form.facilitator.data or None)
        flash(_("The opening hours are saved; the slots follow."), "success")
        say_cancelled(cancelled)
        return redirect(url_for("admin.hours"))
    return render_template("admin/hours_rule.html", form=form, rule=rule,
                           action=url_for("admin.hours_rule_edit", rule_id=rule.id) if rule.id
                           else url_for("admin.hours_rule_new"),
                           back=url_for("admin.hours"), back_label=_("Opening hours and absences"),
                           choose_facilitator=True)


@bp.route("/hours/<int:rule_id>/active", methods=["POST"])
def hours_rule_active(rule_id):
    rule = db.session.get(OpeningRule, rule_id) or abort(404)
    cancelled = opening.set_rule_active(rule, request.form.get("active") == "1")
    flash(_("The opening hours are saved; the slots follow."), "success")
    say_cancelled(cancelled)
    return redirect(url_for("admin.hours"))


@bp.route("/hours/absences", methods=["POST"])
def hours_absence_new():
    form = absence_form(opening.active_staff())
    if form.validate_on_submit():
        cancelled = opening.add_absence(form.facilitator.data, form.start_date.data, form.end_date.data,
                                        form.reason.data)
        flash(_("The absence is saved; its slots are no longer offered."), "success")
        say_cancelled(cancelled)
        return redirect(url_for("admin.hours"))
    return render_hours(form)


@bp.route("/hours/absences/<int:absence_id>/delete", methods=["POST"])
def hours_absence_delete(absence_id):
    absence = db.session.get(Closure, absence_id) or abort(404)
    if absence.facilitator_id is None:
        abort(404)  # centre-wide closures are managed on their own page
    opening.remove_absence(absence)
    flash(_("The absence is removed; the slots are offered again."), "success")
    return redirect(url_for("admin.hours"))


@bp.route("/hours/calls/done", methods=["POST"])
def hours_calls_done():
    opening.forget_calls()
    return redirect(url_for("admin.hours"))
