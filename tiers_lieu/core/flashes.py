"""Messages for the next page (Flask's flash), each said once.

A message waits in the session cookie until a page shows it. The same message flashed again
before that (a form sent twice, a button clicked again while the page loads, a client that does
not follow the redirect) would be said twice and make the cookie grow with every request.
"""
from flask import session

FLASHES_KEY = "_flashes"  # where Flask keeps them


def say_each_message_once(response):
    pending = session.get(FLASHES_KEY) if session.modified else None
    if pending and len(pending) > 1:
        unique = list(dict.fromkeys(tuple(item) for item in pending))
        if len(unique) < len(pending):
            session[FLASHES_KEY] = unique
    return response


def register(app):
    app.after_request(say_each_message_once)
