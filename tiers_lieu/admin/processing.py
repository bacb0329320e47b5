"""The centre's entry in its register of processing activities (GDPR article 30), for coordinators
to print and file: a screen over `privacy/notice.py`, from the settings in force."""
from flask import current_app, render_template

from ..extensions import db
from ..privacy import retention
from ..privacy.notice import record
from .blueprint import bp


@bp.route("/privacy")
def processing_record():
    return render_template("admin/processing.html", record=record(db.session, current_app.config),
                           fixed_rules=retention.FIXED_RULES)
