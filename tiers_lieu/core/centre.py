"""The centre itself: its identity, its time zone and what day it is there.

Every domain imports this module; it imports none of them, so it sits at the bottom of the
import graph (with `extensions`, `database` and `settings_cache`).
"""
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import String
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..settings_cache import forget_when_flushed, remember


class Centre(db.Model):
    """The place itself: its name and how residents reach it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")


@dataclass(frozen=True)
class CentreDetails:
    name: str
    address: str
    phone: str
    email: str


def _configured_centre():
    config = current_app.config
    return CentreDetails(config["CENTRE_NAME"], config["CENTRE_ADDRESS"], config["CENTRE_PHONE"],
                         config["CENTRE_EMAIL"])


def _load_centre():
    row = db.session.execute(db.select(Centre).order_by(Centre.id).limit(1)).scalar()
    if row is None:
        return _configured_centre()
    return CentreDetails(row.name, row.address, row.phone, row.email)


def current_centre():
    """The centre's name and contact, or the configured defaults on a database that has none yet."""
    try:
        return remember("centre", current_app.config["SQLALCHEMY_DATABASE_URI"], _load_centre)
    except SQLAlchemyError:
        # The error page for a database outage still shows who to call.
        db.session.rollback()
        return _configured_centre()


forget_when_flushed(Centre, "centre")


def centre_timezone():
    """The centre's time zone (TIMEZONE): opening hours, days and appointments are read in it."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def centre_now():
    return datetime.now(centre_timezone())


def centre_today() -> date:
    """Today's date at the centre, whatever the server's own time zone."""
    return centre_now().date()
