"""The desk's messages panel (/desk/messages): the messages about appointments that did not go, so
that the facilitator calls the person; send one again, or mark it as handled."""
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...core.centre import centre_timezone, centre_today
from ...database import utcnow
from ...extensions import db
from ...notify import board
from ..blueprint import bp
from .agenda import day_bounds, local_day

# The panel looks back a week: older appointments are past calling about.
LOOK_BACK = timedelta(days=7)


def booking_link(message):
    """The booking's row on the desk's day, where its contact and buttons are."""
    day = local_day(message.slot_starts_at, centre_timezone())
    return url_for("desk.index", day=day.isoformat()) + f"#booking-{message.booking_id}"


@bp.route("/messages")
def messages():
    since = day_bounds(centre_today() - LOOK_BACK, centre_timezone())[0]
    rows = board.needing_attention(db.session, bookings_from=since)
    return render_template("desk/messages.html", rows=rows, booking_link=booking_link,
                           look_back_days=LOOK_BACK.days)


def _message_of_an_appointment(message_id):
    """A message the desk may act on: one about an appointment (not a colleague's password link)."""
    message = board.find(db.session, message_id)
    if message is None or message.booking_id is None:
        abort(404)
    return message


def _back():
    target = request.form.get("back", "")
    return target if target in {url_for("desk.messages"), url_for("desk.index")} else url_for("desk.messages")


def send_again(message):
    """Make the message due now, and say what happened; the desk's and the admin's button."""
    if board.retry_now(db.session, message.id, utcnow()):
        db.session.commit()
        flash(_("The message will be sent again within a minute."), "success")
    else:
        db.session.rollback()
        flash(_("This message is no longer waiting to be sent (it went meanwhile, or was withdrawn): "
                "nothing was changed."), "info")


def mark_handled(message):
    """Record that this member of staff dealt with the failure, and say what happened."""
    if board.mark_handled(db.session, message.id, current_user, utcnow()):
        db.session.commit()
        flash(_("The message is marked as handled."), "success")
    else:
        db.session.rollback()
        flash(_("This message is not a failure waiting for someone (it was handled or sent again "
                "meanwhile): nothing was changed."), "info")


@bp.route("/messages/<int:message_id>/retry", methods=["POST"])
def message_retry(message_id):
    send_again(_message_of_an_appointment(message_id))
    return redirect(_back())


@bp.route("/messages/<int:message_id>/handled", methods=["POST"])
def message_handled(message_id):
    mark_handled(_message_of_an_appointment(message_id))
    return redirect(_back())
