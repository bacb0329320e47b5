"""`flask ops kit`: write the deployment kit (systemd units and timers, cron file, nginx site,
logrotate file) from the job list, for the README's paths or another install's."""
from pathlib import Path

import click
from flask.cli import AppGroup

from .kit import Install, kit

ops = AppGroup("ops", help="Running the app on a server: the deployment kit.")
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DEFAULTS = Install()


@ops.command("kit", with_appcontext=False)
@click.option("--to", "folder", type=click.Path(file_okay=False, path_type=Path), default=DEPLOY,
              show_default="the app's deploy/ folder", help="Where to write the files.")
@click.option("--app-dir", default=DEFAULTS.app_dir, show_default=True, help="The app's folder on the server.")
@click.option("--user", default=DEFAULTS.user, show_default=True, help="The system user the app runs as.")
@click.option("--env-file", default=DEFAULTS.env_file, show_default=True, help="The production settings.")
@click.option("--log-dir", default=DEFAULTS.log_dir, show_default=True, help="The cron jobs' logs.")
@click.option("--backup-dir", help="BACKUP_DIR, when it is outside the app's instance/ folder.")
@click.option("--server-name", default=DEFAULTS.server_name, show_default=True,
              help="The address residents use, without https://.")
def kit_command(folder, **paths):
    """Write the kit's files; units of jobs no longer in the list are pointed out, not deleted."""
    files = kit(**paths)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    click.echo(f"{len(files)} files written to {folder}.")
    for stale in sorted(folder.glob("tiers-lieu-*")):
        if stale.name not in files:
            click.echo(f"  {stale.name} is not part of the kit any more (a job removed?): delete it.")
