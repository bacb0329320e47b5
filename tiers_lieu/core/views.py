from datetime import timedelta

from flask import Blueprint, current_app, jsonify, make_response, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..database import utcnow
from ..extensions import db, limiter
from .links import public_link

bp = Blueprint("core", __name__)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/.well-known/security.txt")
def security_txt():
    """Where to report a vulnerability (RFC 9116): the configured contact, else the centre's."""
    from .centre import current_centre

    contact = current_app.config["SECURITY_CONTACT"] or f"mailto:{current_centre().email}"
    # The file must say when to stop trusting it; written afresh on each request, it never lapses
    # while the app runs, and a copy kept elsewhere does within the RFC's year.
    expires = (utcnow() + timedelta(days=180)).replace(microsecond=0)
    lines = [
        f"Contact: {contact}",
        f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "Preferred-Languages: fr, en",
        f"Canonical: {public_link('core.security_txt')}",
    ]
    response = make_response("\n".join(lines) + "\n")
    response.mimetype = "text/plain"
    return response


@bp.route("/privacy")
def privacy():
    """The privacy notice (GDPR article 13), written from the retention settings in force."""
    from ..privacy.notice import notice

    return render_template("core/privacy.html", notice=notice(db.session, current_app.config))


@bp.app_context_processor
def inject_centre():
    from .centre import current_centre

    return {"current_centre": current_centre}
