"""/healthz/jobs: the scheduled jobs' last runs as JSON, for the staff and for a monitor.

`/healthz` stays a yes or no for the load balancer; this says which job is late and since when.
A monitor that cannot log in sends `Authorization: Bearer <MONITOR_TOKEN>` (access.py lets such
a request through to this endpoint only).
"""
from flask import Blueprint, jsonify

from ..database import utcnow
from ..extensions import db, limiter
from .jobs import job_states

bp = Blueprint("ops", __name__)


@bp.route("/healthz/jobs")
@limiter.exempt
def jobs():
    now = utcnow()
    states = job_states(db.session, now)
    late = [state.job.name for state in states if state.late]
    body = jsonify(status="late" if late else "ok", late=late, checked_at=now.isoformat(),
                   jobs=[state.as_json() for state in states])
    # 200 either way: the request worked; a monitor reads "status" (a 503 here would tell a load
    # balancer to stop sending residents to a server that serves them well).
    return body


@bp.app_context_processor
def inject_late_jobs():
    return {"late_jobs": lambda: [state for state in job_states(db.session) if state.late]}
