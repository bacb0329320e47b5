"""Residents' pages: find a slot, book it, see, move or cancel the booking. No account needed."""
import re
from datetime import datetime, time, timedelta

from flask import (Blueprint, abort, current_app, flash, make_response, redirect, render_template,
                   request, url_for)
from flask_babel import get_locale, gettext as _

from ..core.centre import centre_timezone, current_centre
from ..core.forms import is_language_switch, refill_on_expired_csrf, submitted_and_valid
from ..core.inputs import date_from, id_from
from ..database import utcnow
from ..core.limits import limit_failures, record_failure
from ..extensions import db
from ..i18n import isolated_text
from . import callbacks, offers, reservations
from .availability import (Window, booking_rules, first_free_start, free_slot_listing, group_by_day,
                           topic_card, topic_cards)
from .calendar import booking_ics, qr_svg_data_uri
from .codes import format_code, new_request_key, normalise_code, token_for
from .contact import normalise_email, normalise_phone
from .forms import NOTE_WARNING, BookingForm, CallbackForm, LookupForm, moment_words
from .messages import manage_url, reminder_channel
from .models import Booking
from .reservations import BookingRefused, Contact, Refusal

bp = Blueprint("booking", __name__)

WEEK = timedelta(days=7)
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
SLUG = re.compile(r"[a-z0-9-]+")
REQUEST_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
NEXT_SLOTS_SHOWN = 6


def parse_week_start(today, last):
    """The first day shown: ?from=YYYY-MM-DD, between today and `last`; bad values mean today."""
    chosen = date_from(request.args.get("from"))
    return min(max(chosen, today), last) if chosen else today


def week_of_slots(topic, rules, now, endpoint, **values):
    """The free slots of the chosen week for the topic, and the links to the weeks around it."""
    tz = centre_timezone()
    today = now.astimezone(tz).date()
    window = Window.for_rules(rules, now)
    first_day = parse_week_start(today, window.latest.astimezone(tz).date())
    start = datetime.combine(first_day, time(), tz)
    slots = free_slot_listing(db.session, window, topic.id, start=start, end=start + WEEK)
    later = first_free_start(db.session, window, topic.id, start + WEEK)
    previous_week = max(first_day - WEEK, today) if first_day > today else None
    next_week = later.astimezone(tz).date() if later else None
    return {
        "days": group_by_day(slots, tz),
        "first_day": first_day,
        "last_day": first_day + WEEK - timedelta(days=1),
        "next_week": next_week,
        "previous_url": url_for(endpoint, **values, **{"from": previous_week.isoformat()}) if previous_week else None,
        "next_url": url_for(endpoint, **values, **{"from": next_week.isoformat()}) if next_week else None,
    }


def booking_link_prefix():
    """The booking form's address without the slot's number: "/book/slot/". A week lists up to a
    hundred slots, and url_for for each of them costs as much as the rest of the page."""
    return url_for("booking.book", slot_id=0).removesuffix("0")


def next_free_slots(topic_id, rules, now, excluding=None):
    slots = free_slot_listing(db.session, Window.for_rules(rules, now), topic_id, limit=NEXT_SLOTS_SHOWN + 1)
    return [slot for slot in slots if slot.id != excluding][:NEXT_SLOTS_SHOWN]


@bp.route("/")
def home():
    return render_template("booking/home.html", topics=topic_cards(db.session))


@bp.route("/topics.css")
def topic_colours():
    """Each topic's colour as a CSS class: the Content-Security-Policy forbids inline styles."""
    rules = [f".topic-{topic.slug} {{ --topic-colour: {topic.colour}; }}"
             for topic in topic_cards(db.session)
             if HEX_COLOUR.fullmatch(topic.colour or "") and SLUG.fullmatch(topic.slug)]
    response = make_response("\n".join(rules) + "\n")
    response.headers["Content-Type"] = "text/css; charset=utf-8"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/book/<slug>")
def topic(slug):
    topic = topic_card(db.session, slug) or abort(404)
    week = week_of_slots(topic, booking_rules(db.session), utcnow(), "booking.topic", slug=topic.slug)
    return render_template("booking/topic.html", topic=topic, book_prefix=booking_link_prefix(), **week)


def slot_topics(slot):
    return [topic for topic in slot.topics if topic.active]


@bp.route("/book/slot/<int:slot_id>", methods=["GET", "POST"])
@refill_on_expired_csrf
def book(slot_id):
    slot = reservations.load_slot(db.session, slot_id) or abort(404)
    topics = slot_topics(slot)
    if not topics:
        abort(404)
    form = BookingForm()
    form.topic.choices = [(t.slug, t.name) for t in topics]
    if request.method == "GET":
        wanted = request.args.get("topic")
        form.topic.data = wanted if wanted in {t.slug for t in topics} else topics[0].slug
        form.language.data = str(get_locale())
        form.request_key.data = new_request_key()
    chosen = next((t for t in topics if t.slug == form.topic.data), topics[0])
    rules = booking_rules(db.session)
    now = utcnow()

    if submitted_and_valid(form):
        contact = Contact(
            first_name=form.first_name.data.strip(), phone=form.phone.e164,
            email=form.email_normalised, note=(form.note.data or "").strip() or None,
            reminder_consent=form.reminder_consent.data, language=form.language.data,
        )
        try:
            booking, token = reservations.book(
                db.session, slot=slot, topic_id=chosen.id, contact=contact, rules=rules, now=now,
                request_key=form.request_key.data if REQUEST_KEY.fullmatch(form.request_key.data or "") else None,
            )
        except BookingRefused as refusal:
            db.session.rollback()
            if refusal.reason is Refusal.TOO_MANY:
                form.phone.errors.append(str(refusal.reason.message))
            else:
                return unavailable(chosen, refusal.reason, rules, now, excluding=slot.id)
        else:
            return redirect(url_for("booking.manage", token=token, new=1))
    elif request.method == "GET":
        try:
            reservations.check_bookable(db.session, slot, chosen.id, rules, now)
        except BookingRefused as refusal:
            return unavailable(chosen, refusal.reason, rules, now, excluding=slot.id)
    if not form.request_key.data:
        form.request_key.data = new_request_key()
    return render_template("booking/book.html", slot=slot, topic=chosen, topics=topics, form=form,
                           note_warning=NOTE_WARNING)


def unavailable(topic, reason, rules, now, excluding=None, status=409):
    return render_template(
        "booking/unavailable.html", topic=topic, message=str(reason.message),
        slots=next_free_slots(topic.id, rules, now, excluding=excluding), tz=centre_timezone(),
    ), status


def booking_from_token(token):
    booking = reservations.find_by_token(db.session, token)
    if booking is None:
        abort(404)
    return booking


@bp.route("/booking/<token>")
def manage(token):
    booking = booking_from_token(token)
    rules = booking_rules(db.session)
    link = manage_url(token)
    now = utcnow()
    changeable = True
    try:
        reservations.check_changeable(booking, rules, now)
    except BookingRefused:
        changeable = False
    return render_template(
        "booking/manage.html", booking=booking, token=token, code=format_code(booking.code),
        qr=qr_svg_data_uri(link), link=link, changeable=changeable, new=bool(request.args.get("new")),
        erasable=reservations.erasable_by_resident(booking, now),
        reminder_settable=reservations.reminder_settable(booking, now),
        reminder_channel=reminder_channel(booking),
    )


@bp.route("/booking/<token>.ics")
def calendar_file(token):
    booking = booking_from_token(token)
    centre = current_centre()
    body = booking_ics(
        booking, centre, manage_url(token), current_app.config["TIMEZONE"],
        summary=_("Appointment: %(topic)s — %(centre)s", topic=isolated_text(booking.topic.name),
                  centre=isolated_text(centre.name)),
        description=_("Your booking code:"),
    )
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="rendez-vous-{booking.code}.ics"'
    return response


@bp.route("/booking/<token>/cancel", methods=["GET", "POST"])
def cancel(token):
    booking = booking_from_token(token)
    if request.method == "GET":
        return render_template("booking/cancel.html", booking=booking, token=token)
    try:
        reservations.cancel(db.session, booking, rules=booking_rules(db.session))
    except BookingRefused as refusal:
        db.session.rollback()
        flash(str(refusal.reason.message), "error")
    else:
        flash(_("Your appointment is cancelled. The seat is free again for someone else."), "success")
    return redirect(url_for("booking.manage", token=token))


@bp.route("/booking/<token>/reminder", methods=["POST"])
def reminder(token):
    """Turn the reminder the day before on ("on") or off ("off") from the booking's page."""
    booking = booking_from_token(token)
    wanted = {"on": True, "off": False}.get(request.form.get("reminder"))
    if wanted is None:
        abort(400)
    try:
        reservations.set_reminder(db.session, booking, wanted)
    except BookingRefused as refusal:
        db.session.rollback()
        flash(str(refusal.reason.message), "error")
    else:
        flash(_("We will send you a reminder the day before.") if wanted
              else _("Done: you will get no reminder for this appointment."), "success")
    return redirect(url_for("booking.manage", token=token))


@bp.route("/offer/<token>", methods=["GET", "POST"])
def offer(token):
    """A seat offered to the waiting list (offers.py): booked in one tap, or the request withdrawn.

    Used twice, the link shows the booking made the first time; after the seat went to someone
    else, the next times that suit the person, each booked in one tap too."""
    rules, now = booking_rules(db.session), utcnow()
    found = offers.find(db.session, token, rules, now)
    if found is None:
        return render_template("booking/offer_invalid.html"), 404
    if found.state is offers.OfferState.TAKEN_BY_YOU:
        booking = db.session.get(Booking, found.offer.booking_id)
        return redirect(url_for("booking.manage", token=token_for(booking.request_key)))
    refusal = None
    if request.method == "POST" and request.form.get("action") == "withdraw":
        if found.state is not offers.OfferState.ENDED:  # an ended one is said so on the page below
            offers.withdraw(db.session, found, now)
            return render_template("booking/offer_withdrawn.html")
    elif request.method == "POST":
        slot_id = id_from(request.form.get("slot_id")) or abort(400)
        try:
            booking, booking_token = reservations.book_from_offer(db.session, found, slot_id, rules, now)
        except BookingRefused as refused:
            db.session.rollback()
            refusal = refused.reason
            found = offers.find(db.session, token, rules, now)
        else:
            return redirect(url_for("booking.manage", token=booking_token, new=1))
    offer_ = found.offer
    return render_template(
        "booking/offer.html", token=token, offer=offer_, state=found.state.value, refusal=refusal,
        request_=offer_.request, topic=offer_.request.topic, moment_words=moment_words,
        fitting=offers.fitting_slots(db.session, offer_.request, rules, now, excluding=offer_.slot_id)
        if found.state is not offers.OfferState.ENDED else [],
    ), 409 if refusal else 200


@bp.route("/booking/<token>/erase", methods=["GET", "POST"])
def erase(token):
    """Delete the resident's details from a booking that is over or cancelled (right to erasure)."""
    booking = booking_from_token(token)
    if request.method == "GET":
        if not reservations.erasable_by_resident(booking, utcnow()):
            flash(str(Refusal.NOT_OVER.message), "error")
            return redirect(url_for("booking.manage", token=token))
        return render_template("booking/erase.html", booking=booking, token=token)
    try:
        reservations.erase_own_details(db.session, booking, utcnow())
    except BookingRefused as refusal:
        db.session.rollback()
        flash(str(refusal.reason.message), "error")
        return redirect(url_for("booking.manage", token=token))
    # To a page of its own: the link is dead now, and the page's language switch must not lead to it.
    return redirect(url_for("booking.erased"))


@bp.route("/booking/erased")
def erased():
    """Say that the details are deleted; the page names nothing, so it needs no link."""
    return render_template("booking/erased.html")


@bp.route("/booking/<token>/move", methods=["GET", "POST"])
def move(token):
    booking = booking_from_token(token)
    rules = booking_rules(db.session)
    now = utcnow()
    if request.method == "POST":
        new_slot_id = id_from(request.form.get("slot_id")) or abort(400)
        try:
            reservations.move(db.session, booking, new_slot_id, rules=rules, now=now)
        except BookingRefused as refusal:
            db.session.rollback()
            flash(str(refusal.reason.message), "error")
            return redirect(url_for("booking.move", token=token))
        flash(_("Your appointment is moved. Here are its new details."), "success")
        return redirect(url_for("booking.manage", token=token))
    try:
        reservations.check_changeable(booking, rules, now)
    except BookingRefused as refusal:
        flash(str(refusal.reason.message), "error")
        return redirect(url_for("booking.manage", token=token))
    week = week_of_slots(booking.topic, rules, now, "booking.move", token=token)
    return render_template("booking/move.html", booking=booking, token=token, topic=booking.topic, **week)


@bp.route("/booking", methods=["GET", "POST"])
@limit_failures("lookup-code", lambda: normalise_code(request.form.get("code")) or "?",
                "LOOKUP_FAILURES_PER_CODE", "LOOKUP_FAILURES_PER_ADDRESS")
@refill_on_expired_csrf
def lookup():
    form = LookupForm()
    if submitted_and_valid(form):
        code = normalise_code(form.code.data)
        contact = form.contact.data.strip()
        booking = reservations.find_by_code(
            db.session, code,
            contact_phone=None if "@" in contact else normalise_phone(contact),
            contact_email=normalise_email(contact) if "@" in contact else None,
        )
        if booking is not None:
            return redirect(url_for("booking.manage", token=token_for(booking.request_key)))
        record_failure()
        form.code.errors.append(_("We found no appointment with this code and this phone number or "
                                  "e-mail address. Check both, or call the centre."))
    elif request.method == "POST" and not is_language_switch():
        record_failure()
    return render_template("booking/lookup.html", form=form)


@bp.route("/book/<slug>/callback", methods=["GET", "POST"])
@refill_on_expired_csrf
def callback(slug):
    topic = topic_card(db.session, slug) or abort(404)
    form = CallbackForm()
    if request.method == "GET":
        form.language.data = str(get_locale())
    if submitted_and_valid(form):
        received = callbacks.receive(
            db.session, topic_id=topic.id, first_name=form.first_name.data, phone=form.phone.e164,
            language=form.language.data, moments=form.moments.data, moments_note=form.moments_note.data,
            notify_by=form.notify_by.data, email=form.email_normalised)
        return render_template("booking/callback_done.html", topic=topic, received=received,
                               moment_words=moment_words, weeks=booking_rules(db.session).callback_weeks,
                               offers=offers)
    return render_template("booking/callback.html", topic=topic, form=form)
