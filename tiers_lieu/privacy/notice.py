"""What the centre tells residents about their data (/privacy) and writes in its register of
processing activities (/admin/privacy), both gathered from the settings in force.

Each retention sentence names the months of `retention.current`, so neither page can say one thing
while the purge does another. `TOLD_TO_RESIDENTS` holds one sentence per setting: a setting added
without its sentence fails `tests/test_privacy_notice.py`.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..core.centre import CentreDetails, current_centre
from . import retention


@dataclass(frozen=True)
class Kept:
    """One kind of data and how long it is kept, in words."""
    what: str
    how_long: str


@dataclass(frozen=True)
class Notice:
    centre: CentreDetails
    protection_contact: str  # empty: questions go to the centre itself
    kept: list[Kept]
    backups_kept: int  # nightly copies: as many days


# The residents' words for each setting: short, what it is and from when the time counts. Some
# residents read French with difficulty; the coordinators' fuller wording is `retention.MEANINGS`.
TOLD_TO_RESIDENTS = {
    "resident_months": (_l("Your file at the centre, and the notes about the help you received"),
                        _l("%(duration)s after your last visit or appointment. Then your name, phone number and "
                           "e-mail are deleted.")),
    "booking_months": (_l("Your appointment: first name, phone, e-mail, what you wrote"),
                       _l("%(duration)s after the appointment. Then only its date and topic stay, without your "
                          "name.")),
    "callback_months": (_l("Your request to be called back"),
                        _l("%(duration)s after your request ended.")),
    "message_months": (_l("The e-mails and text messages we sent you"),
                       _l("%(duration)s after they were sent.")),
    "audit_author_months": (_l("The name of the staff member who changed your file"),
                            _l("%(duration)s. Then the log keeps what was changed, without who.")),
}
FIXED_FOR_RESIDENTS = (
    Kept(_l("Your first name on a waiting ticket"), _l("Until the end of the day.")),
)


def months(number):
    return ngettext("%(num)d month", "%(num)d months", number)


def kept_for_residents(kept):
    """How long each kind of data about a resident is kept, in the order a resident meets them."""
    order = ("booking_months", "callback_months", "message_months", "resident_months", "audit_author_months")
    return [Kept(str(TOLD_TO_RESIDENTS[name][0]),
                 str(TOLD_TO_RESIDENTS[name][1]) % {"duration": months(getattr(kept, name))})
            for name in order] + [Kept(str(rule.what), str(rule.how_long)) for rule in FIXED_FOR_RESIDENTS]


def notice(session, config):
    """What /privacy shows: who is responsible, whom to ask, and how long each kind is kept."""
    kept = retention.current(session)
    return Notice(current_centre(), kept.protection_contact.strip(), kept_for_residents(kept), config["BACKUP_KEEP"])


# --- the register of processing activities (GDPR article 30) ------------------------------------

@dataclass(frozen=True)
class RetentionLine:
    what: str
    duration: str
    meaning: str


@dataclass(frozen=True)
class Record:
    centre: CentreDetails
    protection_contact: str
    retention: list[RetentionLine]
    backups_kept: int
    measures: list[str]


# The settings' order on the retention page, and the kind of data each one governs.
RECORD_KINDS = {
    "resident_months": _l("Residents' records and session notes"),
    "booking_months": _l("Appointments' contact details"),
    "callback_months": _l("Call-back requests"),
    "message_months": _l("Messages sent to residents"),
    "audit_author_months": _l("Authors of audit entries"),
}


def security_measures(config, dialect):
    """The measures this installation actually takes, some of them read from its configuration and
    its database (`dialect`: "sqlite" or "postgresql")."""
    measures = [
        _l("Staff pages need a personal account; each page checks the role (facilitator or coordinator) it needs."),
        _l("Passwords are stored as Argon2 hashes; repeated failed logins and form submissions are rate-limited."),
        _l("Staff logins expire, and are deleted once expired or ended."),
        _l("Residents reach their appointment only with its secret link or with its code and their phone number or "
           "e-mail; the link is stored as a hash."),
        _l("Every form is protected against cross-site requests; a Content-Security-Policy forbids inline scripts."),
        _l("Changes to the set-up, to residents' records and every access to or erasure of a person's data are "
           "written to an audit log, without the values."),
        _l("Logs never hold names, phone numbers, e-mail addresses or secret links."),
        _l("Exports neutralise text that a spreadsheet would read as a formula."),
    ]
    if dialect == "sqlite":  # PRAGMA secure_delete (database.py)
        measures.append(_l("A nightly purge applies the retention above; erased values are overwritten in the "
                           "database file."))
    else:
        measures.append(_l("A nightly purge applies the retention above; PostgreSQL reclaims the old versions of "
                           "erased rows at its next vacuum, usually within minutes."))
    if config.get("SESSION_COOKIE_SECURE"):
        measures.append(_l("The login cookie is only sent over HTTPS."))
    else:
        measures.append(_l("Warning: this installation allows the login cookie over plain HTTP. Serve it over HTTPS "
                           "and set SESSION_COOKIE_SECURE=1 (see the README)."))
    measures.append(_l("Backups are written with owner-only permissions."))
    return [str(measure) for measure in measures]


def record(session, config):
    """The centre's entry in its register of processing activities, from the settings in force."""
    kept = retention.current(session)
    lines = [RetentionLine(str(RECORD_KINDS[name]), months(getattr(kept, name)), str(retention.MEANINGS[name]))
             for name in RECORD_KINDS]
    return Record(current_centre(), kept.protection_contact.strip(), lines, config["BACKUP_KEEP"],
                  security_measures(config, session.get_bind().dialect.name))
