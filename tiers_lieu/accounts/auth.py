"""Staff login sessions (who may open which page: `access`).

A staff cookie holds a random token naming one row of `StaffSession`. Logging out revokes that
row; a password change or a deactivation revokes all of the user's rows. A copied cookie is
therefore worthless afterwards, although Flask's own session cookie is signed, not stored.
"""
import hashlib
import secrets
import time
import unicodedata
from urllib.parse import urlsplit

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from ..database import utcnow
from ..extensions import db, login_manager
from . import access
from .models import Role, StaffSession, User


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user):
    """Log the user in on this browser with a brand-new session identifier."""
    session.clear()
    token = secrets.token_urlsafe(32)
    db.session.add(
        StaffSession(
            user=user,
            token_hash=_hash(token),
            expires_at=utcnow() + current_app.config["STAFF_SESSION_LIFETIME"],
        )
    )
    user.last_login_at = utcnow()
    db.session.commit()
    user.session_token = token
    session.permanent = True
    login_user(user, remember=False)


def end_session():
    """Log out of this browser and make its cookie useless."""
    if current_user.is_authenticated and current_user.session_token:
        db.session.execute(
            db.update(StaffSession)
            .where(StaffSession.token_hash == _hash(current_user.session_token))
            .values(revoked_at=utcnow())
        )
        db.session.commit()
    logout_user()
    session.clear()


def revoke_all_sessions(user, keep_current=False):
    """Revoke every session of the user, for example after a password change."""
    query = db.update(StaffSession).where(
        StaffSession.user_id == user.id, StaffSession.revoked_at.is_(None)
    )
    if keep_current and user.session_token:
        query = query.where(StaffSession.token_hash != _hash(user.session_token))
    db.session.execute(query.values(revoked_at=utcnow()))


# A password given, the code of the second step not yet (two_step.py): how long it is awaited.
HELD_LOGIN = "held_login"
HELD_LOGIN_SECONDS = 5 * 60


def hold_login(user):
    """Remember that this browser gave the right password for `user`, who has two-step
    verification on: Flask's session holds the user's id and the time, nothing else, and no staff
    session exists until the code is right (`held_login`, then `start_session`)."""
    session[HELD_LOGIN] = {"user_id": user.id, "at": int(time.time())}


def held_login():
    """The user whose password this browser gave less than five minutes ago, or None.

    A deactivated account, or one whose second step was turned off meanwhile, starts again
    from the password.
    """
    held = session.get(HELD_LOGIN)
    try:
        user_id, at = int(held["user_id"]), int(held["at"])
    except (KeyError, TypeError, ValueError):
        return None
    user = None
    if 0 <= time.time() - at <= HELD_LOGIN_SECONDS:
        user = db.session.get(User, user_id)
    if user is None or not user.active or not user.two_step_on:
        drop_held_login()
        return None
    return user


def drop_held_login():
    session.pop(HELD_LOGIN, None)


def load_user(token):
    """The active user of this session token, if the session is neither revoked nor expired.

    One statement: every staff page asks it first.
    """
    user = db.session.execute(
        db.select(User).join(StaffSession, StaffSession.user_id == User.id)
        .where(StaffSession.token_hash == _hash(token), StaffSession.revoked_at.is_(None),
               StaffSession.expires_at > utcnow(), User.active.is_(True))
    ).scalar_one_or_none()
    if user is not None:
        user.session_token = token
    return user


def safe_next(target):
    r"""The path on this site to go back to after login, or None when `target` is not one.

    Browsers drop tabs and newlines inside an address and read a backslash as a slash, so
    "/\t/evil.example" or "/\evil.example" would lead off the site: any control, space or
    format character, or a backslash, refuses the target outright rather than being cleaned.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(unicodedata.category(character)[0] in "CZ" for character in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def init_app(app):
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    access.init_app(app)

    @app.context_processor
    def inject_roles():
        return {"Role": Role}
