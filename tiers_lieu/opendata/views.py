"""/open-data/…: the files the national teams pull, public and cacheable.

They hold the centre's public identity and its topics only, never a resident or a staff member,
and read the same in every language (the standards are French). Caches may keep them an hour;
`Last-Modified` and If-Modified-Since spare a download when nothing changed.
"""
import json

from flask import Blueprint, Response, request

from ..core.centre import centre_today
from ..extensions import db
from . import data_inclusion, mednum

bp = Blueprint("opendata", __name__, url_prefix="/open-data")

MAX_AGE = 3600


def published(body, content_type, result, download_name=None):
    response = Response(body, content_type=content_type)
    response.last_modified = result.last_modified
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    # Open data: any web page may read it.
    response.headers["Access-Control-Allow-Origin"] = "*"
    if download_name:
        response.headers["Content-Disposition"] = f'inline; filename="{download_name}"'
    return response.make_conditional(request)


def as_json(value):
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


@bp.route("/lieux-de-mediation-numerique.csv")
def lieux_csv():
    result = mednum.publication(db.session, centre_today())
    return published(mednum.lieux_csv(db.session, result.today, result), "text/csv; charset=utf-8", result,
                     mednum.file_name(result))


@bp.route("/lieux-de-mediation-numerique.json")
def lieux_json():
    result = mednum.publication(db.session, centre_today())
    return published(as_json(mednum.lieux_json(db.session, result.today, result)),
                     "application/json; charset=utf-8", result, mednum.file_name(result).removesuffix(".csv") + ".json")


@bp.route("/data-inclusion/structures.json")
def structures():
    result = mednum.publication(db.session, centre_today())
    return published(as_json(data_inclusion.structures(db.session, result.today, result)),
                     "application/json; charset=utf-8", result)


@bp.route("/data-inclusion/services.json")
def services():
    result = mednum.publication(db.session, centre_today())
    return published(as_json(data_inclusion.services(db.session, result.today, result)),
                     "application/json; charset=utf-8", result)
