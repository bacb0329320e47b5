from flask import Blueprint, render_template

from ..accounts.auth import protect_blueprint
from ..accounts.models import Role

bp = Blueprint("stats", __name__, url_prefix="/stats")
protect_blueprint(bp, Role.FACILITATOR)


@bp.route("/")
def index():
    return render_template("stats/index.html")
