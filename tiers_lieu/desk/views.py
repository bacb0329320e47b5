from flask import Blueprint, render_template

from ..accounts.auth import protect_blueprint
from ..accounts.models import Role
from ..database import utcnow

bp = Blueprint("desk", __name__, url_prefix="/desk")
protect_blueprint(bp, Role.FACILITATOR)


@bp.route("/")
def index():
    return render_template("desk/index.html", now=utcnow())
