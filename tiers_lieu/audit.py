"""Audit trail of staff actions on personal data and settings.

Details name what changed (field names, roles, ids), never the personal values themselves.
"""
from datetime import datetime
from typing import Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .database import UTCDateTime, utcnow
from .extensions import db


class AuditEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[Optional[int]]
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor = relationship("User")


def record(action, target, actor=None, **details):
    """Add an audit event to the current transaction; it is saved with the change it describes."""
    if actor is None and current_user and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=type(target).__name__.lower(),
        target_id=getattr(target, "id", None),
        details=details,
    )
    db.session.add(event)
    return event


# --- What the log shows people -------------------------------------------------------------
# The stored names stay stable (filters and exports rely on them); people read these labels.
# tests/test_admin_audit.py fails when an action, a kind of record or a detail written anywhere in
# the code has no label here.

ACTIONS = {
    "booking.booked_for": _l("Booked an appointment for someone"),
    "booking.cancel_by_centre": _l("Cancelled an appointment (by the centre)"),
    "booking.cancel_for_resident": _l("Cancelled an appointment for the resident"),
    "booking.check_in": _l("Marked a resident as arrived"),
    "booking.no_show": _l("Marked a resident as absent"),
    "booking.resident_linked": _l("Linked an appointment to a resident"),
    "callback.handled": _l("Handled a call-back request"),
    "message.handled": _l("Marked a failed message as handled"),
    "message.retry": _l("Sent a message again"),
    "privacy.access": _l("Showed a person what the centre holds about them"),
    "privacy.download": _l("Gave a person what the centre holds about them, as a file"),
    "privacy.erasure": _l("Erased a person's details at their request"),
    "resident.consent_given": _l("Recorded a resident's consent to be remembered"),
    "resident.consent_withdrawn": _l("Recorded a resident's withdrawn consent"),
    "resident.created": _l("Recorded a resident"),
    "resident.updated": _l("Changed a resident's details"),
    "resident.viewed": _l("Opened a resident's page"),
    "session.created": _l("Logged a help session"),
    "session.updated": _l("Changed a help session"),
    "settings.absence_add": _l("Added an absence"),
    "settings.absence_delete": _l("Removed an absence"),
    "settings.booking_rules": _l("Changed the booking rules"),
    "settings.retention": _l("Changed how long personal data is kept"),
    "settings.centre_add": _l("Set up the centre's details"),
    "settings.centre_edit": _l("Changed the centre's details"),
    "settings.closure_add": _l("Added a closure"),
    "settings.closure_delete": _l("Removed a closure"),
    "settings.opening_rule_activate": _l("Reactivated opening hours"),
    "settings.opening_rule_add": _l("Added opening hours"),
    "settings.opening_rule_deactivate": _l("Deactivated opening hours"),
    "settings.opening_rule_edit": _l("Changed opening hours"),
    "settings.procedure_activate": _l("Reactivated a procedure"),
    "settings.procedure_add": _l("Added a procedure"),
    "settings.procedure_deactivate": _l("Deactivated a procedure"),
    "settings.procedure_edit": _l("Changed a procedure"),
    "settings.procedure_move": _l("Moved a procedure in its list"),
    "settings.topic_add": _l("Added a topic"),
    "settings.topic_edit": _l("Changed a topic"),
    "settings.topic_move": _l("Moved a topic in the list"),
    "settings.location_add": _l("Added a place"),
    "settings.location_edit": _l("Changed a place"),
    "settings.location_move": _l("Moved a place in the list"),
    "settings.need_add": _l("Added a need to the list"),
    "settings.need_edit": _l("Changed a need of the list"),
    "settings.need_move": _l("Moved a need in the list"),
    "settings.referral_target_add": _l("Added a referral target"),
    "settings.referral_target_edit": _l("Changed a referral target"),
    "settings.referral_target_move": _l("Moved a referral target in the list"),
    "settings.commune_add": _l("Added a commune to the list"),
    "settings.commune_edit": _l("Changed a commune of the list"),
    "settings.commune_move": _l("Moved a commune in the list"),
    "ticket.call": _l("Called a walk-in ticket"),
    "ticket.resident_linked": _l("Linked a walk-in ticket to a resident"),
    "user.change_password": _l("Changed their own password"),
    "user.create": _l("Created a staff account"),
    "user.recover_password": _l("Chose a new password from a link sent by e-mail"),
    "user.recovery_code_used": _l("Logged in with a recovery code"),
    "user.recovery_codes_new": _l("Made new recovery codes"),
    "user.reset_password": _l("Set a new password for a staff member"),
    "user.two_step_off": _l("Turned off two-step verification"),
    "user.two_step_on": _l("Turned on two-step verification"),
    "user.update": _l("Changed a staff account"),
}

# Kinds of record, as `record` stores them: the model's class name in lower case.
TARGETS = {
    "booking": _l("Appointment no. %(id)s"),
    "bookingrules": _l("Booking rules"),
    "callbackrequest": _l("Call-back request no. %(id)s"),
    "centre": _l("The centre's details"),
    "closure": _l("Closure no. %(id)s"),
    "commune": _l("Commune no. %(id)s"),
    "contact": _l("A person found by phone number or e-mail address"),
    "helpsession": _l("Help session no. %(id)s"),
    "location": _l("Place no. %(id)s"),
    "need": _l("Need no. %(id)s"),
    "openingrule": _l("Opening hours no. %(id)s"),
    "outboxmessage": _l("Message no. %(id)s"),
    "procedure": _l("Procedure no. %(id)s"),
    "queueticket": _l("Walk-in ticket no. %(id)s"),
    "referraltarget": _l("Referral target no. %(id)s"),
    "resident": _l("Resident no. %(id)s"),
    "retentionsettings": _l("Retention of personal data"),
    "topic": _l("Topic no. %(id)s"),
    "user": _l("Staff account no. %(id)s"),
}

# The same kinds, for the log's filter.
TARGET_KINDS = {
    "booking": _l("Appointments"), "bookingrules": _l("Booking rules"),
    "callbackrequest": _l("Call-back requests"), "centre": _l("The centre's details"),
    "closure": _l("Closures"), "commune": _l("Communes served"), "contact": _l("People found by phone number or e-mail address"), "helpsession": _l("Help sessions"), "location": _l("Places"),
    "need": _l("Needs noticed"), "openingrule": _l("Opening hours"), "outboxmessage": _l("Messages"), "procedure": _l("Procedures"),
    "queueticket": _l("Walk-in tickets"), "referraltarget": _l("Referral targets"),
    "resident": _l("Residents"), "retentionsettings": _l("Retention of personal data"), "topic": _l("Topics"),
    "user": _l("Staff accounts"),
}

DETAILS = {
    "active": _l("Active"),
    "attendees": _l("People in the session"),
    "booking_id": _l("Appointment"),
    "bookings": _l("Appointments"),
    "callbacks": _l("Call-back requests"),
    "cancelled": _l("Upcoming appointments cancelled"),
    "cause": _l("Cause"),
    "codes_left": _l("Recovery codes left"),
    "desk": _l("Desk"),
    "facilitator_id": _l("Facilitator"),
    "fields": _l("Fields changed"),
    "late": _l("Arrived late"),
    "messages": _l("Messages"),
    "resident_id": _l("Resident"),
    "residents": _l("Residents' records"),
    "role": _l("Role"),
    "sessions": _l("Help sessions"),
    "sessions_unlinked": _l("Sessions made anonymous"),
    "slot_id": _l("Slot"),
    "tickets": _l("Walk-in tickets"),
    "topic_id": _l("Topic"),
}

CAUSES = {"opening_hours": _l("a change of opening hours")}

# A detail holding a record's id is shown as that record.
DETAIL_TARGETS = {"booking_id": "booking", "resident_id": "resident", "topic_id": "topic",
                  "facilitator_id": "user"}


def action_label(action):
    return ACTIONS.get(action, action)


def target_label(target_type, target_id):
    label = TARGETS.get(target_type)
    if label is None:
        return f"{target_type} {target_id}" if target_id is not None else target_type
    return label % {"id": target_id if target_id is not None else "—"}


def field_labels():
    """Every form field's label by its name, read from the app's forms: the audit trail records
    the names of the fields a change touched."""
    from wtforms.fields.core import UnboundField

    from .core.forms import BaseForm

    labels, pending = {}, [BaseForm]
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        for name, value in vars(form).items():
            if isinstance(value, UnboundField) and name not in labels:
                label = value.args[0] if value.args else value.kwargs.get("label")
                if label:
                    labels[name] = label
    return labels


def detail_lines(details):
    """[(label, text)] of an event's details, in words: yes/no, "—" for nothing, labels for
    field names, roles and causes, records for their ids."""
    from .accounts.models import Role

    fields = None
    lines = []
    for key, value in (details or {}).items():
        if isinstance(value, bool):
            text = _("yes") if value else _("no")
        elif value is None or value == "" or value == []:
            text = "—"
        elif key == "fields":
            fields = fields or field_labels()
            text = ", ".join(str(fields.get(name, name)) for name in value)
        elif key == "role":
            text = str(Role(value).label) if value in {role.value for role in Role} else str(value)
        elif key == "cause":
            text = str(CAUSES.get(value, value))
        elif key in DETAIL_TARGETS:
            text = target_label(DETAIL_TARGETS[key], value)
        elif isinstance(value, (list, tuple)):
            text = ", ".join(str(item) for item in value)
        else:
            text = str(value)
        lines.append((DETAILS.get(key, key), text))
    return lines


def forget_authors(session, ids):
    """Unlink these entries from the staff member who made them (retention, `privacy/`): what was
    done and when stays."""
    return session.execute(
        update(AuditEvent).where(AuditEvent.id.in_(ids), AuditEvent.actor_id.is_not(None))
        .values(actor_id=None).execution_options(synchronize_session=False)).rowcount
