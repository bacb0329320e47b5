"""The audit log: who did what on which record, newest first, filterable (never personal values)."""
from datetime import datetime, time, timedelta

from flask import render_template, request, url_for
from sqlalchemy import false, func, select
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..audit import TARGET_KINDS, AuditEvent, action_label, detail_lines, target_label
from ..core.centre import centre_timezone
from ..core.links import url_with_query
from ..extensions import db
from .blueprint import bp
from .forms import AuditFilterForm

PER_PAGE = 50

# Records with a staff page of their own: the log links to it.
RECORD_PAGES = {
    "resident": ("desk.resident", "resident_id"),
    "helpsession": ("desk.edit_session", "session_id"),
    "user": ("admin.edit_user", "user_id"),
    "topic": ("admin.edit_topic", "topic_id"),
    "openingrule": ("admin.hours_rule_edit", "rule_id"),
    "procedure": ("admin.edit_procedure", "procedure_id"),
}


def record_link(event):
    page = RECORD_PAGES.get(event.target_type)
    if page is None or event.target_id is None:
        return None
    endpoint, argument = page
    return url_for(endpoint, **{argument: event.target_id})


def distinct_values(column):
    return db.session.execute(select(column).distinct().order_by(column)).scalars().all()


def page_number():
    try:
        return max(1, min(int(request.args.get("page", "1")), 100_000))
    except ValueError:
        return 1


@bp.route("/audit")
def audit_log():
    form = AuditFilterForm(request.args)
    staff = db.session.execute(select(User).order_by(User.display_name)).scalars().all()
    form.actor.choices = [(0, "—")] + [(user.id, user.display_name) for user in staff]
    form.action.choices = [("", "—")] + sorted(
        ((value, str(action_label(value))) for value in distinct_values(AuditEvent.action)), key=lambda c: c[1])
    form.target_type.choices = [("", "—")] + sorted(
        ((value, str(TARGET_KINDS.get(value, value))) for value in distinct_values(AuditEvent.target_type)),
        key=lambda c: c[1])

    query = select(AuditEvent)
    valid = form.validate()
    if valid:
        tz = centre_timezone()
        if form.actor.data:
            query = query.where(AuditEvent.actor_id == form.actor.data)
        if form.action.data:
            query = query.where(AuditEvent.action == form.action.data)
        if form.target_type.data:
            query = query.where(AuditEvent.target_type == form.target_type.data)
        if form.since.data:
            query = query.where(AuditEvent.at >= datetime.combine(form.since.data, time(), tz))
        if form.until.data:
            query = query.where(AuditEvent.at < datetime.combine(form.until.data + timedelta(days=1), time(), tz))
    else:
        query = query.where(false())
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    page = page_number()
    events = db.session.execute(
        query.options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).scalars().all()
    pages = max(1, -(-total // PER_PAGE))
    filters = [(name, value) for name, value in request.args.items(multi=True) if name != "page" and value]

    def page_url(number):
        return url_with_query("admin.audit_log", [*filters, ("page", number)])

    return render_template("admin/audit.html", form=form, events=events, total=total, page=page,
                           pages=pages, page_url=page_url, valid=valid, action_label=action_label,
                           target_label=target_label, detail_lines=detail_lines, record_link=record_link)
