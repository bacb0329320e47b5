"""Staff account operations shared by the login pages, the admin pages and the CLI."""
import logging

from flask_babel import gettext as _
from sqlalchemy import delete, update

from .. import audit
from ..database import utcnow
from ..extensions import db
from .auth import revoke_all_sessions
from .models import PasswordReset, Role, StaffSession, User
from .passwords import (hash_password, needs_rehash, password_problem,
                        spend_verification_time, verify_password)

log = logging.getLogger(__name__)


class AccountError(ValueError):
    """A change to an account was refused; the message says why, for the person asking."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def normalise_email(email):
    return (email or "").strip().lower()


def find_by_email(email):
    return db.session.execute(
        db.select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def authenticate(email, password):
    """Return the active user with this e-mail and password, or None."""
    user = find_by_email(email)
    if user is None:
        spend_verification_time(password)
        log.info("login refused: unknown account")
        return None
    if not verify_password(user.password_hash, password):
        log.info("login refused: wrong password for user %s", user.id)
        return None
    if not user.active:
        log.info("login refused: deactivated user %s", user.id)
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    log.info("login accepted for user %s", user.id)
    return user


def check_new_password(password, user=None, email=None, display_name=None):
    problem = password_problem(
        password,
        email or (user.email if user else None),
        display_name or (user.display_name if user else None),
    )
    if problem:
        raise AccountError(problem, field="new_password")


def create_user(email, display_name, password, role=Role.FACILITATOR, language="fr",
                must_change_password=False):
    email = normalise_email(email)
    if find_by_email(email) is not None:
        raise AccountError(_("An account with this e-mail address already exists."), field="email")
    check_new_password(password, email=email, display_name=display_name)
    user = User(
        email=email,
        display_name=display_name.strip(),
        role=Role(role).value,
        language=language,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user, role=user.role)
    db.session.commit()
    return user


def set_password(user, password, by_admin=False, from_link=False):
    """Set a new password, end every other session of this user and every reset link not used.

    `from_link`: chosen by someone not logged in, from a link e-mailed to the account
    (recovery.py): every session ends, this browser's included, since it has none.
    """
    check_new_password(password, user=user)
    user.password_hash = hash_password(password)
    # A password chosen by a coordinator is only known to be temporary.
    user.must_change_password = by_admin
    spend_reset_links(db.session, user)
    revoke_all_sessions(user, keep_current=not (by_admin or from_link))
    if from_link:
        audit.record("user.recover_password", user, actor=user)
    else:
        audit.record("user.reset_password" if by_admin else "user.change_password", user)
    db.session.commit()


def spend_reset_links(session, user):
    """End the password-reset links of this user still unused (not committed)."""
    session.execute(
        update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))


def active_coordinators_other_than(user):
    return db.session.execute(
        db.select(db.func.count(User.id)).where(
            User.role == Role.COORDINATOR.value, User.active.is_(True), User.id != user.id
        )
    ).scalar_one()


def update_user(user, *, actor, email, display_name, role, language, active):
    """Apply a coordinator's changes to a staff account, keeping at least one coordinator."""
    email = normalise_email(email)
    other = find_by_email(email)
    if other is not None and other.id != user.id:
        raise AccountError(_("An account with this e-mail address already exists."), field="email")
    losing_coordinator = user.role == Role.COORDINATOR.value and user.active and (
        role != Role.COORDINATOR.value or not active
    )
    if losing_coordinator and active_coordinators_other_than(user) == 0:
        raise AccountError(_("There must always be at least one active coordinator."), field="role")
    if user.id == actor.id and not active:
        raise AccountError(_("You cannot deactivate your own account."), field="active")

    changed = sorted(
        name for name, value in
        {"email": email, "display_name": display_name, "role": role, "language": language,
         "active": active}.items()
        if getattr(user, name) != value
    )
    if not changed:
        return []
    user.email, user.display_name, user.role = email, display_name.strip(), role
    user.language, user.active = language, active
    if not active:
        revoke_all_sessions(user)
        spend_reset_links(db.session, user)
    audit.record("user.update", user, fields=changed, role=role, active=active)
    db.session.commit()
    return changed


def delete_logins(session, ids):
    """Delete these staff logins (expired or ended: retention, `privacy/`)."""
    return session.execute(delete(StaffSession).where(StaffSession.id.in_(ids))
                           .execution_options(synchronize_session=False)).rowcount
