"""Scheduled jobs that report: each run recorded, late jobs warned about on the desk and the admin
home, and the detail at /healthz/jobs for the staff and for a monitor holding the token."""
from datetime import timedelta

import pytest
import time_machine

from tiers_lieu.accounts.models import Role
from tiers_lieu.database import utcnow
from tiers_lieu.extensions import db
from tiers_lieu.ops.jobs import JOBS, job_states, record
from tiers_lieu.ops.models import JobStatus

LATE_NOTICE = "Les messages aux habitants (confirmations, rappels) ne partent plus."


def status_of(name):
    db.session.expire_all()
    return db.session.get(JobStatus, name)


def all_jobs_ran(at):
    for job in JOBS:
        record(db.session, job.name, last_started_at=at, last_success_at=at, last_counts={})


def test_a_run_of_notify_send_records_its_success_and_counts(app, runner):
    assert status_of("notify-send") is None
    result = runner.invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    status = status_of("notify-send")
    assert status.last_success_at is not None and status.last_started_at <= status.last_success_at
    assert status.last_counts == {"sent": 0, "retried": 0, "failed": 0, "recovered": 0}
    assert status.last_failure_at is None


def test_a_job_that_fails_records_the_failure_never_a_success(app, runner, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(args=["backup", "create", "--to", str(blocker / "backups")])
    assert result.exit_code != 0
    status = status_of("backup-create")
    assert status.last_success_at is None
    assert status.last_failure_at is not None and "NotADirectoryError" in status.last_error
    [state] = [state for state in job_states(db.session) if state.job.name == "backup-create"]
    assert state.late and state.failing


def test_a_failure_after_a_success_keeps_the_success_and_says_it_is_failing(app, runner):
    assert runner.invoke(args=["notify", "send"]).exit_code == 0
    app.config["SMS_PROVIDER"] = "carrier-pigeon"
    assert runner.invoke(args=["notify", "send"]).exit_code != 0
    status = status_of("notify-send")
    assert status.last_success_at is not None and status.last_failure_at > status.last_success_at
    [state] = [state for state in job_states(db.session) if state.job.name == "notify-send"]
    assert state.failing and not state.late  # late only once its 10 minutes are over


def test_a_dry_run_is_not_a_run(app, runner):
    assert runner.invoke(args=["privacy", "purge", "--dry-run"]).exit_code == 0
    assert status_of("privacy-purge") is None
    assert runner.invoke(args=["privacy", "purge"]).exit_code == 0
    assert status_of("privacy-purge").last_success_at is not None


def test_each_job_is_late_after_its_own_delay(app):
    now = utcnow()
    all_jobs_ran(now - timedelta(hours=30))
    late = {state.job.name for state in job_states(db.session, now) if state.late}
    # Reminders are queued each day: 30 hours is a missed day. Nightly jobs get two days, the
    # yearly one is never late, and messages go every minute.
    assert late == {"notify-send", "notify-reminders"}
    late = {state.job.name for state in job_states(db.session, now + timedelta(days=2)) if state.late}
    assert late == {"notify-send", "notify-reminders", "slots-generate", "privacy-purge", "backup-create"}


def test_a_job_never_run_is_late(app):
    late = {state.job.name for state in job_states(db.session) if state.late}
    assert late == {job.name for job in JOBS if job.late_after is not None}


@pytest.mark.parametrize("role, page", [(Role.FACILITATOR, "/desk/"), (Role.COORDINATOR, "/admin/")])
def test_the_desk_and_the_admin_home_warn_when_notify_send_stopped_for_ten_minutes(app, client, runner,
                                                                                  login_as, role, page):
    login_as(role)
    all_jobs_ran(utcnow())
    assert runner.invoke(args=["notify", "send"]).exit_code == 0
    assert LATE_NOTICE not in client.get(page).page
    with time_machine.travel(utcnow() + timedelta(minutes=9), tick=False):
        assert LATE_NOTICE not in client.get(page).page
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        text = client.get(page).page
        assert LATE_NOTICE in text
        assert "flask notify send" in text
        assert "Dernière exécution réussie" in text
        # Only the late job is named.
        assert "sauvegarde" not in text.lower()


def test_healthz_jobs_is_for_staff_or_a_monitor_with_the_token(app, client, login_as):
    app.config["MONITOR_TOKEN"] = "monitor-token-with-enough-entropy-0123456789"
    all_jobs_ran(utcnow() - timedelta(minutes=20))
    anonymous = app.test_client()
    refused = anonymous.get("/healthz/jobs")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    wrong = anonymous.get("/healthz/jobs", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 302
    monitor = anonymous.get("/healthz/jobs",
                            headers={"Authorization": f"Bearer {app.config['MONITOR_TOKEN']}"})
    assert monitor.status_code == 200
    body = monitor.get_json()
    assert body["status"] == "late" and body["late"] == ["notify-send"]
    [send] = [job for job in body["jobs"] if job["job"] == "notify-send"]
    assert send["late"] and send["late_after_seconds"] == 600 and send["last_success_at"]
    assert send["command"] == "flask --app wsgi notify send"
    # The token opens this page only.
    assert anonymous.get("/desk/", headers={"Authorization": f"Bearer {app.config['MONITOR_TOKEN']}"}
                         ).status_code == 302
    login_as(Role.FACILITATOR)
    assert client.get("/healthz/jobs").get_json()["late"] == ["notify-send"]
    # The load balancer's check stays a yes or no about serving.
    assert anonymous.get("/healthz").status_code == 200


def test_without_a_configured_token_no_token_opens_healthz_jobs(app):
    app.config["MONITOR_TOKEN"] = None
    answer = app.test_client().get("/healthz/jobs", headers={"Authorization": "Bearer "})
    assert answer.status_code == 302


def test_a_failure_s_cause_is_masked_like_a_log_line(app):
    from tiers_lieu.ops.jobs import recorded_job

    @recorded_job("backup-create")
    def crash():
        raise RuntimeError("could not write for resident@example.org, +33612345678")

    with pytest.raises(RuntimeError):
        crash()
    error = status_of("backup-create").last_error
    assert error.startswith("RuntimeError: could not write for")
    assert "resident@example.org" not in error and "33612345678" not in error
