from flask import current_app, g
from sqlalchemy import String
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Centre(db.Model):
    """The place itself: its name and how residents reach it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")


def current_centre():
    """The centre's row, or the configured defaults on a database that has none yet."""
    if "centre" not in g:
        try:
            centre = db.session.execute(db.select(Centre).order_by(Centre.id).limit(1)).scalar()
        except SQLAlchemyError:
            # The error page for a database outage still shows who to call.
            db.session.rollback()
            centre = None
        if centre is None:
            config = current_app.config
            centre = Centre(
                name=config["CENTRE_NAME"],
                address=config["CENTRE_ADDRESS"],
                phone=config["CENTRE_PHONE"],
                email=config["CENTRE_EMAIL"],
            )
        g.centre = centre
    return g.centre
