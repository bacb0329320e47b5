"""Rate limits on guessing: only failed attempts count.

Per thing guessed (an account, a booking code), so that guessing stops quickly wherever it comes
from; per address with a higher ceiling, because the centre's public computers and kiosk share
one address and a busy morning must not lock residents out.
"""
from flask import current_app, g

from ..extensions import limiter


def _failed(response):
    return bool(g.get("attempt_failed"))


def record_failure():
    """Count this request against the view's limits."""
    g.attempt_failed = True


def limit_failures(name, guessed, per_guessed_setting, per_address_setting):
    """Limit the failed POSTs of a view; `guessed()` names what this request tries to guess."""

    def decorator(view):
        view = limiter.limit(lambda: current_app.config[per_address_setting], methods=["POST"],
                             deduct_when=_failed)(view)
        return limiter.limit(lambda: current_app.config[per_guessed_setting],
                             key_func=lambda: f"{name}:{guessed()}", methods=["POST"],
                             deduct_when=_failed)(view)

    return decorator
