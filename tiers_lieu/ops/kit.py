"""The deployment kit: systemd units and timers, a cron file, the nginx site and logrotate's file,
written from the job list (`jobs.JOBS`) and the install's paths.

`deploy/` holds the kit for the README's paths, written by `flask ops kit`;
`tests/test_deploy.py` writes it again and compares, so the files never drift from the job list.
Plain functions: an `Install` in, file name → text out.
"""
from dataclasses import dataclass

from .jobs import JOBS

HEADER = ("Written by `flask ops kit` from tiers_lieu/ops/kit.py and the job list (tiers_lieu/ops/jobs.py):\n"
          "# change those, not this file.")
SERVICE = "tiers-lieu"
# gunicorn's access lines: no client address (personal data), no path (a booking's path is its
# secret link); README, "Logs".
ACCESS_LOG_FORMAT = '%(t)s "%(m)s" %(s)s %(L)ss'


@dataclass(frozen=True)
class Install:
    """Where the app is installed; the defaults are the README's."""
    app_dir: str = "/srv/tiers_lieu"
    user: str = "tiers-lieu"
    # The user's own group (`adduser --system --group`) when None.
    group: str | None = None
    env_file: str = "/etc/tiers_lieu/env"
    log_dir: str = "/var/log/tiers_lieu"
    # The BACKUP_DIR setting; the app's default is inside instance/, which is writable already.
    backup_dir: str | None = None
    server_name: str = "numerique.example.org"
    # The jobs' times are the centre's wall clock (the TIMEZONE setting).
    timezone: str = "Europe/Paris"
    # certbot's layout for server_name when None.
    ssl_certificate: str | None = None
    ssl_certificate_key: str | None = None
    # Where certbot's webroot plugin writes its challenges; Debian's default nginx site serves this
    # folder, so the first certificate is taken before this site is enabled (README).
    acme_root: str = "/var/www/html"
    nginx_log_dir: str = "/var/log/nginx"
    bind: str = "127.0.0.1:8000"
    workers: int = 3

    @property
    def venv(self):
        return f"{self.app_dir}/.venv/bin"

    @property
    def writable(self):
        """What the jobs write: instance/ (the backups' default folder) or BACKUP_DIR."""
        paths = [f"{self.app_dir}/instance"]
        if self.backup_dir and not self.backup_dir.startswith(f"{self.app_dir}/instance/"):
            paths.append(self.backup_dir)
        return paths


def kit(**paths):
    """Every file of the kit, by name, for an install at these paths (`Install`'s fields)."""
    install = Install(**paths)
    return {**units(install), "tiers-lieu.cron": cron_file(install),
            "nginx-tiers-lieu.conf": nginx_site(install), "logrotate-tiers-lieu": logrotate(install)}


def units(install):
    """The web service, and a oneshot service with its timer for each job."""
    files = {f"{SERVICE}.service": web_service(install)}
    for job in JOBS:
        files[f"{SERVICE}-{job.name}.service"] = job_service(install, job)
        files[f"{SERVICE}-{job.name}.timer"] = job_timer(install, job)
    return files


def sandbox(writable):
    """The hardening every unit shares (`systemd-analyze security` rates it)."""
    return f"""\
# The app writes only these folders (the web service also compiles the catalogues); it needs no
# privilege, device or kernel knob.
NoNewPrivileges=true
ProtectSystem=strict
ReadWritePaths={" ".join(writable)}
PrivateTmp=true
PrivateMounts=true
PrivateDevices=true
ProtectHome=true
ProtectKernelTunables=true
ProtectKernelModules=true
ProtectKernelLogs=true
ProtectControlGroups=true
ProtectClock=true
ProtectHostname=true
ProtectProc=invisible
ProcSubset=pid
# PostgreSQL's and gunicorn's sockets, Redis, SMTP and the SMS gateway: nothing else.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=true
RestrictRealtime=true
RestrictSUIDSGID=true
RemoveIPC=true
LockPersonality=true
# Nothing the app loads writes machine code at run time (argon2-cffi and psycopg are compiled
# ahead of time): tried with logins, exports and every job under these settings.
MemoryDenyWriteExecute=true
SystemCallArchitectures=native
# An ordinary service's system calls, without those that change users, owners or resource limits.
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
CapabilityBoundingSet=
UMask=0027
"""


def _unit_head(description, install):
    return f"""\
# {HEADER}
[Unit]
Description={description}
Documentation=file://{install.app_dir}/README.md
After=network.target postgresql.service redis-server.service
"""


def _service_user(install):
    return f"""\
User={install.user}
WorkingDirectory={install.app_dir}
EnvironmentFile={install.env_file}
"""


def web_service(install):
    """gunicorn, after the migrations and the catalogues; restarted when it fails."""
    log_format = ACCESS_LOG_FORMAT.replace("%", "%%")  # systemd's specifiers start with %
    return f"""\
{_unit_head("tiers_lieu, the web app (gunicorn)", install)}
[Service]
Type=notify
NotifyAccess=main
{_service_user(install)}# Each deployment's migrations (never lose data), before serving.
ExecStartPre={install.venv}/flask --app wsgi db upgrade
# The compiled catalogues (.mo) are not in git: compile them when a .po is newer (after a pull).
ExecStartPre=/bin/sh -c 'for po in translations/*/LC_MESSAGES/messages.po; do [ "$${{po%%.po}}.mo" -nt "$$po" ] || exec {install.venv}/pybabel compile -d translations; done'
# Access lines without the client's address or the path (a booking's path is its secret link).
# No control socket: gunicorn would put it in the user's home, read-only here; systemctl reload
# and restart do its work.
ExecStart={install.venv}/gunicorn --workers {install.workers} --bind {install.bind} --no-control-socket --access-logfile - --access-logformat '{log_format}' wsgi:app
ExecReload=/bin/kill -s HUP $MAINPID
# A long migration must not be killed half-way by the default 90 s.
TimeoutStartSec=15min
Restart=on-failure
RestartSec=5s

{sandbox([*install.writable, f"{install.app_dir}/translations"])}
[Install]
WantedBy=multi-user.target
"""


def job_service(install, job):
    """One run of the job; its output goes to the journal."""
    return f"""\
{_unit_head(f"tiers_lieu job {job.name}: flask {job.command}", install)}
[Service]
Type=oneshot
{_service_user(install)}ExecStart={install.venv}/flask --app wsgi {job.command}
# Every job is safe to stop at any moment: a run stuck on a server that never answers is stopped
# so that the next one can start.
TimeoutStartSec=1h

{sandbox(install.writable)}"""


def job_timer(install, job):
    """When the job runs, on the centre's clock whatever the server's time zone."""
    every_minute = job.cron == "* * * * *"
    # A minute missed while the server was off is not worth catching up: the next run sends it
    # all. A missed night is: the job runs at boot.
    catch_up = "AccuracySec=1s" if every_minute else "Persistent=true"
    return f"""\
# {HEADER}
[Unit]
Description=tiers_lieu job {job.name}, {job.schedule}
Documentation=file://{install.app_dir}/README.md

[Timer]
OnCalendar={job.on_calendar} {install.timezone}
{catch_up}

[Install]
WantedBy=timers.target
"""


def cron_file(install):
    """The same jobs for /etc/cron.d, for servers that use cron instead of the timers."""
    lines = [
        f"# {HEADER}",
        "# Install as /etc/cron.d/tiers-lieu (cron ignores file names with a dot), owned by root,",
        "# mode 0644. Use this file OR the systemd timers, never both: each job would run twice.",
        "#",
        f"# Debian's cron has no CRON_TZ: these times are the server's, which must be {install.timezone}",
        f"# (`timedatectl set-timezone {install.timezone}`). Each job's output is appended to",
        f"# {install.log_dir}/<job>.log (rotated by logrotate-tiers-lieu); cron mails what fails",
        "# before the job starts (a missing environment file).",
        "SHELL=/bin/sh",
        "PATH=/usr/local/bin:/usr/bin:/bin",
        "",
    ]
    for job in JOBS:
        lines += [
            f"# {job.name}: {job.schedule}",
            f"{job.cron} {install.user} cd {install.app_dir} && set -a && . {install.env_file} && set +a"
            f" && exec {install.venv}/flask --app wsgi {job.command} >> {install.log_dir}/{job.name}.log 2>&1",
        ]
    return "\n".join(lines) + "\n"


def nginx_site(install):
    """HTTPS in front of gunicorn, the static files, and logs without addresses or paths."""
    certificate = install.ssl_certificate or f"/etc/letsencrypt/live/{install.server_name}/fullchain.pem"
    key = install.ssl_certificate_key or f"/etc/letsencrypt/live/{install.server_name}/privkey.pem"
    return f"""\
# {HEADER}
# Install as /etc/nginx/sites-available/tiers-lieu, linked from sites-enabled (README).

# Time, method, status, bytes and duration: no client address (personal data), no path nor query
# (a booking's path is its secret link).
log_format tiers_lieu '$time_iso8601 $request_method $status $body_bytes_sent $request_time';

server {{
    listen 80;
    listen [::]:80;
    server_name {install.server_name};
    server_tokens off;
    access_log {install.nginx_log_dir}/tiers-lieu.access.log tiers_lieu;
    # nginx writes the client's address and the request line (a booking's secret link) into every
    # error line; at crit only its own rare failures remain. The app's errors are in its journal
    # (journalctl -u tiers-lieu), masked (README, "Production").
    error_log {install.nginx_log_dir}/tiers-lieu.error.log crit;

    # certbot's renewals (the webroot plugin).
    location /.well-known/acme-challenge/ {{
        root {install.acme_root};
    }}
    location / {{
        return 301 https://{install.server_name}$request_uri;
    }}
}}

server {{
    # nginx 1.25 and newer (Debian 13) warn that this form is deprecated but honour it; the
    # `http2 on;` they prefer is unknown to Debian 12's nginx 1.22.
    listen 443 ssl http2;
    listen [::]:443 ssl http2;
    server_name {install.server_name};
    server_tokens off;
    access_log {install.nginx_log_dir}/tiers-lieu.access.log tiers_lieu;
    error_log {install.nginx_log_dir}/tiers-lieu.error.log crit;

    ssl_certificate {certificate};
    ssl_certificate_key {key};
    # Mozilla's "intermediate" configuration.
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:tiers_lieu_tls:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets off;

    # Just above the app's MAX_CONTENT_LENGTH (256 KiB), so that people see the app's own 413 page.
    client_max_body_size 300k;

    # Static URLs carry no version, so a day rather than a year: after an upgrade, browsers take
    # the new style sheet and scripts by the next day at the latest (ETag revalidates them).
    location /static/ {{
        root {install.app_dir};
        expires 1d;
        add_header X-Content-Type-Options nosniff always;
    }}

    location / {{
        proxy_pass http://{install.bind};
        # What the app trusts with PROXY_COUNT=1 (README, "Configuration").
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $host;
        proxy_set_header X-Forwarded-Port $server_port;
    }}
}}
"""


def logrotate(install):
    """The cron jobs' logs (the timers' output is in the journal)."""
    return f"""\
# {HEADER}
# Install as /etc/logrotate.d/tiers-lieu. Only the cron file writes these logs; with the systemd
# timers the jobs' output is in the journal.
{install.log_dir}/*.log {{
    # Rotated as the user who writes them: the folder is theirs, not root's.
    su {install.user} {install.group or install.user}
    daily
    rotate 14
    compress
    # Each cron run opens its log anew, so renaming is enough; a run still writing to yesterday's
    # file finishes before it is compressed the next day.
    delaycompress
    missingok
    notifempty
}}
"""
