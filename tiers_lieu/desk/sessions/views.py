"""The help-session log: /desk/sessions/… (issue 4 §4)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...booking.topics import active_topics
from ...core.centre import centre_timezone
from ...core.forms import refill_on_expired_csrf, submitted_and_valid
from ...core.inputs import id_argument
from ...extensions import db
from ..blueprint import bp
from ..models import HelpSession, NationalTheme, Outcome
from . import log as service
from .forms import SessionForm

ORIGINS = ("booking", "ticket", "slot", "resident")


def problem_message(problem):
    return {
        service.Problem.OTHER_DAY: _("This booking is on another day than the session's date. Change the date, "
                                     "or log the session from the day of the booking."),
        service.Problem.CANCELLED: _("This booking was cancelled, so no session can be logged for it. "
                                     "Log the session without the booking if the person came after all."),
        service.Problem.ALREADY_LOGGED: _("A session is already logged for this: it was not logged twice."),
        service.Problem.NO_SHOW: _("This booking is marked as a no-show. Mark the person as arrived on the "
                                   "day view first, or log the session without the booking."),
    }[problem]


def prepare(form, help_session=None, origin=None):
    """Give the form its lists: active entries, plus the ones an existing session already uses."""
    if help_session is None:
        topics, needs, targets, communes = service.form_lists(db.session)
        participants = origin.participants if origin is not None else []
    else:
        topics = [service.Entry(t.id, t.slug, t.name_fr, t.name_en, tuple(t.national_themes or ()))
                  for t in active_topics(db.session, keep=help_session.topics)]
        needs = service.active_needs(db.session, [n.id for n in help_session.needs])
        targets = service.active_referral_targets(db.session, help_session.referral_target_id)
        participants = service.workshop_bookings(db.session, help_session)
        communes = service.active_communes(db.session, [help_session.commune_id])
    form.set_lists(topics, needs, targets, participants, communes)
    return topics, participants


@bp.route("/sessions/new", methods=["GET", "POST"])
@refill_on_expired_csrf
def new_session():
    ids = {name: id_argument(name) for name in ORIGINS}
    origin = service.load_origin(db.session, booking_id=ids["booking"], ticket_id=ids["ticket"],
                                 slot_id=ids["slot"], resident_id=ids["resident"])
    if origin is None:
        abort(404)
    form = SessionForm()
    topics, participants = prepare(form, origin=origin)
    if request.method == "GET":
        form.fill(service.prefill(db.session, origin, centre_timezone()))
        if origin.booking is not None:
            try:
                service.check_booking(origin.booking, service.booking_day(origin.booking))
            except service.CannotLog as cannot:
                flash(problem_message(cannot.problem), "error")
    if submitted_and_valid(form):
        try:
            data = form.data_for_service()
            help_session = service.log_session(db.session, data, current_user, origin)
        except service.CannotLog as cannot:
            db.session.rollback()
            if cannot.problem is service.Problem.ALREADY_LOGGED and service.can_edit(
                    current_user, db.session.get(HelpSession, cannot.session_id)):
                flash(problem_message(cannot.problem), "info")
                return redirect(url_for("desk.edit_session", session_id=cannot.session_id))
            if cannot.problem is service.Problem.OTHER_DAY:
                form.day.errors = [*form.day.errors, problem_message(cannot.problem)]
            else:
                form.form_errors.append(problem_message(cannot.problem))
        else:
            flash(_("The session is saved."), "success")
            if data.outcome == Outcome.FOLLOW_UP.value:
                return redirect(follow_up_url(origin, help_session))
            # From what was sent: reading the saved row again would cost a statement.
            return redirect(url_for("desk.index", day=data.day.isoformat()))
    return render_form(form, topics, origin=origin, participants=participants, action=url_for("desk.new_session", **{
        name: value for name, value in ids.items() if value is not None}))


def follow_up_url(origin, help_session):
    """Where to book the follow-up: for the resident when known, else with the booking's contact."""
    person = origin.person
    if person is not None:
        return url_for("desk.book_for", resident=person.id, after=help_session.id)
    if origin.booking is not None:
        return url_for("desk.book_for", booking=origin.booking.id, after=help_session.id)
    # A walk-in: nothing earlier to take the topic from, so offer the free times of the session's topic.
    topic = next((topic for topic in help_session.topics if topic.active), None)
    return url_for("desk.book_for", after=help_session.id, topic=topic.slug if topic else None)


def editable_session(session_id):
    help_session = db.session.get(HelpSession, session_id) or abort(404)
    if not service.can_edit(current_user, help_session):
        abort(403)
    return help_session


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@refill_on_expired_csrf
def edit_session(session_id):
    help_session = editable_session(session_id)
    form = SessionForm()
    topics, participants = prepare(form, help_session=help_session)
    if request.method == "GET":
        form.fill(service.values_of(help_session))
    if submitted_and_valid(form):
        changed = service.update_session(db.session, help_session, form.data_for_service(), current_user)
        if changed:
            flash(_("The changes to the session are saved."), "success")
        else:
            flash(_("Nothing was changed."), "info")
        return redirect(url_for("desk.sessions"))
    return render_form(form, topics, participants=participants, help_session=help_session,
                       history=service.change_history(db.session, help_session),
                       action=url_for("desk.edit_session", session_id=help_session.id))


def render_form(form, topics, action, origin=None, participants=(), help_session=None, history=()):
    field_labels = {name: field.label.text for name, field in form._fields.items()}
    field_labels.update(duration_minutes=form.duration.label.text,
                        referral_target_id=form.referral_target.label.text,
                        equipment_own=form.equipment_own.label.text)
    field_labels.update(commune_id=form.commune.label.text, themes=form.themes.label.text)
    return render_template(
        "desk/sessions/form.html", form=form, origin=origin, participants=participants,
        help_session=help_session, history=history, action=action, field_labels=field_labels,
        topic_themes=form.topic_themes, admin_theme=NationalTheme.ADMIN_PROCEDURES.value,
        admin_topic_ids={topic.id for topic in topics if topic.slug in service.ADMIN_TOPIC_SLUGS
                         or NationalTheme.ADMIN_PROCEDURES.value in topic.themes})


@bp.route("/sessions/")
def sessions():
    return render_template("desk/sessions/list.html", outcome_label=Outcome.label_of,
                           sessions=service.recent_sessions(db.session, current_user))
