"""Usage statistics and exports for coordinators; facilitators see the same pages for their own sessions."""

from flask import (Blueprint, Response, abort, current_app, redirect, render_template, request,
                   stream_with_context)
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from ..core.centre import centre_timezone, centre_today, current_centre
from ..core.errors import render_error
from ..core.links import url_with_query
from ..extensions import db
from . import exports, figures, period, queries
from .charts import chart_for
from .figures import DEFINITIONS

bp = Blueprint("stats", __name__, url_prefix="/stats")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_request():
    """The filters of this request; a facilitator is held to their own figures (403 for anyone else's)."""
    topics, staff, places = queries.filter_options(db.session)
    if not current_user.is_coordinator:
        asked = request.args.get("facilitator")
        if asked not in (None, "", str(current_user.id)):
            abort(403)
        staff = [(user_id, name) for user_id, name in staff if user_id == current_user.id]
    args = request.args.to_dict()
    if not current_user.is_coordinator:
        args["facilitator"] = str(current_user.id)
    today = centre_today()
    asked = period.parse(args, today, {t for t, _ in topics}, {u for u, _ in staff}, {p for p, _ in places})
    return asked, {"topics": topics, "staff": staff, "places": places}


def describe(asked, options):
    """The period and filters in words, for the report's heading and the exports."""
    filters = asked.filters
    words = [_("From %(start)s to %(end)s", start=format_date(filters.start, "long"),
               end=format_date(filters.end, "long"))]
    for key, value, label in (("topics", filters.topic_id, _("topic")),
                              ("staff", filters.facilitator_id, _("facilitator")),
                              ("places", filters.location_id, _("place"))):
        if value is not None:
            words.append(_("%(label)s: %(value)s", label=label, value=dict(options[key])[value]))
    return " · ".join(words)


def file_name(asked, extension, what="statistiques"):
    return f"{what}-{asked.filters.start.isoformat()}-{asked.filters.end.isoformat()}.{extension}"


def _page(template):
    asked, options = read_request()
    result = figures.figures(db.session, asked.filters, centre_timezone())
    return render_template(template, asked=asked, options=options, figures=result, periods=period.PERIODS,
                           definitions=DEFINITIONS, chart_for=chart_for, centre=current_centre(),
                           description=describe(asked, options), number=format_decimal)


@bp.route("/")
def index():
    return _page("stats/index.html")


@bp.route("/report")
def report():
    return _page("stats/report.html")


def _export_refused(asked):
    """Send back to the dashboard, which explains, when the filters could not all be used."""
    return redirect(url_with_query("stats.index", request.args)) if asked.errors else None


@bp.route("/export.csv")
def export_csv():
    asked, options = read_request()
    if refused := _export_refused(asked):
        return refused
    result = figures.figures(db.session, asked.filters, centre_timezone())
    body = "".join(exports.figures_csv(result, describe(asked, options)))
    return _download(body.encode("utf-8"), "text/csv; charset=utf-8", file_name(asked, "csv"))


@bp.route("/export.xlsx")
def export_xlsx():
    asked, options = read_request()
    if refused := _export_refused(asked):
        return refused
    result = figures.figures(db.session, asked.filters, centre_timezone())
    body = exports.figures_xlsx(result, describe(asked, options), current_centre().name)
    return _download(body, XLSX, file_name(asked, "xlsx"))


SESSION_FORMATS = ("", "coop")  # the centre's own columns, or La Coop's (coop.py)


def _session_export(extension):
    """The raw sessions in the asked format; an unknown format is refused with a page that says so."""
    chosen = request.args.get("format", "")
    if chosen not in SESSION_FORMATS:
        return render_error(400, _("This export format does not exist. Use the export buttons of the statistics "
                                   "page."))
    asked, _options = read_request()
    if refused := _export_refused(asked):
        return refused
    secret_key = current_app.config["SECRET_KEY"]
    if chosen == "coop":
        # As the Coop's "self export": the sessions of the one downloading them name the
        # beneficiaries (pseudonyms) rather than the mediator.
        own = asked.filters.facilitator_id == current_user.id
        write = exports.coop_sessions_csv if extension == "csv" else exports.coop_sessions_xlsx
        body, name = write(db.session, asked.filters, secret_key, own), "activites-coop"
    else:
        write = exports.sessions_csv if extension == "csv" else exports.sessions_xlsx
        body, name = write(db.session, asked.filters, secret_key), "accompagnements"
    if extension == "csv":
        return _download(stream_with_context(line.encode("utf-8") for line in body), "text/csv; charset=utf-8",
                         file_name(asked, "csv", name))
    return _download(stream_with_context(body), XLSX, file_name(asked, "xlsx", name))


@bp.route("/sessions.csv")
def sessions_csv():
    return _session_export("csv")


@bp.route("/sessions.xlsx")
def sessions_xlsx():
    return _session_export("xlsx")


def _download(body, content_type, name):
    # `content_type`, not `mimetype`: Werkzeug adds a charset to a text mimetype, which already has one.
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
