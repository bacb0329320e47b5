"""/admin/messages: every message to residents and staff, by state, with its cause of failure and
the appointment it belongs to; send one again, or mark a failure as handled; SMS sent per month."""
from datetime import date, timedelta

from flask import abort, redirect, render_template, request, url_for
from flask_babel import format_date

from ..core.centre import centre_timezone
from ..desk.reception.messages import booking_link, mark_handled, send_again
from ..database import utcnow
from ..extensions import db
from ..notify import board
from .audit_log import page_number
from .blueprint import bp

PER_PAGE = 50
# The periods the page offers, in days; anything else in the address means the default.
PERIODS = (1, 7, 30, 90)
DEFAULT_PERIOD = 7
# The months of the counts per channel.
COUNTED_MONTHS = 12


def month_label(month):
    """"novembre 2026" for "2026-11"."""
    year, number = month.split("-")
    return format_date(date(int(year), int(number), 1), "MMMM y")


def period_from(text):
    try:
        days = int(text or DEFAULT_PERIOD)
    except ValueError:
        return DEFAULT_PERIOD
    return days if days in PERIODS else DEFAULT_PERIOD


def state_from(text):
    try:
        return board.Shown(text) if text else None
    except ValueError:
        return None


@bp.route("/messages")
def messages():
    days, state, page = period_from(request.args.get("days")), state_from(request.args.get("state")), page_number()
    now = utcnow()
    listed = board.recent(db.session, since=now - timedelta(days=days), state=state, page=page,
                          per_page=PER_PAGE)
    pages = max(1, -(-listed.total // PER_PAGE))
    per_month = board.sent_per_month(db.session, since=now - timedelta(days=31 * COUNTED_MONTHS),
                                     tz=centre_timezone())

    def page_url(number):
        return url_for("admin.messages", days=days, state=state.value if state else None, page=number)

    return render_template("admin/messages.html", listed=listed, days=days, state=state, page=page,
                           pages=pages, page_url=page_url, periods=PERIODS, states=list(board.Shown),
                           per_month=per_month, channel_labels=board.CHANNEL_LABELS,
                           booking_link=booking_link, month_label=month_label,
                           back=request.full_path.rstrip("?"))


def _back():
    """The list the button was pressed on, with its filters (a path of this page only)."""
    target = request.form.get("back", "")
    return target if target.startswith(url_for("admin.messages")) else url_for("admin.messages")


@bp.route("/messages/<int:message_id>/retry", methods=["POST"])
def message_retry(message_id):
    send_again(board.find(db.session, message_id) or abort(404))
    return redirect(_back())


@bp.route("/messages/<int:message_id>/handled", methods=["POST"])
def message_handled(message_id):
    mark_handled(board.find(db.session, message_id) or abort(404))
    return redirect(_back())
