"""Translated error pages that never show a traceback."""
from flask import current_app, has_request_context, make_response, render_template, request
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from ..extensions import db
from .security import add_security_headers

PAGES = {
    400: (_l("The request could not be understood"),
          _l("Something in what was sent was not right. Go back, reload the page and try again.")),
    403: (_l("Access refused"),
          _l("Your account does not allow you to see this page. Ask a coordinator if you need it.")),
    404: (_l("Page not found"),
          _l("This address does not lead anywhere. It may have been mistyped, or the page no longer exists.")),
    405: (_l("Action not allowed"),
          _l("This page cannot be used this way. Go back and use the buttons on the page.")),
    413: (_l("Too much sent at once"),
          _l("What you sent is much bigger than this site accepts. Go back, check that nothing was pasted "
             "by mistake, shorten any very long text and send the form again.")),
    429: (_l("Too many attempts"),
          _l("Please wait a minute before trying again. This protects everyone's accounts and bookings.")),
    500: (_l("Something went wrong on our side"),
          _l("The problem has been recorded. Please try again in a moment, or call the centre.")),
}
CSRF_MESSAGE = _l(
    "This form had expired or was sent twice. Reload the page and fill it in again."
)


def render_error(code, message=None):
    """The translated error page; a plain page of its own when the usual one cannot be drawn."""
    title, default_message = PAGES[code]
    message = message or default_message
    try:
        page = render_template("errors/error.html", code=code, title=title, message=message)
    except Exception:  # noqa: BLE001  (logged: the error page is the last thing that may fail)
        current_app.logger.exception("The error page %s could not be drawn; the plain one is sent", code)
        page = plain_page(code, title, message)
    # Here as well as after the request: an error page must carry them even when a hook failed.
    return add_security_headers(make_response(page, code))


PLAIN_PAGE = """<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><main><h1>{title}</h1><p>{message}</p><p>{code_line}</p><p><a href="{home}">{home_label}</a></p></main>
</body>
</html>
"""


def plain_page(code, title, message):
    """The error page without the site's template, database or links: only the request's words.

    What broke the usual page may be the database (the centre's name), a link of the header or
    the translations themselves, so each is left out or given its English source.
    """
    db.session.rollback()
    try:
        words = {"lang": str(get_locale()), "title": str(title), "message": str(message),
                 "code_line": gettext("Error code: %(code)s", code=code),
                 "home_label": gettext("Back to the home page")}
    except Exception:  # noqa: BLE001  (the translations broke the page: English words instead)
        current_app.logger.exception("The error page's translations failed")
        words = {"lang": "en", "title": "Error", "message": "", "code_line": f"Error code: {code}",
                 "home_label": "Back to the home page"}
    home = (request.script_root if has_request_context() else "") + "/"
    return PLAIN_PAGE.format(home=escape(home), **{name: escape(value) for name, value in words.items()})


def register(app):
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(error):
        code = error.code if error.code in PAGES else None
        if code is None:
            return error
        response = render_error(code)
        if code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(InternalServerError)
    def server_error(error):
        db.session.rollback()
        cause = error.original_exception
        if isinstance(cause, HTTPException) and cause.code in PAGES and cause.code < 500:
            # An HTTP error raised inside another error handler (an abort() while drawing an
            # error page): Flask turns it into a 500, but it is the client's.
            return http_error(cause)
        # Flask has already logged the traceback with the path alone; SQL parameters are hidden
        # by the engine option `hide_parameters`, so no personal data reaches the log.
        return render_error(500)
