"""How long each kind of personal data is kept: read the settings, save them, put them in words.

The one owner of `RetentionSettings`. The purge (`purge.py`), the privacy notice and the record of
processing (`notice.py`: `notice`, `record`) all read `current`, so what they say and what is done
never differ.
"""
from dataclasses import dataclass, fields

from dateutil.relativedelta import relativedelta
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit
from .models import DEFAULT_RETENTION, RETENTION_RANGE, RetentionSettings


@dataclass(frozen=True)
class Retention:
    resident_months: int
    booking_months: int
    callback_months: int
    message_months: int
    audit_author_months: int
    protection_contact: str = ""

    def cutoff(self, name, now):
        """The instant before which data kept `name` months (e.g. "booking_months") is due."""
        return now - relativedelta(months=getattr(self, name))


DEFAULTS = Retention(**DEFAULT_RETENTION)


def current(session):
    """The retention in force: the coordinator's, or the defaults until they first save it."""
    row = session.execute(select(RetentionSettings).limit(1)).scalar()
    if row is None:
        return DEFAULTS
    return Retention(**{field.name: getattr(row, field.name) for field in fields(Retention)})


class RetentionError(ValueError):
    """A value out of its range; `field` names it, the message says what is accepted."""

    def __init__(self, field, message):
        super().__init__(str(message))
        self.field = field


def save(session, actor, **values):
    """Save the retention (months per kind, and the data-protection contact) in the session's
    transaction, and write who changed which setting (not the values) to the audit trail.

    Returns the names of the settings that changed. Refuses a value out of range with RetentionError:
    the forms check the same ranges, and this guards the other callers (CLI, tests).
    """
    for name, value in values.items():
        if name in RETENTION_RANGE:
            low, high = RETENTION_RANGE[name]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise RetentionError(name, _l("Give a number of months between %(min)s and %(max)s.",
                                              min=low, max=high))
        elif name != "protection_contact":
            raise TypeError(f"No retention setting is called {name}")
    row = session.execute(select(RetentionSettings).limit(1)).scalar()
    if row is None:
        row = RetentionSettings(**DEFAULT_RETENTION, protection_contact="")
        session.add(row)
    changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    for name in changed:
        setattr(row, name, values[name])
    if changed:
        session.flush()
        audit.record("settings.retention", row, actor=actor, fields=changed)
    return changed


# What each setting means, in the plain words shown to coordinators and, through the privacy notice,
# to residents. Each names what goes, what stays and from when the time counts.
MEANINGS = {
    "resident_months": _l("A resident's record (name, phone, e-mail, neighbourhood) and the notes of their help "
                          "sessions are anonymised this many months after their last appointment, session or visit. "
                          "The sessions stay counted in the statistics, without their name."),
    "booking_months": _l("An appointment's contact details (first name, phone, e-mail, note and secret link) are "
                         "emptied this many months after its time. The date, topic and whether the person came stay "
                         "for the statistics."),
    "callback_months": _l("A call-back request's first name, phone number, e-mail address and message are emptied "
                          "this many months after it ended: handled by a facilitator, booked or withdrawn from an "
                          "offer, or left waiting for the weeks the booking rules say."),
    "message_months": _l("The e-mails and SMS sent to residents (address, number and text) are emptied this many "
                         "months after they were delivered or failed. How many were sent stays counted."),
    "audit_author_months": _l("The audit log keeps which staff member did what for this many months; after that "
                              "it keeps what was done and when, without who."),
}
# Rules that no setting changes, shown beside the settings so the list is whole.
FIXED_RULES = (
    _l("Walk-in tickets: the first name given at the desk or the kiosk is removed at the end of its day; the ticket "
       "number and times stay for the statistics."),
    _l("Staff logins: a login is deleted once it has expired or was ended."),
)

