"""Residents found at the desk, their history, and booking for someone: /desk/residents/…, /desk/book."""
from flask import abort

from .views import bp


@bp.route("/residents/")
def residents():
    abort(404)  # skeleton: replaced by the residents pages


@bp.route("/residents/<int:resident_id>")
def resident(resident_id):
    abort(404)  # skeleton


@bp.route("/book")
def book_for():
    abort(404)  # skeleton: staff book a slot for a resident, a call-back, a follow-up
