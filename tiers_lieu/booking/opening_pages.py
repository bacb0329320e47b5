"""The opening-hours screens, shared by the coordinators' /admin/hours and a facilitator's /desk/hours.

Forms in, `booking.opening` called with plain values, messages and the residents to call out.
Each blueprint keeps its own routes and access checks; an `HoursScope` says whose hours a page
shows, whether it chooses the facilitator, and which blueprint's pages it leads back to.
"""
from dataclasses import dataclass

from flask import flash, redirect, render_template, url_for
from flask import session as browser_session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from wtforms import DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..accounts.models import User
from ..core.forms import BaseForm
from ..extensions import db
from . import opening
from .contact import display_phone
from .forms import MultiCheckboxField
from .models import Location
from .topics import active_topics

WEEKDAY_NAMES = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                 _l("Saturday"), _l("Sunday")]


class OpeningRuleForm(BaseForm):
    """One weekly opening: the coordinator chooses the facilitator, a facilitator is themselves."""

    weekday = SelectField(_l("Day of the week"), coerce=int, validators=[InputRequired()],
                          choices=lambda: list(enumerate(WEEKDAY_NAMES)))
    start_time = TimeField(_l("Opens at"), validators=[InputRequired()])
    end_time = TimeField(_l("Closes at"), validators=[InputRequired()])
    slot_length = IntegerField(_l("Length of each slot, in minutes"),
                               validators=[InputRequired(), NumberRange(min=5, max=480)])
    capacity = IntegerField(_l("Seats per slot (1: individual help, more: a collective workshop)"),
                            validators=[InputRequired(), NumberRange(min=1, max=50)], default=1)
    workshop_title = StringField(_l("Title of the workshop"), validators=[Optional(), Length(max=160)])
    topics = MultiCheckboxField(_l("Topics served"), coerce=int)
    facilitator = SelectField(_l("Facilitator"), coerce=int, default=0)
    location = SelectField(_l("Place"), coerce=int, validators=[InputRequired()])
    valid_from = DateField(_l("From"), validators=[InputRequired()])
    valid_until = DateField(_l("Until (included, optional)"), validators=[Optional()])

    def validate_end_time(self, field):
        start = self.start_time.data
        if start is None or field.data is None:
            return
        if field.data <= start:
            raise ValidationError(_l("The closing time must be after the opening time."))

    def validate_slot_length(self, field):
        start, end = self.start_time.data, self.end_time.data
        if start is None or end is None or field.data is None or end <= start:
            return
        minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        if field.data > minutes:
            raise ValidationError(_l("A slot cannot be longer than the opening (%(num)d minutes).", num=minutes))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # Here rather than inline: the field's Optional() validator stops its chain when it is empty.
        if (self.capacity.data or 1) > 1 and not self.workshop_title.data:
            self.workshop_title.errors = [*self.workshop_title.errors,
                                          _l("A workshop with several seats needs a title.")]
            valid = False
        return valid

    def validate_topics(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one topic."))

    def validate_valid_until(self, field):
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("The last day cannot be before the first day."))


class AbsenceForm(BaseForm):
    facilitator = SelectField(_l("Facilitator"), coerce=int, default=0)
    start_date = DateField(_l("First day"), validators=[InputRequired()])
    end_date = DateField(_l("Last day (included)"), validators=[InputRequired()])
    reason = StringField(_l("Reason (seen by staff only)"), validators=[Optional(), Length(max=160)])

    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_l("The last day cannot be before the first day."))


@dataclass(frozen=True)
class HoursScope:
    """Whose opening hours a page manages, and where it belongs."""

    blueprint: str                      # "admin" (everyone's) or "desk" (the facilitator's own)
    index_template: str
    rule_template: str
    back_label: str
    facilitator_id: int | None = None   # None: everyone's, and the form names the facilitator

    @property
    def chooses_facilitator(self):
        return self.facilitator_id is None

    def url(self, endpoint, **values):
        return url_for(f"{self.blueprint}.{endpoint}", **values)


def everyone():
    return HoursScope("admin", "admin/hours.html", "admin/hours_rule.html", _l("Opening hours and absences"))


def own():
    return HoursScope("desk", "desk/hours/index.html", "desk/hours/rule.html", _l("My opening hours"),
                      facilitator_id=current_user.id)


def active_staff():
    return db.session.execute(
        db.select(User).where(User.active.is_(True)).order_by(User.display_name)).scalars().all()


def absence_form(scope):
    form = AbsenceForm(prefix="absence")
    if scope.chooses_facilitator:
        form.facilitator.choices = [(user.id, user.display_name) for user in active_staff()]
    else:
        del form.facilitator  # always the facilitator themselves
    return form


def hours_page(scope, form=None):
    return render_template(
        scope.index_template, rules=opening.rules_of(db.session, scope.facilitator_id),
        absences=opening.upcoming_absences(db.session, scope.facilitator_id), form=form or absence_form(scope),
        calls=opening.bookings_to_call(db.session, calls_to_make()), display_phone=display_phone)


def rule_form(rule, scope):
    """The form for a new or existing rule, offering the active topics and places (and those the
    rule already uses) and, for coordinators, the staff."""
    form = OpeningRuleForm(obj=rule)
    if rule.id is not None and not form.is_submitted():
        form.topics.data = [topic.id for topic in rule.topics]
        form.facilitator.data = rule.facilitator_id or 0
        form.location.data = rule.location_id
    topics = active_topics(db.session, keep=rule.topics if rule.id else ())
    locations = db.session.execute(db.select(Location).where(Location.active.is_(True))
                                   .order_by(Location.position, Location.id)).scalars().all()
    if rule.id is not None and rule.location not in locations:
        locations.append(rule.location)
    form.topics.choices = [(topic.id, topic.name) for topic in topics]
    form.location.choices = [(location.id, location.name) for location in locations]
    if scope.chooses_facilitator:
        form.facilitator.choices = [(0, _l("Nobody in particular"))] + [
            (user.id, user.display_name) for user in active_staff()]
    else:
        # The facilitator themselves, or whoever an existing rule already names (a coordinator
        # may open a colleague's rule from the desk).
        del form.facilitator
    return form


def rule_values(form, facilitator_id):
    return opening.RuleValues(
        weekday=form.weekday.data, start_time=form.start_time.data, end_time=form.end_time.data,
        slot_length=form.slot_length.data, capacity=form.capacity.data, location_id=form.location.data,
        valid_from=form.valid_from.data, valid_until=form.valid_until.data,
        topic_ids=tuple(form.topics.data), facilitator_id=facilitator_id,
        workshop_title=form.workshop_title.data)


def rule_page(rule, scope):
    """Add or edit an opening rule: the form, then the save and its consequences."""
    form = rule_form(rule, scope)
    if scope.chooses_facilitator:
        facilitator_id = (form.facilitator.data or None) if form.is_submitted() else rule.facilitator_id
    else:
        facilitator_id = rule.facilitator_id if rule.id else scope.facilitator_id
    if form.validate_on_submit():
        values = rule_values(form, facilitator_id)
        other = opening.overlapping_rule(db.session, values, rule.id)
        if other is None:
            say_saved(_("The opening hours are saved; the slots follow."), opening.save_rule(db.session, rule, values))
            return redirect(scope.url("hours"))
        form.start_time.errors = [*form.start_time.errors, _l(
            "This facilitator already has opening hours from %(start)s to %(end)s that day. "
            "Change the times, or deactivate the other opening first.",
            start=other.start_time.strftime("%H:%M"), end=other.end_time.strftime("%H:%M"))]
    return render_template(scope.rule_template, form=form, rule=rule,
                           action=scope.url("hours_rule_edit", rule_id=rule.id) if rule.id
                           else scope.url("hours_rule_new"),
                           back=scope.url("hours"), back_label=scope.back_label,
                           choose_facilitator=scope.chooses_facilitator)


def rule_active(rule, active, scope):
    say_saved(_("The opening hours are saved; the slots follow."), opening.set_rule_active(db.session, rule, active))
    return redirect(scope.url("hours"))


def absence_new(scope):
    form = absence_form(scope)
    if form.validate_on_submit():
        facilitator_id = form.facilitator.data if scope.chooses_facilitator else scope.facilitator_id
        resync = opening.add_absence(db.session, facilitator_id, form.start_date.data, form.end_date.data,
                                     form.reason.data)
        say_saved(_("The absence is saved; its slots are no longer offered."), resync)
        return redirect(scope.url("hours"))
    return hours_page(scope, form)


def absence_delete(absence, scope):
    opening.remove_absence(db.session, absence)
    flash(_("The absence is removed; the slots are offered again."), "success")
    return redirect(scope.url("hours"))


def calls_done(scope):
    browser_session.pop(CALLS_KEY, None)
    return redirect(scope.url("hours"))


def say_saved(done, resync):
    """Say the change is saved and what it did to booked residents; keep them for the calls list."""
    flash(done, "success")
    if resync.cancelled:
        remember_calls(resync.cancelled)
        flash(ngettext("%(num)d booking was cancelled: the resident is notified. Call them too (list below).",
                       "%(num)d bookings were cancelled: the residents are notified. Call them too (list below).",
                       len(resync.cancelled)), "error")


# The residents to call are kept in the person's browser session, as booking ids (never their
# contact), until they say all are called: the list belongs to whoever made the change.
CALLS_KEY = "calls_to_make"


def remember_calls(booking_ids):
    browser_session[CALLS_KEY] = (browser_session.get(CALLS_KEY, []) + booking_ids)[-200:]


def calls_to_make():
    return [int(value) for value in browser_session.get(CALLS_KEY, []) if str(value).isdigit()]
