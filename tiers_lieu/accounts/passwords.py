"""Password hashing (argon2id) and the password rules.

The rules follow current guidance (NIST SP 800-63B, ANSSI): a minimum length, long passphrases
welcome, no composition rules, and a refusal of passwords that are common or easy to guess.
"""
import re

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 1024
# zxcvbn only looks at this many characters; a passphrase longer than that is long enough.
ANALYSED_LENGTH = 72
# Fewer estimated guesses than 10^8 means a dictionary attack finds it quickly.
MIN_GUESSES_LOG10 = 8

# zxcvbn knows English words and the world's most common passwords; these are the French ones
# people here would reach for first, plus the name of the place itself.
FRENCH_COMMON = [
    "motdepasse", "azerty", "azertyuiop", "bonjour", "soleil", "doudou", "loulou", "chouchou",
    "marseille", "valence", "france", "nicolas", "camille", "jetaime", "coucou", "bisounours",
    "maison", "pourtous", "petitcharran", "charran", "tiers", "lieu", "accueil", "centre",
    "social", "numerique", "mediateur", "animateur", "coordinateur", "facilitateur",
]


def hasher():
    cached = current_app.extensions.get("password_hasher")
    if cached is None:
        cached = PasswordHasher(
            time_cost=current_app.config["ARGON2_TIME_COST"],
            memory_cost=current_app.config["ARGON2_MEMORY_COST"],
            parallelism=current_app.config["ARGON2_PARALLELISM"],
            type=Type.ID,
        )
        current_app.extensions["password_hasher"] = cached
    return cached


def hash_password(password):
    return hasher().hash(password)


def verify_password(password_hash, password):
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    return hasher().check_needs_rehash(password_hash)


def spend_verification_time(password):
    """Verify against a throw-away hash, so an unknown e-mail costs as long as a wrong password."""
    dummy = current_app.extensions.get("password_dummy_hash")
    if dummy is None:
        dummy = current_app.extensions["password_dummy_hash"] = hash_password("no one's password")
    verify_password(dummy, password)


def password_problem(password, *personal):
    """Say in plain words why this password is refused, or return None when it is fine."""
    if len(password) < MIN_LENGTH:
        return _(
            "Use at least %(count)d characters. A short sentence of a few words is long enough "
            "and easy to remember.",
            count=MIN_LENGTH,
        )
    if len(password) > MAX_LENGTH:
        return _("Use at most %(count)d characters.", count=MAX_LENGTH)
    from ..core.centre import current_centre

    words = [word for value in (*personal, current_centre().name) if value for word in _words(value)]
    dictionary = FRENCH_COMMON + words
    # Spaces between well-known words add little: judge the password with and without them.
    guesses = min(
        zxcvbn(candidate[:ANALYSED_LENGTH], user_inputs=dictionary)["guesses_log10"]
        for candidate in {password, re.sub(r"\s+", "", password)}
    )
    if guesses < MIN_GUESSES_LOG10:
        return _(
            "This password is too common or too easy to guess. Add a few unusual words, "
            "for example three words that have nothing to do with each other."
        )
    return None


def _words(value):
    value = value.lower()
    parts = [value, value.replace(" ", ""), value.split("@")[0]] + re.split(r"[\s@.\-—_]+", value)
    return [part for part in parts if len(part) >= 3]
