"""The deployment kit in deploy/: written from the job list, and accepted by the tools that will
read it on a server (systemd, nginx, cron, logrotate, the app's own production checks)."""
import grp
import os
import pwd
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from config import Config
from tiers_lieu.ops.cli import ops
from tiers_lieu.ops.jobs import JOBS
from tiers_lieu.ops.kit import Install, kit

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
# Written by hand, not by the kit.
NOT_GENERATED = {"env.example"}
ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def tool(path, package):
    """The tool's path; a skip with the reason when it is missing, a failure on CI."""
    found = shutil.which(Path(path).name) or (path if Path(path).exists() else None)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{path} is missing: CI must check the deployment kit with it (.ci/run installs {package})")
    pytest.skip(f"needs {path} (apt-get install {package})")


def write(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# --- The committed kit is the generated one ---------------------------------------------------------

def test_the_committed_kit_is_what_the_job_list_writes():
    committed = {path.name for path in DEPLOY.iterdir()} - NOT_GENERATED
    files = kit()
    assert committed == set(files), "run `flask --app wsgi ops kit` and commit deploy/"
    for name, text in files.items():
        assert (DEPLOY / name).read_text(encoding="utf-8") == text, (
            f"deploy/{name} differs from what tiers_lieu/ops/kit.py writes: run `flask --app wsgi ops kit`")


def test_flask_ops_kit_writes_the_same_files(tmp_path):
    result = CliRunner().invoke(ops, ["kit", "--to", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"{len(kit())} files written" in result.output
    for name, text in kit().items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text


def test_flask_ops_kit_points_out_the_units_of_a_removed_job(tmp_path):
    (tmp_path / "tiers-lieu-old-job.timer").write_text("[Timer]\n")
    result = CliRunner().invoke(ops, ["kit", "--to", str(tmp_path), "--server-name", "numerique.mpt.fr"])
    assert result.exit_code == 0, result.output
    assert "tiers-lieu-old-job.timer is not part of the kit any more" in result.output
    assert "server_name numerique.mpt.fr;" in (tmp_path / "nginx-tiers-lieu.conf").read_text()


def test_every_job_has_its_timer_and_cron_line():
    files = kit()
    cron = files["tiers-lieu.cron"]
    for job in JOBS:
        service = files[f"tiers-lieu-{job.name}.service"]
        assert f"ExecStart=/srv/tiers_lieu/.venv/bin/flask --app wsgi {job.command}\n" in service
        assert "Type=oneshot" in service
        timer = files[f"tiers-lieu-{job.name}.timer"]
        assert f"OnCalendar={job.on_calendar} Europe/Paris\n" in timer
        assert (f" /srv/tiers_lieu/.venv/bin/flask --app wsgi {job.command}"
                f" >> /var/log/tiers_lieu/{job.name}.log 2>&1") in cron
    # Catching up the missed minutes of a stopped server is pointless; a missed night is not.
    assert "Persistent" not in files["tiers-lieu-notify-send.timer"]
    assert "AccuracySec=1s" in files["tiers-lieu-notify-send.timer"]
    assert "Persistent=true" in files["tiers-lieu-backup-create.timer"]


def test_the_body_limit_lets_the_app_answer_with_its_own_page():
    site = kit()["nginx-tiers-lieu.conf"]
    limit = int(re.search(r"client_max_body_size (\d+)k;", site).group(1)) * 1024
    assert Config.MAX_CONTENT_LENGTH < limit < 2 * Config.MAX_CONTENT_LENGTH


def test_no_log_of_the_kit_records_addresses_or_paths():
    files = kit()
    log_format = re.search(r"log_format tiers_lieu '([^']*)';", files["nginx-tiers-lieu.conf"]).group(1)
    assert set(re.findall(r"\$\w+", log_format)) == {
        "$time_iso8601", "$request_method", "$status", "$body_bytes_sent", "$request_time"}
    assert re.findall(r"access_log (\S+) (\S+);", files["nginx-tiers-lieu.conf"]) == [
        ("/var/log/nginx/tiers-lieu.access.log", "tiers_lieu")] * 2
    gunicorn_format = re.search(r"--access-logformat '([^']*)'", files["tiers-lieu.service"]).group(1)
    for atom in ("%%(h)s", "%%(r)s", "%%(U)s", "%%(q)s", "%%({x-forwarded-for}i)s"):
        assert atom not in gunicorn_format


# --- The README's table of scheduled jobs -----------------------------------------------------------

def readme_jobs():
    """The README's "Scheduled jobs" table: (when, command words after `flask --app wsgi`, unit)."""
    section = ROOT.joinpath("README.md").read_text(encoding="utf-8").split("### Scheduled jobs", 1)[1]
    section = section.split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    table = []
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        command = re.fullmatch(r"`flask --app wsgi ([a-z -]+)`", cells[1])
        assert command, f"the command column should read `flask --app wsgi …`: {row}"
        table.append((cells[0], command.group(1), cells[2]))
    return table


def test_every_job_of_the_readme_is_in_the_kit_and_every_job_in_the_readme():
    table = readme_jobs()
    files = kit()
    by_command = {job.command: job for job in JOBS}
    for when, command, unit in table:
        if command == "db upgrade":
            assert "ExecStartPre=/srv/tiers_lieu/.venv/bin/flask --app wsgi db upgrade\n" in (
                files["tiers-lieu.service"])
            continue
        assert command in by_command, f"`flask {command}` is in the README but not in tiers_lieu/ops/jobs.py"
        job = by_command[command]
        assert f"tiers-lieu-{job.name}.timer" in files
        assert f"--app wsgi {command} >>" in files["tiers-lieu.cron"]
        assert when == job.schedule, f"the README says {when!r} for {command}, the job list {job.schedule!r}"
        assert unit == f"`tiers-lieu-{job.name}`"
    assert {job.command for job in JOBS} <= {command for _, command, _ in table}, "a job is missing from the README"


# --- systemd ------------------------------------------------------------------------------------------

@pytest.fixture
def units(tmp_path):
    """The units for this checkout (so that verify finds .venv/bin/gunicorn and flask) and this user."""
    env_file = tmp_path / "env"
    env_file.write_text("TIERS_LIEU_CONFIG=config.Config\n")
    return write(tmp_path / "units", kit(app_dir=str(ROOT), user=ME, group=MY_GROUP, env_file=str(env_file)))


def test_systemd_analyze_verify_accepts_every_unit(units):
    analyze = tool("/usr/bin/systemd-analyze", "systemd")
    names = sorted(path.name for path in [*units.glob("*.service"), *units.glob("*.timer")])
    assert len(names) == 1 + 2 * len(JOBS)
    result = subprocess.run([analyze, "verify", *names], cwd=units, capture_output=True, text=True, timeout=60)
    # verify may also speak of the host's own units: only ours count.
    ours = [line for line in (result.stdout + result.stderr).splitlines()
            if "tiers-lieu" in line or str(units) in line]
    assert not ours, "\n".join(ours)
    assert result.returncode == 0, result.stderr


def test_systemd_rates_the_services_well_sandboxed(tmp_path):
    analyze = tool("/usr/bin/systemd-analyze", "systemd")
    units = write(tmp_path, kit())
    for path in sorted(units.glob("*.service")):
        result = subprocess.run([analyze, "security", "--offline=true", "--no-pager", path.name], cwd=units,
                                capture_output=True, text=True, timeout=60)
        if "--offline" in result.stderr:
            pytest.skip("this systemd-analyze cannot rate a unit file offline (systemd < 250)")
        exposure = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
        assert exposure, result.stdout + result.stderr
        # 1.2 today, "OK" (10 is "UNSAFE"): what is left is mostly the network, for SMTP and the SMS
        # gateway.
        assert float(exposure.group(1)) <= 1.5, result.stdout


def test_the_timers_fire_when_the_cron_lines_do():
    analyze = tool("/usr/bin/systemd-analyze", "systemd")
    start = datetime(2027, 3, 1)
    for job in JOBS:
        result = subprocess.run(
            [analyze, "calendar", "--iterations=3", f"--base-time={start:%Y-%m-%d %H:%M:%S} UTC",
             f"{job.on_calendar} UTC"], env={"TZ": "UTC", "PATH": "/usr/bin:/bin"},
            capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        elapses = re.findall(r"(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", result.stdout)
        assert [datetime.fromisoformat(text) for text in elapses] == cron_times(job.cron, start, 3), job.name


# --- cron ---------------------------------------------------------------------------------------------

CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def cron_values(field, low, high):
    """The numbers a cron time field matches (lists, ranges, steps); ValueError when malformed."""
    values = set()
    for part in field.split(","):
        spec, _, step = part.partition("/")
        if spec == "*":
            first, last = low, high
        elif re.fullmatch(r"\d+", spec):
            first = last = int(spec)
        elif re.fullmatch(r"\d+-\d+", spec):
            first, last = map(int, spec.split("-"))
        else:
            raise ValueError(field)
        if step and not step.isdigit() or not low <= first <= last <= high:
            raise ValueError(field)
        values.update(range(first, last + 1, int(step or 1)))
    return values


def cron_times(line_times, after, count):
    """The next `count` minutes matched by five cron fields, after `after` (exclusive)."""
    fields = line_times.split()
    minutes, hours, days, months, weekdays = (
        cron_values(field, *bounds) for field, bounds in zip(fields, CRON_RANGES))
    weekdays = {day % 7 for day in weekdays}
    # cron's rule: when both the day of the month and the weekday are restricted, either will do.
    either = not fields[2].startswith("*") and not fields[4].startswith("*")

    def day_matches(moment):
        by_date, by_weekday = moment.day in days, moment.isoweekday() % 7 in weekdays
        return moment.month in months and ((by_date or by_weekday) if either else (by_date and by_weekday))

    found, moment = [], after.replace(second=0, microsecond=0)
    while len(found) < count:
        moment += timedelta(minutes=1)
        if not day_matches(moment):
            moment = moment.replace(hour=23, minute=59)
        elif moment.minute in minutes and moment.hour in hours:
            found.append(moment)
    return found


def test_the_cron_file_parses_with_each_job_at_its_time():
    text = kit()["tiers-lieu.cron"]
    assert text.endswith("\n")
    jobs = []
    for line in text.splitlines():
        if not line or line.startswith("#") or re.fullmatch(r"[A-Z_]+=\S+", line):
            continue
        fields = line.split(None, 6)
        assert len(fields) == 7, line
        for field, bounds in zip(fields[:5], CRON_RANGES):
            cron_values(field, *bounds)
        assert fields[5] == "tiers-lieu"
        # cron turns % into a new line.
        assert "%" not in fields[6]
        command = re.search(r"\.venv/bin/flask --app wsgi ([a-z -]+?) >>", fields[6]).group(1)
        assert fields[6].startswith("cd /srv/tiers_lieu && set -a && . /etc/tiers_lieu/env && set +a && exec ")
        jobs.append((" ".join(fields[:5]), command))
    assert jobs == [(job.cron, job.command) for job in JOBS]


def test_a_cron_line_runs_its_job_with_the_environment_file(tmp_path):
    """The line as cron's /bin/sh runs it, with nothing but cron's PATH: from the app's folder,
    with the settings of the environment file, its output appended to the job's log."""
    env_file = tmp_path / "env"
    env_file.write_text(f"TIERS_LIEU_CONFIG=config.Config\nDATABASE_URL='sqlite:///{tmp_path}/db.sqlite'\n"
                        "SMS_PROVIDER=none\n")
    files = kit(app_dir=str(ROOT), env_file=str(env_file), log_dir=str(tmp_path))
    line = next(line for line in files["tiers-lieu.cron"].splitlines() if "notify send" in line)
    command = line.split(None, 6)[6]

    def run(command):
        result = subprocess.run(["/bin/sh", "-c", command], env={"PATH": "/usr/local/bin:/usr/bin:/bin"},
                                cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr

    run(command.replace("notify send", "db upgrade"))
    run(command)
    run(command)
    log = (tmp_path / "notify-send.log").read_text()
    assert log.count("Sent 0, to retry 0, failed 0") == 2, log


# --- nginx --------------------------------------------------------------------------------------------

def test_nginx_accepts_the_site(tmp_path):
    nginx = tool("/usr/sbin/nginx", "nginx")
    openssl = tool("/usr/bin/openssl", "openssl")
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=numerique.example.org",
                    "-keyout", tmp_path / "key.pem", "-out", tmp_path / "cert.pem"],
                   check=True, capture_output=True, timeout=60)
    site = kit(ssl_certificate=str(tmp_path / "cert.pem"), ssl_certificate_key=str(tmp_path / "key.pem"),
               nginx_log_dir=str(tmp_path), acme_root=str(tmp_path))["nginx-tiers-lieu.conf"]
    (tmp_path / "site.conf").write_text(site)
    # Debian's nginx.conf around the site, with every file nginx opens inside the test's folder
    # (no `user`: nginx -t as a user other than root refuses to switch users).
    temp_paths = "\n".join(f"    {kind}_temp_path {tmp_path}/{kind};" for kind in
                           ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(f"""\
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    access_log {tmp_path}/access.log;
{temp_paths}
    include {tmp_path}/site.conf;
}}
""")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "[warn]" in line or "[emerg]" in line
                # nginx 1.25.1 and newer prefer `http2 on;`, which Debian 12's 1.22 does not know.
                and '"listen ... http2" directive is deprecated' not in line]
    assert not warnings, result.stderr


# --- logrotate ----------------------------------------------------------------------------------------

def test_logrotate_accepts_its_file(tmp_path):
    logrotate = tool("/usr/sbin/logrotate", "logrotate")
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "notify-send.log").write_text("Sent 1, to retry 0, failed 0, recovered from interrupted runs 0.\n")
    config = tmp_path / "tiers-lieu"
    config.write_text(kit(log_dir=str(logs), user=ME, group=MY_GROUP)["logrotate-tiers-lieu"])
    result = subprocess.run([logrotate, "--debug", "--state", str(tmp_path / "state"), str(config)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr.lower(), result.stderr
    assert f"considering log {logs}/notify-send.log" in result.stderr


# --- The environment file -----------------------------------------------------------------------------

def env_example():
    return (DEPLOY / "env.example").read_text(encoding="utf-8")


def test_the_environment_file_names_every_setting():
    """Every variable config.py reads is in env.example, set or shown commented with its default."""
    read = set(re.findall(r'env(?:_int|_bool|_words)?\("([A-Z0-9_]+)"', (ROOT / "config.py").read_text()))
    read.add("TIERS_LIEU_CONFIG")
    named = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", env_example(), re.MULTILINE))
    assert read - named == set(), "add these settings to deploy/env.example"


def test_the_environment_file_reads_the_same_in_systemd_and_sh():
    """NAME=value, a value with spaces in single quotes: the syntax both systemd's EnvironmentFile
    and the cron file's `. file` read alike (no inline comments, no expansion)."""
    for line in env_example().splitlines():
        if line and not line.startswith("#"):
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*=('[^']*'|[^\s'\"#$`\\]+)", line), line
        if line.startswith("# ") and re.match(r"# [A-Z][A-Z0-9_]*=", line):
            assert re.fullmatch(r"# [A-Z][A-Z0-9_]*=('[^']*'|[^\s'\"#$`\\]+)", line), line


def production_start(environment, tmp_path):
    """Build the app as gunicorn would with these settings (config.py reads them at import)."""
    return subprocess.run([sys.executable, "-c", "from tiers_lieu import create_app; create_app()"],
                          cwd=ROOT, env={"PATH": os.environ["PATH"], **environment},
                          capture_output=True, text=True, timeout=120)


def sourced(text, tmp_path):
    """The variables a `set -a; . file` exports, as the cron file reads them."""
    path = tmp_path / "env"
    path.write_text(text)
    result = subprocess.run(["/bin/sh", "-c", f"set -a; . {path}; exec env -0"], env={},
                            capture_output=True, text=True, check=True, timeout=30)
    return dict(item.split("=", 1) for item in result.stdout.split("\0") if item and not item.startswith("PWD="))


def test_the_environment_file_starts_the_app_once_its_placeholders_are_replaced(tmp_path):
    database = f"sqlite:///{tmp_path}/db.sqlite"
    as_shipped = sourced(env_example(), tmp_path)
    assert as_shipped["TIERS_LIEU_CONFIG"] == "config.ProductionConfig"
    refused = production_start({**as_shipped, "DATABASE_URL": database}, tmp_path)
    assert refused.returncode != 0 and "Refusing to start in production" in refused.stderr

    filled = env_example().replace("SECRET_KEY=CHANGE-ME", "SECRET_KEY=" + "k" * 48)
    filled = filled.replace("CHANGE-ME", "numerique").replace("example.org", "mpt-valence.fr")
    settings = sourced(filled, tmp_path)
    started = production_start({**settings, "DATABASE_URL": database}, tmp_path)
    assert started.returncode == 0, started.stderr


# --- The README ---------------------------------------------------------------------------------------

def test_the_readme_installs_every_file_of_the_kit():
    install = ROOT.joinpath("README.md").read_text(encoding="utf-8").split("### Install on a Debian server", 1)[1]
    install = install.split("\n### ", 1)[0]
    files = set(kit()) | NOT_GENERATED
    named = {"tiers-lieu.service", "nginx-tiers-lieu.conf", "tiers-lieu.cron", "logrotate-tiers-lieu", "env.example"}
    for name in named:
        assert f"deploy/{name}" in install, name
    # The jobs' units by their pattern.
    assert "deploy/tiers-lieu-*.service" in install and "deploy/tiers-lieu-*.timer" in install
    assert {name for name in files if re.fullmatch(r"tiers-lieu-[a-z-]+\.(service|timer)", name)} == files - named
    for path in (Install().app_dir, Install().env_file, Install().log_dir):
        assert path in install
