"""Translated error pages that never show a traceback."""
from flask import make_response, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..extensions import db

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
    title, default_message = PAGES[code]
    page = render_template("errors/error.html", code=code, title=title,
                           message=message or default_message)
    return make_response(page, code)


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
        # Flask has already logged the traceback with the path alone; SQL parameters are hidden
        # by the engine option `hide_parameters`, so no personal data reaches the log.
        db.session.rollback()
        return render_error(500)
