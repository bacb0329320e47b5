"""Who may open which page: one table, enforced before any code of a view runs.

Every endpoint of the app is either public or needs a staff role. The table names a role per
blueprint, and per endpoint where one differs from its blueprint; `check_table` refuses to start
an app with an endpoint the table does not cover, so a new route cannot be served unguarded.

The guard is one app-level `before_request` hook, and the CSRF check runs inside it, *after* the
access check: a request refused for its role never reaches a view, whatever its token. A form view
marked `refill_on_expired_csrf` is then dispatched normally with its token refused (its form does
not validate, so nothing is written) and shows what was typed, answered with status 400. Nothing
calls a view from an error handler.
"""
import hmac

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from ..core.errors import CSRF_MESSAGE, render_error
from ..core.forms import refills_form
from ..extensions import csrf, login_manager
from .models import Role

PUBLIC = "public"

BLUEPRINTS = {
    "core": PUBLIC,  # /healthz, security.txt, the privacy notice
    "booking": PUBLIC,  # residents' pages: a booking opens only with its secret link or code + contact
    "api": PUBLIC,  # the public booking API, same rules as the residents' pages
    "lobby": PUBLIC,  # the kiosk and the waiting-room display: ticket numbers and topics, no names
    "opendata": PUBLIC,  # the national open-data files: the centre's public identity and topics, no person
    "accounts": Role.FACILITATOR,
    "desk": Role.FACILITATOR,
    "stats": Role.FACILITATOR,
    "admin": Role.COORDINATOR,
    "ops": Role.FACILITATOR,  # the scheduled jobs' last runs; a monitor may send its token instead
}
# Endpoints a monitor reads without an account, with `Authorization: Bearer <MONITOR_TOKEN>`.
MONITOR_ENDPOINTS = {"ops.jobs"}
ENDPOINTS = {
    "static": PUBLIC,
    "accounts.login": PUBLIC,
    "accounts.logout": PUBLIC,  # logging out an anonymous browser does nothing
    # A forgotten password and the second step of a login: their visitor is not logged in yet.
    "accounts.forgot_password": PUBLIC,
    "accounts.reset_password": PUBLIC,  # opens only with the e-mailed link's token
    "accounts.login_two_step": PUBLIC,  # opens only after the right password, on the same browser
    "desk.privacy_erase": Role.COORDINATOR,  # erasing a person's details cannot be undone
}


def required_access(endpoint):
    """PUBLIC or the least role that may use the endpoint; KeyError when the table misses it."""
    if endpoint in ENDPOINTS:
        return ENDPOINTS[endpoint]
    blueprint = endpoint.rpartition(".")[0]
    return BLUEPRINTS[blueprint]


def check_table(app):
    """Refuse to build an app that serves an endpoint the access table does not cover."""
    missing = sorted(rule.endpoint for rule in app.url_map.iter_rules()
                     if not _covered(rule.endpoint))
    if missing:
        raise RuntimeError("No access rule for these endpoints (tiers_lieu/accounts/access.py): "
                           + ", ".join(missing))


def _covered(endpoint):
    try:
        required_access(endpoint)
    except KeyError:
        return False
    return True


def refusal(role):
    """The response refusing this request to a visitor below `role`, or None when allowed."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.has_role(role):
        abort(403)
    if current_user.must_change_password and request.endpoint not in {
            "accounts.change_password", "accounts.logout"}:
        return redirect(url_for("accounts.change_password"))
    return None


def guard():
    """Check the visitor's access, then the CSRF token, before the view runs."""
    if request.endpoint is None:  # no route: routing answers 404 or 405
        return None
    access = required_access(request.endpoint)
    if request.endpoint in MONITOR_ENDPOINTS and monitor_token_given():
        return None  # a GET that changes nothing: no CSRF token to check
    if access is not PUBLIC:
        response = refusal(access)
        if response is not None:
            return response
    return check_csrf()


def monitor_token_given():
    """Whether the request carries the configured monitor token (never, when none is set)."""
    expected = current_app.config.get("MONITOR_TOKEN") or ""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode())


def check_csrf():
    if not current_app.config["WTF_CSRF_ENABLED"]:
        return None
    try:
        csrf.protect(apply_exemptions=True)
    except CSRFError:
        if request.method != "POST" or not refills_form(current_app.view_functions[request.endpoint]):
            raise
        g.csrf_refused = True
    return None


def answer_refused_token(response):
    """A refused token is answered 400, even by a form shown again filled.

    A view may end before reading its form (a booking cancelled meanwhile redirects to the day):
    it changed nothing, but a redirect would read as a success, so it becomes the refusal page.
    The response is changed in place: the other hooks (security headers) have run on it already.
    """
    if not g.get("csrf_refused") or response.status_code >= 400:
        return response
    if response.status_code != 200:
        response.set_data(render_error(400, CSRF_MESSAGE).get_data())
        response.mimetype = "text/html"
        response.headers.pop("Location", None)
    response.status_code = 400
    return response


def init_app(app):
    # Flask-WTF's own hook would run the check before ours, and its error handler could only
    # answer 400: the check runs inside `guard`, after the access check.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(guard)
    app.after_request(answer_refused_token)
