"""Residents found at the desk, their history, and booking for someone: /desk/residents/…, /desk/book."""
import dataclasses
import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user

from ... import audit
from ...booking import reservations
from ...booking import callbacks
from ...booking.availability import Window, booking_rules, free_slots
from ...booking.codes import format_code, new_request_key
from ...booking.contact import display_phone
from ...booking.models import Booking, CallbackRequest
from ...booking.reservations import BookingRefused, Contact, Refusal
from ...booking.topics import active_topics
from ...core.forms import refill_on_expired_csrf, submitted_and_valid
from ...core.inputs import id_argument, id_from
from ...database import utcnow
from ...extensions import db
from ..blueprint import bp
from ..models import AgeBracket, Autonomy, Outcome, QueueTicket
from ..sessions.log import active_communes
from . import directory as service
from .forms import BookForForm, ResidentForm, SearchForm

REQUEST_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
SLOTS_OFFERED = 24


@bp.route("/residents/")
def residents():
    form = SearchForm(request.args)
    booking, ticket = linking_booking(), linking_ticket()
    query = form.q.data if form.validate() else ""
    found = service.search(db.session, query) if query else []
    return render_template("desk/residents/search.html", form=form, found=found, query=query, booking=booking,
                           ticket=ticket, display_phone=display_phone)


def linking_booking():
    """The booking being linked to a resident (?booking=), if any."""
    booking_id = id_argument("booking")
    return db.get_or_404(Booking, booking_id) if booking_id is not None else None


def linking_ticket():
    """The walk-in's ticket being linked to a resident (?ticket=), if any."""
    ticket_id = id_argument("ticket")
    return db.get_or_404(QueueTicket, ticket_id) if ticket_id is not None else None


@bp.route("/residents/new", methods=["GET", "POST"])
@refill_on_expired_csrf
def new_resident():
    booking, ticket = linking_booking(), linking_ticket()
    form = ResidentForm()
    form.set_communes(active_communes(db.session))
    if request.method == "GET":
        form.language.data = str(get_locale())
        if ticket is not None and ticket.first_name:
            form.first_name.data = ticket.first_name
        if booking is not None:
            form.first_name.data = booking.first_name
            form.phone.data = display_phone(booking.phone)
            form.email.data = booking.email
            form.language.data = booking.language
        elif request.args.get("q") and not any(ch.isdigit() for ch in request.args["q"]):
            form.first_name.data = request.args["q"].strip()[:80]
    if submitted_and_valid(form):
        # As the page says: linked to the booking when there is one, else to the ticket.
        resident = service.create(db.session, form.values(), current_user, booking=booking,
                                  ticket=ticket if booking is None else None)
        if booking is not None:
            flash(_("%(name)s is recorded and linked to the booking.", name=resident.first_name), "success")
        elif ticket is not None:
            flash(_("%(name)s is recorded and linked to ticket %(ticket)s.", name=resident.first_name,
                    ticket=ticket.label), "success")
        else:
            flash(_("%(name)s is recorded.", name=resident.first_name), "success")
        return redirect(url_for("desk.resident", resident_id=resident.id))
    return render_template("desk/residents/edit.html", form=form, resident=None, booking=booking, ticket=ticket)


def resident_or_404(resident_id):
    """The resident; 404 for an erased record too, whose page would have nothing left to show."""
    person = db.get_or_404(service.Resident, resident_id)
    if person.anonymised_at is not None:
        abort(404)
    return person


@bp.route("/residents/<int:resident_id>")
def resident(resident_id):
    person = resident_or_404(resident_id)
    service.record_view(db.session, person, current_user)
    return render_template("desk/residents/show.html", resident=person, display_phone=display_phone,
                           history=service.history(db.session, person), outcome_label=Outcome.label_of,
                           autonomy_label=Autonomy.label_of, age_label=AgeBracket.label_of)


@bp.route("/residents/<int:resident_id>/edit", methods=["GET", "POST"])
@refill_on_expired_csrf
def edit_resident(resident_id):
    person = resident_or_404(resident_id)
    form = ResidentForm()
    form.set_communes(active_communes(db.session, [person.commune_id]))
    if request.method == "GET":
        form.fill(person)
    if submitted_and_valid(form):
        if service.update_contact(db.session, person, form.values(), current_user):
            flash(_("The details are saved."), "success")
        return redirect(url_for("desk.resident", resident_id=person.id))
    return render_template("desk/residents/edit.html", form=form, resident=person, booking=None, ticket=None)


@bp.route("/residents/<int:resident_id>/consent", methods=["POST"])
def give_consent(resident_id):
    person = resident_or_404(resident_id)
    if service.give_consent(db.session, person, current_user):
        flash(_("%(name)s agreed to be remembered: their history is kept from now on.", name=person.first_name),
              "success")
    return redirect(url_for("desk.resident", resident_id=person.id))


@bp.route("/residents/<int:resident_id>/consent/withdraw", methods=["POST"])
def withdraw_consent(resident_id):
    person = resident_or_404(resident_id)
    if service.withdraw_consent(db.session, person, current_user):
        flash(_("%(name)s is no longer remembered: their history is hidden and their sessions are now "
                "anonymous.", name=person.first_name), "success")
    return redirect(url_for("desk.resident", resident_id=person.id))


@bp.route("/bookings/<int:booking_id>/resident", methods=["POST"])
def link_booking(booking_id):
    booking = db.get_or_404(Booking, booking_id)
    person = resident_or_404(id_from(request.form.get("resident_id")) or abort(400))
    service.link_booking(db.session, booking, person, current_user)
    flash(_("The booking of %(name)s is linked to %(resident)s.", name=booking.first_name,
            resident=person.display_name), "success")
    return redirect(url_for("desk.resident", resident_id=person.id))


@bp.route("/tickets/<int:ticket_id>/resident", methods=["POST"])
def link_ticket(ticket_id):
    ticket = db.get_or_404(QueueTicket, ticket_id)
    person = resident_or_404(id_from(request.form.get("resident_id")) or abort(400))
    service.link_ticket(db.session, ticket, person, current_user)
    flash(_("Ticket %(ticket)s is linked to %(resident)s.", ticket=ticket.label, resident=person.display_name),
          "success")
    return redirect(url_for("desk.resident", resident_id=person.id))


# --- booking for someone ----------------------------------------------------------------------

def staff_rules():
    """The residents' rules, except the minimum notice: at the desk a slot can be booked until it starts."""
    return dataclasses.replace(booking_rules(db.session), min_notice_minutes=0)


@bp.route("/book", methods=["GET", "POST"])
@refill_on_expired_csrf
def book_for():
    person = resident_or_404(id_argument("resident")) if id_argument("resident") else None
    callback_id = id_argument("callback")
    callback = db.get_or_404(CallbackRequest, callback_id) if callback_id else None
    booking_id = id_argument("booking")
    earlier = db.get_or_404(Booking, booking_id) if booking_id else None
    topics = active_topics(db.session)
    if earlier is None and person is not None and person.remembered:
        earlier = service.last_booking(db.session, person)
    topic = chosen_topic(topics, callback, earlier)
    rules = staff_rules()
    now = utcnow()

    form = BookForForm()
    if request.method == "GET":
        contact = service.contact_of(person, earlier, callback)
        form.first_name.data = contact.get("first_name")
        form.phone.data = display_phone(contact.get("phone"))
        form.email.data = contact.get("email")
        form.language.data = contact.get("language") or str(get_locale())
        form.request_key.data = new_request_key()
    slots = free_slots(db.session, Window.for_rules(rules, now), topic.id, limit=SLOTS_OFFERED) if topic else []
    form.slot.choices = [(slot.id, slot.id) for slot in slots]
    message = None

    chosen = id_from(request.form.get("slot")) if request.method == "POST" else None
    if topic is not None and chosen is not None and chosen not in {slot.id for slot in slots}:
        # A slot taken meanwhile is no longer listed: keep it as a choice so that the service says so.
        form.slot.choices.append((chosen, chosen))
    if topic is not None and submitted_and_valid(form):
        contact = Contact(first_name=form.first_name.data, phone=form.phone.e164, email=form.email_normalised,
                          note=form.note.data or None, reminder_consent=form.reminder_consent.data,
                          language=form.language.data)
        try:
            booking, _token = reservations.book(
                db.session, slot=reservations.load_slot(db.session, form.slot.data), topic_id=topic.id, contact=contact, rules=rules, now=now,
                request_key=form.request_key.data if REQUEST_KEY.fullmatch(form.request_key.data or "") else None,
                booked_by_id=current_user.id, resident_id=person.id if person else None, commit=False)
        except BookingRefused as refusal:
            db.session.rollback()
            if refusal.reason is Refusal.TOO_MANY:
                form.phone.errors.append(str(refusal.reason.message))
            else:
                message = str(refusal.reason.message)
                form.slot.errors.append(message)
                slots = free_slots(db.session, Window.for_rules(rules, utcnow()), topic.id, limit=SLOTS_OFFERED)
                form.slot.choices = [(slot.id, slot.id) for slot in slots]
                form.slot.data = None
        else:
            if callback is not None:
                callbacks.mark_handled(db.session, callback, by_id=current_user.id, booking=booking)
            audit.record("booking.booked_for", booking, resident_id=person.id if person else None)
            db.session.commit()
            # From the call-back requests' page, the done page leads back there.
            back = "callbacks" if request.args.get("back") == "callbacks" else None
            return redirect(url_for("desk.booked_for", booking_id=booking.id, back=back))
    if not form.request_key.data:
        form.request_key.data = new_request_key()
    return render_template(
        "desk/book_for.html", form=form, topics=topics, topic=topic, slots=slots, resident=person,
        callback=callback, earlier=earlier, message=message, display_phone=display_phone,
        after=id_argument("after"),
    ), 409 if message else 200


def chosen_topic(topics, callback, earlier):
    """The topic asked for (?topic=slug), else the call-back's or the earlier booking's."""
    slug = request.args.get("topic")
    by_slug = {topic.slug: topic for topic in topics}
    if slug:
        return by_slug.get(slug) or abort(404)
    wanted = callback.topic_id if callback else earlier.topic_id if earlier else None
    return next((topic for topic in topics if topic.id == wanted), None)


@bp.route("/book/done/<int:booking_id>")
def booked_for(booking_id):
    booking = db.get_or_404(Booking, booking_id)
    if booking.booked_by_id is None:
        abort(404)
    return render_template("desk/residents/booked.html", booking=booking, code=format_code(booking.code),
                           display_phone=display_phone)

