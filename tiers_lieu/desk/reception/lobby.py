"""The waiting room's shared devices: the kiosk at the entrance and the screen on the wall.

Public pages (no staff session) meant for devices anyone touches: they show ticket numbers, times
and places, never a name, a phone number, an e-mail address or a note.
"""

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from ...booking.availability import booking_rules
from ...booking.codes import normalise_code
from ...booking.models import Booking, BookingStatus
from ...booking.topics import active_topic, active_topics
from ...core.centre import centre_timezone, centre_today
from ...core.forms import refill_on_expired_csrf, submitted_and_valid
from ...core.limits import limit_failures, record_failure
from ...extensions import db, limiter
from ..models import TicketSource, ticket_label
from . import agenda, queue
from .forms import KioskCodeForm, KioskTicketForm

bp = Blueprint("lobby", __name__)

# Seconds of quiet before the kiosk goes back to its start page, and between two screen updates.
KIOSK_IDLE_SECONDS = 45
DISPLAY_REFRESH_SECONDS = 5


def kiosk_page(template="lobby/kiosk.html", status=200, **context):
    context.setdefault("code_form", KioskCodeForm(formdata=None))
    context.setdefault("ticket_form", KioskTicketForm(formdata=None))
    return render_template(template, topics=active_topics(db.session), idle_seconds=KIOSK_IDLE_SECONDS,
                           **context), status


@bp.route("/kiosk")
def kiosk():
    return kiosk_page()


@bp.route("/kiosk/ticket", methods=["POST"])
@limiter.limit(lambda: current_app.config["KIOSK_TICKETS_PER_ADDRESS"], methods=["POST"])
def kiosk_ticket():
    """A topic button: the next number of the day, shown large."""
    slug = (request.form.get("topic") or "")[:40]
    topic = active_topic(db.session, slug)
    form = KioskTicketForm()
    if topic is None:
        return kiosk_page(error=_("This topic is no longer offered. Choose another one, or ask at the desk."),
                          status=404)
    if not form.validate_on_submit():
        return kiosk_page(ticket_form=form, error=_("Something went wrong. Press your topic again."), status=400)
    ticket = queue.issue(db.session, day=centre_today(), topic_id=topic.id, first_name=form.first_name.data,
                         source=TicketSource.KIOSK)
    return render_template("lobby/ticket.html", label=ticket.label, topic=topic, idle_seconds=KIOSK_IDLE_SECONDS,
                           waiting_before=queue.waiting_count(db.session, ticket.day) - 1)


@bp.route("/kiosk/appointment", methods=["POST"])
@limit_failures("kiosk-code", lambda: normalise_code(request.form.get("code")) or "?",
                "LOOKUP_FAILURES_PER_CODE", "LOOKUP_FAILURES_PER_ADDRESS")
@refill_on_expired_csrf
def kiosk_appointment():
    """"I have an appointment": check in today's booking from its code; show only time and place."""
    form = KioskCodeForm()
    if not submitted_and_valid(form):
        record_failure()
        return kiosk_page(code_form=form, status=400)
    code = normalise_code(form.code.data)
    booking = None
    if code:
        booking = db.session.execute(select(Booking).where(Booking.code == code)).scalar_one_or_none()
    tz = centre_timezone()
    if booking is None:
        record_failure()
        form.code.errors.append(_("We found no appointment with this code. Check it on your message, "
                                  "or ask at the desk."))
        return kiosk_page(code_form=form, status=404)
    booking = agenda.load_booking(db.session, booking.id)
    slot = booking.slot
    ticket = None
    try:
        ticket = agenda.check_in(db.session, booking, rules=booking_rules(db.session), tz=tz)
        outcome = "late" if ticket else "arrived"
    except agenda.AgendaRefused as refusal:
        outcome = {
            agenda.AgendaRefusal.NOT_TODAY: "not_today",
            agenda.AgendaRefusal.CANCELLED: "cancelled",
            agenda.AgendaRefusal.ALREADY_ARRIVED: "already",
            agenda.AgendaRefusal.NO_SEAT: "cancelled",
        }.get(refusal.reason, "cancelled")
    if booking.status == BookingStatus.NO_SHOW.value:
        outcome = "cancelled"
    return render_template("lobby/appointment.html", outcome=outcome, starts_at=slot.starts_at,
                           place=slot.location.name, ticket=ticket.label if ticket else None,
                           late_grace=booking_rules(db.session).late_grace_minutes,
                           idle_seconds=KIOSK_IDLE_SECONDS)


def display_data():
    day = centre_today()
    calls = queue.recent_calls(db.session, day)
    return {
        "calls": [{"ticket": ticket_label(number), "desk": desk or ""} for number, desk, _called in calls],
        "waiting": queue.waiting_count(db.session, day),
    }


@bp.route("/display")
def display():
    return render_template("lobby/display.html", refresh_seconds=DISPLAY_REFRESH_SECONDS, **display_data())


@bp.route("/display.json")
def display_json():
    return jsonify(display_data())

