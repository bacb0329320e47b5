from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from .. import audit
from ..accounts.auth import protect_blueprint
from ..accounts.models import Role
from ..booking.contact import display_phone
from ..booking.forms import moment_choices
from ..booking.models import CallbackRequest, Slot
from ..database import utcnow
from ..extensions import db

bp = Blueprint("desk", __name__, url_prefix="/desk")
protect_blueprint(bp, Role.FACILITATOR)


@bp.route("/")
def index():
    waiting = db.session.execute(
        select(db.func.count(CallbackRequest.id)).where(CallbackRequest.handled_at.is_(None))
    ).scalar_one()
    return render_template("desk/index.html", now=utcnow(), callbacks_waiting=waiting)


@bp.route("/callbacks")
def callbacks():
    """Residents who asked to be called back, oldest first; a freed seat shows as a match."""
    requests = db.session.execute(
        select(CallbackRequest)
        .where(CallbackRequest.handled_at.is_(None))
        .options(selectinload(CallbackRequest.topic),
                 selectinload(CallbackRequest.matched_slot).selectinload(Slot.location))
        .order_by(CallbackRequest.created_at)
    ).scalars().all()
    moments = {choice.value: choice.label for choice in moment_choices()}
    return render_template("desk/callbacks.html", requests=requests, moments=moments,
                           display_phone=display_phone)


@bp.route("/callbacks/<int:request_id>/handled", methods=["POST"])
def callback_handled(request_id):
    callback = db.session.get(CallbackRequest, request_id) or abort(404)
    result = db.session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == callback.id, CallbackRequest.handled_at.is_(None))
        .values(handled_at=utcnow(), handled_by_id=current_user.id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        audit.record("callback.handled", callback)
        db.session.commit()
        flash(_("The request of %(name)s is marked as handled.", name=callback.first_name), "success")
    else:
        flash(_("A colleague already handled this request."), "info")
    return redirect(url_for("desk.callbacks"))


# The desk's other pages register on the same blueprint.
from . import hours, resident_views, session_views  # noqa: E402,F401
