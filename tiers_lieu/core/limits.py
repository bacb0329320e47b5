"""Rate limits on guessing: only failed attempts count.

Per thing guessed (an account, a booking code), so that guessing stops quickly wherever it comes
from; per address with a higher ceiling, because the centre's public computers and kiosk share
one address and a busy morning must not lock residents out.

Every attempt is counted as it arrives, and a successful one is given back once its page is made.
Counting failures only after the page (Flask-Limiter's `deduct_when`) would let simultaneous
guesses all pass the check before any of them is counted: 15 wrong passwords sent at once through
three gunicorn workers got 6 or 7 answers against a limit of 5. Counted first, with Redis's atomic
increment, exactly 5 are answered whatever the timing. Giving back needs a window counter that can
go down: the fixed-window strategy (config `RATELIMIT_STRATEGY`).

A counter's key names what is guessed by a keyed digest of it, never by the thing itself, so that
the limit store (Redis, shared and often less guarded than the database) holds no staff e-mail
address and no booking code.
"""
import hashlib
import hmac
import logging

from flask import current_app, g, request
from limits.errors import StorageError

from ..extensions import limiter

log = logging.getLogger(__name__)


def record_failure():
    """Keep this request's attempt counted against the view's limits."""
    g.attempt_failed = True


def guess_key(name, guessed):
    """The counter's key for one thing guessed: `name` and a digest keyed with the app's secret,
    so that nobody reading the store can test candidate addresses or codes against it."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    digest = hmac.new(secret, str(guessed or "").encode(), hashlib.sha256).hexdigest()
    return f"{name}:{digest[:32]}"


def limit_failures(name, guessed, per_guessed_setting, per_address_setting):
    """Limit the failed POSTs of a view; `guessed()` names what this request tries to guess."""

    def decorator(view):
        view = limiter.limit(lambda: current_app.config[per_address_setting], methods=["POST"])(view)
        view = limiter.limit(lambda: current_app.config[per_guessed_setting],
                             key_func=lambda: guess_key(name, guessed()), methods=["POST"])(view)
        view.limits_failures_only = True
        return view

    return decorator


def give_back_successful_attempts(response):
    """Uncount an attempt that did not fail, on the views that limit failures only."""
    if request.method != "POST" or g.get("attempt_failed") or response.status_code == 429:
        return response
    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, "limits_failures_only", False):
        return response
    for applied in limiter.current_limits:
        try:
            limiter.limiter.hit(applied.limit, *applied.request_args, cost=-1)
        except StorageError:
            # Redis went away since the attempt was counted: the attempt stays counted, which
            # errs on the side of the limit.
            log.warning("A successful attempt could not be given back to its rate limit")
    return response


def init_app(app):
    app.after_request(give_back_successful_attempts)
