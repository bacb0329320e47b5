"""The retention of personal data: the coordinators' screen over `privacy/retention.py`."""
from dataclasses import asdict

from flask import flash, redirect, render_template, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..privacy import purge, retention
from ..privacy.forms import RetentionForm
from .blueprint import bp


@bp.route("/retention", methods=["GET", "POST"])
def retention_page():
    kept = retention.current(db.session)
    form = RetentionForm(data=asdict(kept))
    if form.validate_on_submit():
        retention.save(db.session, current_user, **{name: getattr(form, name).data for name in asdict(kept)
                                                    if name != "protection_contact"},
                       protection_contact=(form.protection_contact.data or "").strip())
        db.session.commit()
        flash(_("The retention of personal data is saved. The next nightly purge applies it."), "success")
        return redirect(url_for("admin.retention_page"))
    return render_template("admin/retention.html", form=form, meanings=retention.MEANINGS,
                           fixed_rules=retention.FIXED_RULES, due=purge.due_now(db.session),
                           rules=purge.RULES, number=format_decimal)
