"""Links that carry a request's query string on (the language switch, page numbers, filters).

`url_for` takes its own parameters (`endpoint`, `values`, `_anchor`, `_external`…) and the
route's variables from the same keyword arguments as the query string: a query argument named
like one of them would raise, or change the link. Here the path is built from the route's values
alone, and the query string is encoded apart, every name and every repeated value kept.
"""
from urllib.parse import urlencode, urlsplit

from flask import current_app, has_request_context, request, url_for
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


# Where `flask notify send` and other commands point links when development sets no address.
DEVELOPMENT_ADDRESS = "http://127.0.0.1:5000/"


def public_url():
    """The address residents use, ending with "/".

    Production sets `PUBLIC_URL` (it refuses to start without an https:// one): links never follow
    a request's Host header there, which anyone can write. In development, when it is unset, links
    follow the address this request was served on (`make run PORT=5055`, or a phone on the local
    network reading the QR code); outside a request, the development server's usual address.
    """
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/") + "/"
    if has_request_context():
        return request.host_url
    return DEVELOPMENT_ADDRESS


def public_link(endpoint, **values):
    """An absolute link to `endpoint` on the public address, inside a request or not."""
    public = urlsplit(public_url())
    urls = current_app.url_map.bind(public.netloc, script_name=public.path or "/", url_scheme=public.scheme)
    return urls.build(endpoint, values, force_external=True)


# An id no row has: `row_links` builds a route's address once with it, then puts each row's id in.
_ROW_ID = 2_147_000_013


def row_links(**routes):
    """Functions giving, for a row's id, the address of each per-row action of a long page.

    `routes` maps a name to (endpoint, name of the id variable, other route values). A page of
    sixty bookings and their buttons would otherwise call `url_for` hundreds of times (some 40 µs
    each, a third of the desk's day view); the address is the same with only the id changed.
    """
    links = {}
    for name, (endpoint, id_name, values) in routes.items():
        pattern = url_for(endpoint, **{id_name: _ROW_ID}, **values)
        before, found, after = pattern.partition(str(_ROW_ID))
        assert found and str(_ROW_ID) not in after, endpoint
        links[name] = lambda row_id, before=before, after=after: f"{before}{int(row_id)}{after}"
    return links
