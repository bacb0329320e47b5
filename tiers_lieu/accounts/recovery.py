"""Forgotten passwords: a link by e-mail to choose a new one.

The link carries a 256-bit random token; only its SHA-256 is stored, so the table alone opens
nothing. It works once, for PASSWORD_RESET_MINUTES, and dies before that when a newer link is sent
for the same account, when the password changes by any path (`service.set_password` spends them)
or when the account is deactivated (`service.update_user`). The e-mail goes through the outbox in
the transaction that stores the link: both exist, or neither.

The page asking for a link answers the same whether the address has an account or not; only the
rate limits (config PASSWORD_RESETS_PER_*) refuse, and they count every request alike. Using a
link ends every session of the account; the person then logs in with the new password, and the
second step when it is on: a link never stands in for the authenticator app (two_step.py).
"""
import enum
import hashlib
import logging
import secrets
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from ..core.centre import current_centre
from ..core.links import public_link
from ..database import utcnow
from ..notify.service import queue_email
from . import service
from .models import PasswordReset, User

log = logging.getLogger(__name__)

KIND = "password_reset"
# secrets.token_urlsafe(32) gives 43 characters; anything much longer is not one of ours.
LONGEST_TOKEN = 64


class LinkState(str, enum.Enum):
    USABLE = "usable"
    EXPIRED = "expired"
    SPENT = "spent"        # used, replaced by a newer link, or ended by a password change
    UNKNOWN = "unknown"    # never sent: mistyped, cut, or made up


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def link_minutes():
    return current_app.config["PASSWORD_RESET_MINUTES"]


def send_link(session, email):
    """Send a new link to the active account using this address, if there is one. Committed.

    Returns the user, or None; the caller must not tell the difference to the person asking.
    """
    user = session.execute(select(User).where(User.email == service.normalise_email(email),
                                              User.active.is_(True))).scalar_one_or_none()
    if user is None:
        log.info("password reset asked for no active account")
        return None
    now = utcnow()
    service.spend_reset_links(session, user)
    # Links long dead tell nobody anything: each account keeps only those of the last day.
    session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id,
                                                PasswordReset.expires_at < now - timedelta(days=1)))
    token = secrets.token_urlsafe(32)
    session.add(PasswordReset(user_id=user.id, token_hash=hash_token(token), created_at=now,
                              expires_at=now + timedelta(minutes=link_minutes())))
    subject, body = compose(user, token)
    try:
        queue_email(session, to=user.email, subject=subject, body=body,
                    language=message_language(user), kind=KIND, booking_id=None)
    except ValueError:
        # An account made on the command line may use an address no mail server takes
        # ("admin@localhost"): no link, and the page still answers as for any address.
        session.rollback()
        log.warning("no password reset link for user %s: its e-mail address is not deliverable", user.id)
        return None
    session.commit()
    log.info("password reset link queued for user %s", user.id)
    return user


def message_language(user):
    languages = current_app.config["LANGUAGES"]
    return user.language if user.language in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def compose(user, token):
    """(subject, text) of the e-mail carrying the link, in the account's language."""
    centre = current_centre()
    with force_locale(message_language(user)):
        subject = _("Choosing a new password for %(centre)s", centre=centre.name)
        text = render_template("accounts/messages/password_reset.txt", user=user, centre=centre,
                               link=public_link("accounts.reset_password", token=token),
                               minutes=link_minutes())
    return subject, text.strip() + "\n"


def find_link(session, token):
    """(LinkState, PasswordReset or None) of the token in a link's path."""
    if not token or len(token) > LONGEST_TOKEN:
        return LinkState.UNKNOWN, None
    reset = session.execute(select(PasswordReset).where(
        PasswordReset.token_hash == hash_token(token))).scalar_one_or_none()
    if reset is None:
        return LinkState.UNKNOWN, None
    if reset.used_at is not None or not reset.user.active:
        return LinkState.SPENT, reset
    if reset.expires_at <= utcnow():
        return LinkState.EXPIRED, reset
    return LinkState.USABLE, reset


def use_link(session, reset, password):
    """Set the password chosen from this link and end every session of the account. Committed.

    Returns False when another request used the link first (nothing written); raises
    service.AccountError when the password is refused (nothing written either).
    """
    now = utcnow()
    # Conditional: of two requests sent at once with the same link, one only changes the password.
    claimed = session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None),
               PasswordReset.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount == 1
    if not claimed:
        session.rollback()
        return False
    try:
        service.set_password(reset.user, password, from_link=True)
    except service.AccountError:
        session.rollback()
        raise
    log.info("password chosen from a reset link by user %s", reset.user_id)
    return True
