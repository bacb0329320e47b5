import enum
from datetime import datetime
from typing import Optional

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db


class Role(str, enum.Enum):
    FACILITATOR = "facilitator"
    COORDINATOR = "coordinator"

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.FACILITATOR: _l("Facilitator"),
    Role.COORDINATOR: _l("Coordinator"),
}

# A coordinator may do everything a facilitator may.
ROLE_RANK = {Role.FACILITATOR: 1, Role.COORDINATOR: 2}


class User(UserMixin, db.Model):
    """A member of staff: facilitator or coordinator. Residents never have an account."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20), default=Role.FACILITATOR.value)
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(5), default="fr")
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Two-step verification (two_step.py): the app's secret, stored once a code confirmed it, and
    # when. The last time step accepted refuses the same code, or an older one, a second time.
    totp_secret: Mapped[Optional[str]] = mapped_column(String(32))
    totp_enabled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[Optional[int]]

    sessions: Mapped[list["StaffSession"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    # The token of the staff session this request runs in; Flask-Login keeps it in the cookie.
    session_token = None

    @property
    def is_active(self):
        return self.active

    @property
    def role_enum(self):
        return Role(self.role)

    def get_id(self):
        return self.session_token

    def has_role(self, role):
        return ROLE_RANK[self.role_enum] >= ROLE_RANK[Role(role)]

    @property
    def is_coordinator(self):
        return self.has_role(Role.COORDINATOR)

    @property
    def two_step_on(self):
        return self.totp_enabled_at is not None

    def __repr__(self):
        return f"<User {self.id} {self.role}>"


class StaffSession(db.Model):
    """One login on one browser. The cookie carries a token; only its hash is stored here."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="sessions")


class PasswordReset(db.Model):
    """A link sent to choose a new password (recovery.py); only the hash of its token is stored."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the link is used, and on the links still unused when a newer one is sent, the
    # password changes by any path or the account is deactivated.
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """One of the single-use codes that stand in for the authenticator app (two_step.py)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    # argon2id, as passwords: two_step.py says why.
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
