"""Keep personal data out of the log.

Our own log lines name ids, never people. What we do not write ourselves — an exception's text,
such as PostgreSQL's "Key (email)=(…) already exists" — goes through this filter, which masks
e-mail addresses, phone numbers and the values a database error quotes.
"""
import logging
import re

PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "<e-mail>"),
    (re.compile(r"\+?\d[\d .-]{7,}\d"), "<number>"),
    (re.compile(r"(Key \([^)]*\)=)\([^)]*\)"), r"\1(<value>)"),
]


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


def init_app(app):
    app.logger.addFilter(RedactPersonalData())
