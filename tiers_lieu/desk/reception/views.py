"""The day at the desk: appointments, check-in, the walk-in queue and call-back requests (/desk/)."""
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional
from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ...accounts.models import User
from ...booking import callbacks as callback_requests
from ...booking.availability import booking_rules
from ...booking.contact import display_phone
from ...booking.forms import moment_words, sends_texts
from ...booking.models import BookingStatus, CallbackRequest, Location
from ...booking.topics import active_topic_labels
from ...core.centre import centre_timezone, centre_today
from ...core.forms import refill_on_expired_csrf, submitted_and_valid
from ...core.inputs import id_from
from ...core.links import row_links
from ...database import utcnow
from ...extensions import db
from ...notify import board
from ..blueprint import bp
from ..models import QueueTicket, TicketSource, TicketStatus
from . import agenda, day_rows, queue
from .forms import CallNextForm, CancelForm, WalkInForm


@bp.route("/")
def index():
    """The day at the desk: the slots and their bookings, the walk-in queue, call-back requests."""
    view = day_from_request()
    return render_template("desk/day.html", **day_context(view))


@bp.route("/day/fragment")
def day_fragment():
    """The agenda, the queue and the call-backs alone, for the page to refresh itself (static/js/desk.js)."""
    view = day_from_request(quiet=True)
    return render_template("desk/_day_parts.html", **day_context(view))


# How each waiting person hears of a seat, as the desk reads it.
NOTIFY_LABELS = {"sms": _l("offered by text message"), "email": _l("offered by e-mail"),
                 "call": _l("wants a call")}


def notify_labels():
    """Once texts are switched off, those who asked for one before are called (`callbacks.called_by_desk`)."""
    if sends_texts():
        return NOTIFY_LABELS
    return {**NOTIFY_LABELS, "sms": _l("asked for a text message, which the centre no longer sends: call them")}


@bp.route("/callbacks")
def callbacks():
    """Residents who asked to be called back, oldest first; a freed seat shows as a match."""
    requests = callback_requests.waiting(db.session, booking_rules(db.session), utcnow())
    return render_template("desk/callbacks.html", requests=requests, moment_words=moment_words,
                           display_phone=display_phone, notify_labels=notify_labels())


@bp.route("/callbacks/<int:request_id>/handled", methods=["POST"])
def callback_handled(request_id):
    callback = db.session.get(CallbackRequest, request_id) or abort(404)
    if callback_requests.mark_handled(db.session, callback, by_id=current_user.id):
        db.session.commit()
        flash(_("The request of %(name)s is marked as handled.", name=callback.first_name), "success")
    else:
        flash(_("A colleague already handled this request."), "info")
    if request.form.get("back") == "day":
        return redirect(back_to_day())
    return redirect(url_for("desk.callbacks"))


# --- the day -------------------------------------------------------------------------------

@dataclass
class DayView:
    """What the day view shows: the day, its filters, and whether the asked day was understood."""

    day: date
    today: date
    facilitator_id: Optional[int] = None
    location_id: Optional[int] = None

    def args(self, **overrides):
        values = {"day": self.day.isoformat(), "facilitator": self.facilitator_id, "place": self.location_id}
        values.update(overrides)
        return {key: value for key, value in values.items() if value}


def day_from_request(source=None, quiet=False):
    """Read ?day=, ?facilitator=, ?place= (or the same hidden fields of a form).

    A date that cannot be read means today, with a message unless `quiet` (the refreshed parts).
    """
    source = source if source is not None else request.args
    today = centre_today()
    day = today
    raw = source.get("day")
    if raw:
        day = agenda.parse_day(raw, today)
        if day is None and not quiet:
            flash(_("We could not read the date “%(date)s”. Here is today.", date=raw[:20]), "error")
        day = day or today
    return DayView(day=day, today=today, facilitator_id=id_from(source.get("facilitator")),
                   location_id=id_from(source.get("place")))


def back_to_day():
    """The day view a desk form was sent from, with its filters."""
    return url_for("desk.index", **day_from_request(request.form).args())


# The day view lists the oldest call-back requests; the others are a link away (/desk/callbacks).
DAY_CALLBACKS = 8


def day_links():
    """The addresses of the day's per-row actions, built once per page."""
    return row_links(
        arrived=("desk.booking_arrived", "booking_id", {}), no_show=("desk.booking_no_show", "booking_id", {}),
        cancel=("desk.booking_cancel", "booking_id", {}), log=("desk.new_session", "booking", {}),
        workshop=("desk.new_session", "slot", {}), resident=("desk.resident", "resident_id", {}),
        link_booking=("desk.residents", "booking", {}), log_ticket=("desk.new_session", "ticket", {}),
        link_ticket=("desk.residents", "ticket", {}),
        served=("desk.ticket_action", "ticket_id", {"action": "served"}),
        recall=("desk.ticket_action", "ticket_id", {"action": "recall"}),
        left=("desk.ticket_action", "ticket_id", {"action": "left"}),
        book=("desk.book_for", "callback", {}), handled=("desk.callback_handled", "request_id", {}),
    )


def day_context(view):
    """Everything the day view and its refreshed parts show, in a fixed number of queries."""
    tz = centre_timezone()
    now = utcnow()
    rules = booking_rules(db.session)
    day_agenda = agenda.day_agenda(db.session, view.day, tz, view.facilitator_id, view.location_id)
    topics = active_topic_labels(db.session)
    in_line = queue.line(db.session, view.day)
    callbacks, callbacks_waiting = callback_requests.oldest_waiting(db.session, DAY_CALLBACKS, rules, now)
    links, day_query = day_links(), "?" + urlencode(view.args())
    return {
        "view": view,
        "slots": day_rows.slot_rows(day_agenda, links=links, day_query=day_query, is_today=view.day == view.today,
                                    now=now, failures=board.failures_by_booking(
                                        db.session, [booking.id for booking in day_agenda.bookings])),
        "now": now,
        "rules": rules,
        "waiting": queue.with_waiting_times(in_line.waiting, now),
        "called": in_line.called,
        "callbacks": callbacks,
        "callbacks_more": callbacks_waiting - len(callbacks),
        "links": links,
        "moment_words": moment_words,
        "notify_labels": notify_labels(),
        "display_phone": display_phone,
        # The filters' choices, as (id, name) rows.
        "facilitators": db.session.execute(
            select(User.id, User.display_name).where(User.active.is_(True)).order_by(User.display_name)).all(),
        "locations": db.session.execute(
            select(Location.id, Location.name).where(Location.active.is_(True))
            .order_by(Location.position, Location.name)).all(),
        "walk_in_form": WalkInForm(topics, formdata=None),
        "call_form": CallNextForm(formdata=None, desk=session.get("desk_label", "")),
        "statuses": BookingStatus,
        "ticket_statuses": TicketStatus,
        "is_today": view.day == view.today,
        "late_grace": rules.late_grace_minutes,
        "one_day": timedelta(days=1),
    }


AGENDA_REFUSALS = {
    agenda.AgendaRefusal.NOT_TODAY: _l("This appointment is not today: only today's appointments can be "
                                       "checked in."),
    agenda.AgendaRefusal.CANCELLED: _l("This appointment is cancelled: nothing was changed. If the person "
                                       "is here, give them a walk-in ticket."),
    agenda.AgendaRefusal.ALREADY_ARRIVED: _l("This person is already checked in."),
    agenda.AgendaRefusal.NOT_STARTED: _l("This appointment has not started yet: a no-show can only be "
                                         "marked once it has begun."),
    agenda.AgendaRefusal.NOT_EXPECTED: _l("This appointment is no longer expected (arrived, seen or "
                                          "cancelled): nothing was changed."),
    agenda.AgendaRefusal.NO_SEAT: _l("The seat of this appointment was given to someone else meanwhile. "
                                     "Give the person a walk-in ticket."),
}

QUEUE_REFUSALS = {
    queue.QueueRefusal.NOT_TODAY: _l("This ticket is not from today."),
    queue.QueueRefusal.NOT_CALLED: _l("Call this ticket before marking it as served."),
    queue.QueueRefusal.CLOSED: _l("This ticket is already closed: nothing was changed."),
}


def booking_or_404(booking_id):
    return agenda.load_booking(db.session, booking_id) or abort(404)


def day_of(booking):
    return agenda.local_day(booking.slot.starts_at, centre_timezone())


@bp.route("/bookings/<int:booking_id>/arrived", methods=["POST"])
def booking_arrived(booking_id):
    booking = booking_or_404(booking_id)
    try:
        ticket = agenda.check_in(db.session, booking, rules=booking_rules(db.session), tz=centre_timezone())
    except agenda.AgendaRefused as refusal:
        flash(AGENDA_REFUSALS[refusal.reason], "error")
        return redirect(back_to_day())
    if ticket is None:
        flash(_("%(name)s has arrived.", name=booking.first_name), "success")
    else:
        flash(_("%(name)s has arrived more than %(minutes)d minutes late and joins the walk-in queue with "
                "ticket %(ticket)s.", name=booking.first_name, minutes=booking_rules(db.session).late_grace_minutes,
                ticket=ticket.label), "info")
    return redirect(back_to_day())


@bp.route("/bookings/<int:booking_id>/no-show", methods=["POST"])
def booking_no_show(booking_id):
    booking = booking_or_404(booking_id)
    try:
        agenda.mark_no_show(db.session, booking, tz=centre_timezone())
    except agenda.AgendaRefused as refusal:
        flash(AGENDA_REFUSALS[refusal.reason], "error")
        return redirect(back_to_day())
    flash(_("%(name)s is marked as not come. If they arrive after all, press “Arrived”.",
            name=booking.first_name), "success")
    return redirect(back_to_day())


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@refill_on_expired_csrf
def booking_cancel(booking_id):
    """Cancel on the resident's behalf, with a reason they are told in their message."""
    booking = booking_or_404(booking_id)
    view = day_from_request(request.form if request.method == "POST" else request.args)
    form = CancelForm()
    if not booking.is_expected:
        flash(AGENDA_REFUSALS[agenda.AgendaRefusal.CANCELLED if booking.is_cancelled
                              else agenda.AgendaRefusal.NOT_EXPECTED], "error")
        return redirect(url_for("desk.index", **view.args(day=day_of(booking).isoformat())))
    if submitted_and_valid(form):
        try:
            agenda.cancel_for_resident(db.session, booking, reason=form.reason.data,
                                       by_centre=form.asked_by.data == "centre", rules=booking_rules(db.session))
        except agenda.AgendaRefused as refusal:
            flash(AGENDA_REFUSALS[refusal.reason], "error")
        else:
            flash(_("The appointment of %(name)s is cancelled; we are sending them a message.",
                    name=booking.first_name), "success")
        return redirect(url_for("desk.index", **view.args(day=day_of(booking).isoformat())))
    return render_template("desk/cancel.html", booking=booking, form=form, view=view)


@bp.route("/tickets", methods=["POST"])
def ticket_new():
    """A walk-in at the desk: the next ticket of the day."""
    form = WalkInForm(active_topic_labels(db.session))
    if not form.validate_on_submit():
        flash(_("Choose what the visit is about to give a ticket."), "error")
        return redirect(back_to_day())
    ticket = queue.issue(db.session, day=centre_today(), topic_id=form.topic.data,
                         first_name=form.first_name.data, source=TicketSource.DESK)
    flash(_("Ticket %(ticket)s given. The person waits to be called.", ticket=ticket.label), "success")
    return redirect(back_to_day())


@bp.route("/queue/next", methods=["POST"])
def call_next():
    form = CallNextForm()
    if not form.validate_on_submit():
        flash(_("Write the name or number of your desk (for example 2 or Accueil), so that the person "
                "knows where to go."), "error")
        return redirect(back_to_day())
    session["desk_label"] = form.desk.data
    ticket = queue.call_next(db.session, day=centre_today(), user_id=current_user.id, desk=form.desk.data)
    if ticket is None:
        flash(_("Nobody is waiting at the moment."), "info")
    else:
        flash(_("Call %(ticket)s to desk %(desk)s.", ticket=ticket.label, desk=ticket.desk), "success")
    return redirect(back_to_day())


def ticket_or_404(ticket_id):
    return db.session.get(QueueTicket, ticket_id) or abort(404)


@bp.route("/tickets/<int:ticket_id>/<any(served, left, recall):action>", methods=["POST"])
def ticket_action(ticket_id, action):
    ticket = ticket_or_404(ticket_id)
    try:
        if action == "recall":
            queue.recall(db.session, ticket, user_id=current_user.id, day=centre_today(),
                         desk=session.get("desk_label") or ticket.desk or "?")
            flash(_("%(ticket)s is called again.", ticket=ticket.label), "success")
        else:
            queue.close(db.session, ticket, TicketStatus(action), day=centre_today())
            flash(_("%(ticket)s: %(status)s.", ticket=ticket.label, status=ticket.status_enum.label), "success")
    except queue.QueueRefused as refusal:
        flash(QUEUE_REFUSALS[refusal.reason], "error")
    return redirect(back_to_day())

