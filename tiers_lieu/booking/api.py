"""Read-only JSON for partners (the city's website, the national map of digital-inclusion places).

Free slots and topics only: no personal data ever leaves through here.
"""
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, jsonify, request, url_for

from ..core.inputs import EARLIEST_DATE, LATEST_DATE, within_calendar
from ..database import utcnow
from ..extensions import csrf, db
from .availability import Window, booking_rules, free_slots
from .topics import active_topic, active_topics

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_DAYS = 62


def problem(status, detail):
    response = jsonify(status=status, detail=detail)
    response.status_code = status
    return response


def topic_json(topic):
    return {
        "slug": topic.slug,
        "name": {"fr": topic.name_fr, "en": topic.name_en or topic.name_fr},
        "description": {"fr": topic.description_fr, "en": topic.description_en or topic.description_fr},
        "what_to_bring": {"fr": topic.localised_lines("fr"), "en": topic.localised_lines("en")},
        "colour": topic.colour,
        "pictogram_url": url_for("static", filename=topic.pictogram_path, _external=True),
        "booking_url": url_for("booking.topic", slug=topic.slug, _external=True),
    }


def slot_json(slot, topic, tz):
    return {
        "id": slot.id,
        "start": slot.starts_at.astimezone(tz).isoformat(),
        "end": slot.ends_at.astimezone(tz).isoformat(),
        "place": slot.location.name,
        "capacity": slot.capacity,
        "seats_left": slot.seats_left,
        "workshop_title": slot.workshop_title,
        "topics": [t.slug for t in slot.topics if t.active],
        "booking_url": url_for("booking.book", slot_id=slot.id, topic=topic.slug, _external=True),
    }


@bp.route("/topics")
def topics():
    return jsonify(topics=[topic_json(topic) for topic in active_topics(db.session)])


# What the description promises and the API checks, before anything reaches the database (a NUL
# in a slug is an error in PostgreSQL): a slug as the set-up page makes them, within the column's
# 40 characters; a date written YYYY-MM-DD (Python would also read 20300101 or 2030-W01-1).
SLUG = re.compile(r"[a-z0-9-]{1,40}")
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(name, default):
    """A date from the query string; ValueError when it is not one, or lies outside the calendar."""
    value = request.args.get(name)
    if value is None:
        return default
    if not DAY.fullmatch(value):
        raise ValueError(name)
    day = date.fromisoformat(value)
    if not within_calendar(day):
        raise ValueError(name)
    return day


@bp.route("/slots")
def slots():
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    slug = request.args.get("topic")
    if not slug:
        return problem(400, "The topic parameter is required, e.g. ?topic=demarches (see /api/v1/topics).")
    if not SLUG.fullmatch(slug):
        return problem(400, "topic is a topic's slug: lower-case letters, digits and hyphens, "
                            "at most 40 (see /api/v1/topics).")
    topic = active_topic(db.session, slug)
    if topic is None:
        return problem(404, "No active topic has this slug. See /api/v1/topics.")
    today = utcnow().astimezone(tz).date()
    try:
        first = parse_day("from", today)
        last = parse_day("to", first + timedelta(days=13))
    except ValueError:
        return problem(400, "from and to are dates written YYYY-MM-DD, between 2000 and 2100.")
    if last < first:
        return problem(400, "to must not be before from (today when left out).")
    if (last - first).days > MAX_DAYS:
        return problem(400, f"to must be at most {MAX_DAYS} days after from (today when left out).")
    now = utcnow()
    found = free_slots(
        db.session, Window.for_rules(booking_rules(db.session), now), topic.id,
        start=datetime.combine(first, time(), tz), end=datetime.combine(last + timedelta(days=1), time(), tz),
        with_topics=True,
    )
    return jsonify(topic=topic.slug, timezone=str(tz), **{"from": first.isoformat(), "to": last.isoformat()},
                   slots=[slot_json(slot, topic, tz) for slot in found])


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document(url_for("api.topics", _external=True).rsplit("/topics", 1)[0]))


def error_response(description):
    """A refusal in the description: its JSON body is a `Problem`, as `problem()` writes it."""
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def openapi_document(server_url):
    text = {"type": "object", "properties": {"fr": {"type": "string"}, "en": {"type": "string"}}}
    lines = {"type": "object", "properties": {"fr": {"type": "array", "items": {"type": "string"}},
                                              "en": {"type": "array", "items": {"type": "string"}}}}
    # The dates the API reads, as a pattern: YYYY-MM-DD from EARLIEST_DATE to LATEST_DATE (2000 to 2100).
    day = {"type": "string", "format": "date", "pattern": "^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tiers_lieu — free help slots",
            "version": "1.0.0",
            "description": "Read-only list of the topics and free slots of the digital-inclusion space, "
                           "to link straight to the booking page. No personal data.",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/topics": {"get": {
                "summary": "Active topics",
                "operationId": "listTopics",
                "responses": {"200": {"description": "The topics, in display order.", "content": {
                    "application/json": {"schema": {"type": "object", "required": ["topics"], "properties": {
                        "topics": {"type": "array", "items": {"$ref": "#/components/schemas/Topic"}}}}}}}},
            }},
            "/slots": {"get": {
                "summary": "Free slots of a topic between two dates",
                "operationId": "listFreeSlots",
                "description": f"A rule a schema cannot state: `to` is neither before `from` nor more than "
                               f"{MAX_DAYS} days after it (`from` being today when left out); otherwise the "
                               "answer is 400.",
                "parameters": [
                    {"name": "topic", "in": "query", "required": True, "example": "demarches",
                     "schema": {"type": "string", "pattern": f"^{SLUG.pattern}$"},
                     "description": "A topic's slug, from /topics: lower-case letters, digits and hyphens."},
                    {"name": "from", "in": "query", "schema": day,
                     "description": f"First day (the centre's local date), YYYY-MM-DD between "
                                    f"{EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}; today by default."},
                    {"name": "to", "in": "query", "schema": day,
                     "description": f"Last day, included, written like `from`; 13 days after `from` by default; "
                                    f"not before `from` and at most {MAX_DAYS} days after it."},
                ],
                "responses": {
                    "200": {"description": "Free slots that can be booked online now.", "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/SlotList"}}}},
                    "400": error_response("A parameter is missing or malformed, or the dates break the rules above; "
                                          "`detail` says which."),
                    "404": error_response("No active topic has this slug."),
                },
            }},
        },
        "components": {"schemas": {
            "Problem": {"type": "object", "required": ["status", "detail"], "properties": {
                "status": {"type": "integer"}, "detail": {"type": "string"}}},
            "Topic": {"type": "object", "required": ["slug", "name", "booking_url"], "properties": {
                "slug": {"type": "string"}, "name": text, "description": text, "what_to_bring": lines,
                "colour": {"type": "string"}, "pictogram_url": {"type": "string", "format": "uri"},
                "booking_url": {"type": "string", "format": "uri"}}},
            "Slot": {"type": "object", "required": ["id", "start", "end", "place", "capacity", "seats_left",
                                                    "booking_url"], "properties": {
                "id": {"type": "integer"},
                "start": {"type": "string", "format": "date-time", "description": "ISO 8601 with offset"},
                "end": {"type": "string", "format": "date-time"},
                "place": {"type": "string"},
                "capacity": {"type": "integer", "minimum": 1},
                "seats_left": {"type": "integer", "minimum": 1},
                "workshop_title": {"type": ["string", "null"]},
                "topics": {"type": "array", "items": {"type": "string"}},
                "booking_url": {"type": "string", "format": "uri"}}},
            "SlotList": {"type": "object", "required": ["topic", "from", "to", "slots"], "properties": {
                "topic": {"type": "string"}, "timezone": {"type": "string"},
                "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
                "slots": {"type": "array", "items": {"$ref": "#/components/schemas/Slot"}}}},
        }},
    }
