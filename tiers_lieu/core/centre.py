"""The centre itself: its identity, its time zone and what day it is there.

Every domain imports this module; it imports none of them, so it sits at the bottom of the
import graph (with `extensions`, `database` and `settings_cache`).
"""
from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import JSON, Float, String, Text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..settings_cache import forget_when_flushed, remember


class Centre(db.Model):
    """The place itself: its name and how residents reach it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    # Its public identity, as the national maps publish it (issue 16; values of the lists are the
    # standards' own labels, see opendata/vocabulary.py). "" and [] mean "not given".
    siret_or_rna: Mapped[str] = mapped_column(String(14), default="")
    postal_code: Mapped[str] = mapped_column(String(5), default="")
    commune: Mapped[str] = mapped_column(String(120), default="")
    insee_code: Mapped[str] = mapped_column(String(5), default="")
    latitude: Mapped[Optional[float]] = mapped_column(Float)
    longitude: Mapped[Optional[float]] = mapped_column(Float)
    # JSON lists: always assign a new list, an in-place change is not seen by the session.
    typology: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["CS"])
    website: Mapped[str] = mapped_column(String(300), default="")
    acceslibre_url: Mapped[str] = mapped_column(String(300), default="")
    national_programmes: Mapped[list[str]] = mapped_column(JSON, default=list)
    fees: Mapped[list[str]] = mapped_column(JSON, default=list)
    publics: Mapped[list[str]] = mapped_column(JSON, default=list)
    specific_support: Mapped[list[str]] = mapped_column(JSON, default=list)
    access_modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    support_modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(String(280), default="")
    presentation: Mapped[str] = mapped_column(Text, default="")
    # The published files' `date_maj` and Last-Modified.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class CentreDetails:
    """A plain copy of the centre's row (or of the configuration when there is none yet): what
    every page may keep and read without a database session. Lists are tuples, so it stays
    immutable."""

    name: str
    address: str
    phone: str
    email: str
    siret_or_rna: str = ""
    postal_code: str = ""
    commune: str = ""
    insee_code: str = ""
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    typology: tuple[str, ...] = ("CS",)
    website: str = ""
    acceslibre_url: str = ""
    national_programmes: tuple[str, ...] = ()
    fees: tuple[str, ...] = ()
    publics: tuple[str, ...] = ()
    specific_support: tuple[str, ...] = ()
    access_modes: tuple[str, ...] = ()
    support_modes: tuple[str, ...] = ()
    summary: str = ""
    presentation: str = ""
    # None when the centre has no row yet (only the configured defaults).
    updated_at: Optional[datetime] = None

    @property
    def postal_address(self):
        """The address on one line, as people write it: "Place du Petit Charran, 26000 Valence".

        `address` is the street (the national files want it apart from the postal code and the
        commune); an address typed before those fields existed may hold them already.
        """
        town = " ".join(part for part in (self.postal_code, self.commune) if part)
        if not town or (self.postal_code and self.postal_code in self.address):
            return self.address
        return f"{self.address}, {town}" if self.address else town


# The fields of CentreDetails that are lists in the row.
LIST_FIELDS = ("typology", "national_programmes", "fees", "publics", "specific_support",
               "access_modes", "support_modes")


def _configured_centre():
    config = current_app.config
    return CentreDetails(config["CENTRE_NAME"], config["CENTRE_ADDRESS"], config["CENTRE_PHONE"],
                         config["CENTRE_EMAIL"])


def details_of(row):
    """The `CentreDetails` of a Centre row."""
    values = {}
    for name in CentreDetails.__dataclass_fields__:
        value = getattr(row, name)
        if name in LIST_FIELDS:
            value = tuple(value or ())
        elif value is None and name not in ("latitude", "longitude", "updated_at"):
            value = ""
        values[name] = value
    return CentreDetails(**values)


def _load_centre():
    row = db.session.execute(db.select(Centre).order_by(Centre.id).limit(1)).scalar()
    if row is None:
        return _configured_centre()
    return details_of(row)


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
