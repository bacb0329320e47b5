"""Links that carry a request's query string on (the language switch, page numbers, filters).

`url_for` takes its own parameters (`endpoint`, `values`, `_anchor`, `_external`…) and the
route's variables from the same keyword arguments as the query string: a query argument named
like one of them would raise, or change the link. Here the path is built from the route's values
alone, and the query string is encoded apart, every name and every repeated value kept.
"""
from urllib.parse import urlencode

from flask import url_for
from werkzeug.datastructures import MultiDict

QUERY_SAFE = "!$'()*,/:;?@"


def query_pairs(query):
    """(name, value) pairs from a MultiDict (all values), a dict or an iterable of pairs."""
    if isinstance(query, MultiDict):
        return list(query.items(multi=True))
    if isinstance(query, dict):
        return list(query.items())
    return list(query)


def url_with_query(endpoint, query=(), **values):
    """The address of `endpoint` with the route's `values`, followed by the `query` as given."""
    url = url_for(endpoint, **values)
    pairs = [(str(name), str(value)) for name, value in query_pairs(query)]
    if not pairs:
        return url
    # Encoded as url_for encodes its own query strings (the characters the URL standard leaves).
    return f"{url}{'&' if '?' in url else '?'}{urlencode(pairs, safe=QUERY_SAFE)}"
