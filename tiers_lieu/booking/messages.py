"""Messages to residents about their booking, written in their language and put in the outbox.

They are queued in the same transaction as the change they describe; `flask notify send`
delivers them. E-mail when the resident gave an address, otherwise SMS.
"""
import enum
from zoneinfo import ZoneInfo

from flask import current_app, render_template, url_for
from flask_babel import force_locale, format_datetime, gettext as _

from ..admin.models import current_centre
from ..notify.service import queue_email, queue_sms
from .codes import format_code, token_for


class Kind(str, enum.Enum):
    CONFIRMATION = "confirmation"
    CHANGE = "change"
    CANCELLATION = "cancellation"
    REMINDER = "reminder"


def manage_url(token):
    """The secret link, absolute, on the public address (messages also leave from cron jobs)."""
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        return url_for("booking.manage", token=token, _external=True)


def compose(booking, kind):
    """Return (subject, text of the e-mail, text of the SMS) in the booking's language."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    with force_locale(booking.language):
        context = {
            "kind": kind.value,
            "booking": booking,
            "code": format_code(booking.code),
            "when": format_datetime(booking.slot.starts_at.astimezone(tz), "EEEE d MMMM 'à' HH:mm")
            if booking.language == "fr" else
            format_datetime(booking.slot.starts_at.astimezone(tz), "EEEE d MMMM 'at' HH:mm"),
            "link": manage_url(token_for(booking.request_key)),
            "centre": current_centre(),
        }
        subjects = {
            Kind.CONFIRMATION: _("Your appointment on %(when)s", when=context["when"]),
            Kind.CHANGE: _("Your appointment is moved to %(when)s", when=context["when"]),
            Kind.CANCELLATION: _("Your appointment on %(when)s is cancelled", when=context["when"]),
            Kind.REMINDER: _("Reminder: your appointment tomorrow, %(when)s", when=context["when"]),
        }
        email = render_template("booking/messages/email.txt", **context)
        sms = render_template("booking/messages/sms.txt", **context)
    return subjects[kind], email.strip() + "\n", " ".join(sms.split())


def queue_for(session, booking, kind):
    """Put the message about this change of the booking in the outbox (not committed)."""
    subject, email_text, sms_text = compose(booking, kind)
    dedup_key = f"reminder:{booking.id}:{booking.slot_id}" if kind is Kind.REMINDER else None
    if booking.email:
        return queue_email(session, to=booking.email, subject=subject, body=email_text,
                           language=booking.language, kind=kind.value, booking_id=booking.id,
                           dedup_key=dedup_key)
    if booking.phone:
        return queue_sms(session, to=booking.phone, body=sms_text, language=booking.language,
                         kind=kind.value, booking_id=booking.id, dedup_key=dedup_key)
    return None
