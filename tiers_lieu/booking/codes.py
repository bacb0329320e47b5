"""Booking codes people can read out on the phone, and secret links nobody can guess."""
import base64
import hashlib
import hmac
import secrets

from flask import current_app

# No look-alikes: no 0/O/Q, 1/I/L, 2/Z, 5/S, 8/B, U/V.
ALPHABET = "ACDEFGHJKMNPRTWXY34679"
CODE_LENGTH = 6


def new_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code):
    """K7M4QP → K7M-4QP, easier to read and to type."""
    return f"{code[:3]}-{code[3:]}"


def normalise_code(raw):
    """Accept a code typed with spaces, dashes or in lower case."""
    cleaned = "".join(ch for ch in (raw or "").upper() if ch.isalnum())
    return cleaned if len(cleaned) == CODE_LENGTH and all(ch in ALPHABET for ch in cleaned) else None


def new_request_key():
    """A random key sent with the booking form, so that the same form books only once."""
    return secrets.token_urlsafe(16)


def token_for(request_key):
    """The secret link's token (256 bits), derived from the form's key and the app's secret.

    Deriving it lets a double submission of the same form show the same booking again, although
    only the token's hash is stored.
    """
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), b"booking-link:" + request_key.encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()
