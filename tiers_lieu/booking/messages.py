"""Messages to residents about their booking, written in their language and put in the outbox.

They are queued in the same transaction as the change they describe; `flask notify send`
delivers them. E-mail when the resident gave an address, otherwise SMS, unless the centre
switched text messages off (`notify.channels.sms_enabled`: `queue_sms` then queues nothing).
"""
import enum

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..core.centre import current_centre
from ..core.links import public_link
from ..i18n import day_at_time
from ..notify.channels import sms_enabled
from ..notify.service import queue_email, queue_sms, restore_withdrawn
from .codes import format_code, token_for
from .contact import receives_text_messages


class Kind(str, enum.Enum):
    CONFIRMATION = "confirmation"
    CHANGE = "change"
    CANCELLATION = "cancellation"
    REMINDER = "reminder"
    CANCELLED_BY_CENTRE = "cancelled_by_centre"


SUBJECTS = {
    Kind.CONFIRMATION: _l("Your appointment on %(when)s"),
    Kind.CHANGE: _l("Your appointment is moved to %(when)s"),
    Kind.CANCELLATION: _l("Your appointment on %(when)s is cancelled"),
    Kind.REMINDER: _l("Reminder: your appointment tomorrow, %(when)s"),
    Kind.CANCELLED_BY_CENTRE: _l("We had to cancel your appointment on %(when)s"),
}


def manage_url(token):
    """The secret link, absolute, on the public address (messages also leave from cron jobs)."""
    return public_link("booking.manage", token=token)


def compose(booking, kind, channel):
    """Return (subject, text) of the e-mail or the SMS, in the booking's language."""
    with force_locale(booking.language):
        context = {
            "kind": kind.value,
            "booking": booking,
            "code": format_code(booking.code),
            "when": day_at_time(booking.slot.starts_at),
            "link": manage_url(token_for(booking.request_key)),
            "centre": current_centre(),
        }
        text = render_template(f"booking/messages/{channel}.txt", **context)
        if channel == "sms":
            return None, " ".join(text.split())
        return str(SUBJECTS[kind] % {"when": context["when"]}), text.strip() + "\n"


def reminder_key(booking):
    """The outbox key of the booking's reminder: one per booking and slot, so that a booking moved
    to another day gets one for its new day."""
    return f"reminder:{booking.id}:{booking.slot_id}"


def reminder_channel(booking):
    """How the booking's reminder would reach its resident: "email", "sms", or None when it cannot
    (a phone alone while text messages are off, or a number that cannot receive them)."""
    if booking.email:
        return "email"
    if booking.phone and sms_enabled(current_app.config) and receives_text_messages(booking.phone):
        return "sms"
    return None


def queue_for(session, booking, kind):
    """Put the message about this change of the booking in the outbox (not committed)."""
    dedup_key = reminder_key(booking) if kind is Kind.REMINDER else None
    if dedup_key is not None and reminder_channel(booking) is not None:
        # Withdrawn when the booking moved to another day or was cancelled, or the resident
        # stopped it: a booking moved back, or a reminder wanted again, brings the same one back.
        restore_withdrawn(session, dedup_key)
    if booking.email:
        subject, text = compose(booking, kind, "email")
        return queue_email(session, to=booking.email, subject=subject, body=text,
                           language=booking.language, kind=kind.value, booking_id=booking.id,
                           dedup_key=dedup_key)
    if booking.phone:
        text = compose(booking, kind, "sms")[1]
        return queue_sms(session, to=booking.phone, body=text, language=booking.language,
                         kind=kind.value, booking_id=booking.id, dedup_key=dedup_key)
    return None
