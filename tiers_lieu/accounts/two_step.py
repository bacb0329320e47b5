"""Two-step verification: after the password, a code from an authenticator app (TOTP, RFC 6238).

Optional, for every member of staff: the issue asks it for coordinators, whose accounts open
everything, and a facilitator who wants it is not refused.

Set-up: the set-up page offers a secret (`pending_secret`), shown as a QR code and as text, and
stored on the account only once a code from the app confirmed it (`turn_on`), which also gives ten
recovery codes, shown once. Login: `auth.hold_login` keeps the
user's id while the code is asked (`check_login_code`), and only then is a staff session started.

The secret is stored as it is, not encrypted. The server must read it to check a code, so its key
would live beside the database, in SECRET_KEY or the environment: it would protect only a copy of
the database taken without the server's settings (a backup, which the README already asks to
encrypt), at the price of locking every account out the day SECRET_KEY is changed, which is the
first thing done after a leak. It is never shown again once two-step verification is on, and
turning it off forgets it.

A code is accepted in the 30-second step before, at and after the server's clock (phones drift),
and never twice: the last step accepted is stored, and a code of that step or an earlier one is
refused, so a code read over a shoulder cannot be used again.

Recovery codes have 10 characters from an alphabet of 31 without look-alikes (no 0/o, 1/l/i):
about 49 bits. Plenty against guessing online (rate-limited, and only after the right password),
but a fast hash (SHA-256) of so few bits falls within hours to one graphics card, so they are
hashed like passwords (argon2id, passwords.py). Checking one costs up to ten argon2
verifications, paid only when someone types a recovery code after the right password.
"""
import base64
import hashlib
import hmac
import re
import secrets
import time

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from .. import audit
from ..core.centre import current_centre
from ..database import utcnow
from .models import RecoveryCode, User
from .passwords import hash_password, verify_password

PERIOD = 30
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_LENGTH = 10
CODE_RE = re.compile(r"\d{6}")
RECOVERY_RE = re.compile(f"[{RECOVERY_ALPHABET}]{{{RECOVERY_LENGTH}}}")


def pending_secret(user):
    """The secret the set-up page offers to `user`, logged in on this browser.

    The same on every reload of this login, so that a page reloaded after scanning still matches
    the phone, yet written nowhere until a code confirms it: it is derived with SECRET_KEY from
    this browser's staff session token, of which the database holds only a hash. Showing the page
    changes nothing, and each login offers another secret, so that one seen on a screen left open
    is not the one turned on later. 160 bits, the length RFC 4226 recommends.
    """
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(),
                      b"two-step set-up:" + user.session_token.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode()


def grouped(secret):
    """The secret by groups of four, for typing it into an app by hand."""
    return " ".join(secret[start:start + 4] for start in range(0, len(secret), 4))


def provisioning_uri(user, secret):
    """The otpauth:// address the QR code holds: the app shows the centre and the account."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_centre().name)


def qr_code(uri):
    """The address as an inline QR code: no other request carries the secret."""
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2, dark="#1b1b1f")


def _matching_step(secret, code, after_step):
    """The time step whose code this is, within one step of now and after `after_step`, or None."""
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // PERIOD
    for step in (now - 1, now, now + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _six_digits(text):
    digits = re.sub(r"\s", "", text or "")
    return digits if CODE_RE.fullmatch(digits) else None


def turn_on(session, user, secret, code):
    """Turn two-step verification on with `secret` if `code` is the app's current one for it;
    return the recovery codes to show once, or None when the code is wrong. Committed."""
    digits = _six_digits(code)
    step = _matching_step(secret, digits, None) if digits else None
    if step is None or user.two_step_on:
        return None
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _replace_recovery_codes(session, user)
    audit.record("user.two_step_on", user)
    session.commit()
    return codes


def turn_off(session, user, actor=None):
    """Turn two-step verification off and forget its secret and recovery codes. Committed.

    `actor`: who did it when not the person logged in (a coordinator's page names them; the
    command line names nobody)."""
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record("user.two_step_off", user, actor=actor)
    session.commit()


def new_recovery_codes(session, user):
    """Replace the recovery codes; return the new ones, to show once. Committed."""
    codes = _replace_recovery_codes(session, user)
    audit.record("user.recovery_codes_new", user)
    session.commit()
    return codes


def _replace_recovery_codes(session, user):
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_password(code)) for code in codes)
    return [format_recovery_code(code) for code in codes]


def format_recovery_code(code):
    half = RECOVERY_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def _recovery_code(text):
    """The recovery code typed, without its hyphen, spaces or capitals, or None if it is not one."""
    code = re.sub(r"[\s\-‐‑–]", "", text or "").lower()
    return code if RECOVERY_RE.fullmatch(code) else None


def recovery_codes_left(session, user):
    return session.execute(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).scalar_one()


class Passed:
    CODE = "code"
    RECOVERY_CODE = "recovery_code"


def check_login_code(session, user, text):
    """Whether `text` passes the second step for `user`: Passed.CODE, Passed.RECOVERY_CODE, or
    None. A code accepted is spent at once (committed), by a conditional UPDATE, so that two
    requests carrying the same code cannot both pass."""
    digits = _six_digits(text)
    if digits is not None:
        step = _matching_step(user.totp_secret, digits, user.totp_last_step)
        if step is None:
            return None
        won = session.execute(
            update(User).where(User.id == user.id, User.totp_enabled_at.is_not(None),
                               or_(User.totp_last_step.is_(None), User.totp_last_step < step))
            .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount == 1
        session.commit()
        return Passed.CODE if won else None
    code = _recovery_code(text)
    if code is None:
        return None
    unused = session.execute(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).scalars().all()
    for row in unused:
        if verify_password(row.code_hash, code):
            won = session.execute(
                update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=utcnow()).execution_options(synchronize_session=False)).rowcount == 1
            if not won:
                session.rollback()
                return None
            audit.record("user.recovery_code_used", user, actor=user, codes_left=len(unused) - 1)
            session.commit()
            return Passed.RECOVERY_CODE
    return None
