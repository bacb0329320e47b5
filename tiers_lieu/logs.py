"""Keep personal data and secret links out of the log.

Our own log lines name ids, never people. What we do not write ourselves goes through this
filter: an exception's text, such as PostgreSQL's "Key (email)=(…) already exists"; Flask's
"Exception on /booking/<token> [GET]", which gunicorn's error log receives too; the development
server's request lines; gunicorn's own error lines. It masks e-mail addresses, phone numbers
(and with them IP addresses), the values a database error quotes, a booking's secret link
(whatever follows `/booking/` in a path or a URL), a password-reset link (whatever follows
`/login/reset/`) and the desk's search terms (`?q=`, a name or a phone number).
"""
import logging
import re

PATTERNS = [
    # A booking's secret link, also percent-encoded (in a ?next=). Tracebacks name the booking
    # package's files and templates (tiers_lieu/booking/views.py, templates/booking/manage.html):
    # those are not links and stay readable.
    (re.compile(r"(?<!tiers_lieu)(?<!templates)(/|%2[fF])booking(/|%2[fF])[^\s\"'<>\x1b]+"), r"\1booking\2<secret>"),
    # A staff member's link to choose a new password (accounts/recovery.py), the same way.
    (re.compile(r"(/|%2[fF])login(/|%2[fF])reset(/|%2[fF])[^\s\"'<>\x1b]+"), r"\1login\2reset\3<secret>"),
    # The desk's search terms, also percent-encoded: the login page's ?next= holds the page asked for.
    (re.compile(r"((?:[?&]|%3[fF]|%26)q(?:=|%3[dD]))[^&#\s\"'<>\x1b]+"), r"\1<search>"),
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "<e-mail>"),
    (re.compile(r"\+?\d[\d .-]{7,}\d"), "<number>"),
    (re.compile(r"(Key \([^)]*\)=)\([^)]*\)"), r"\1(<value>)"),
]
# Loggers that write what arrives from outside: the development server's request lines,
# gunicorn's own error lines (a request it could not read) and the rate limiter's refusals, which
# name the limit's key (the login limit's is the e-mail typed). Not gunicorn's access log: its
# format, set without paths nor addresses in the README, is the operator's, and this filter would
# read its status and duration side by side ("500 0.052341") as a phone number.
SERVER_LOGGERS = ("werkzeug", "gunicorn.error", "flask-limiter")


def redact(text):
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactPersonalData(logging.Filter):
    def filter(self, record):
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


REDACT = RedactPersonalData()


def init_app(app):
    """Filter the app's logger, its handlers and the servers' loggers (once, however many apps)."""
    for logger in (app.logger, *map(logging.getLogger, SERVER_LOGGERS)):
        logger.addFilter(REDACT)
    # A logger's filters do not see the lines of its children (tiers_lieu.notify.service…), which
    # reach its handlers directly: Flask's own handler, when it has one, filters them too.
    for handler in app.logger.handlers:
        handler.addFilter(REDACT)
