"""``spinetriage``: the one command-line entry point.

``up`` lives here because it only starts other commands as processes; every other command is
declared by the side of the project that owns it (entry-point group ``spinetriage.commands``)."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from importlib.metadata import entry_points

from spinetriage import __version__
from spinetriage.commands import Command
from spinetriage.config import Settings, SettingsError, load_settings
from spinetriage.embedded_redis import EmbeddedRedis
from spinetriage.logs import configure_logging, get_logger

log = get_logger(__name__)

# The processes `up` runs, in start order; it stops them in the reverse order.
UP_ROLES = ("worker", "listener", "api")
STOP_TIMEOUT_S = 15.0


def main(argv: Sequence[str] | None = None) -> int:
    commands = _discover_commands()
    parser = _parser(commands)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        return commands[args.command].run(args, settings)
    except SettingsError as exc:
        print(f"spinetriage: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _discover_commands() -> dict[str, Command]:
    commands = {"up": Command(help="run the whole service on this machine", run=run_up)}
    for entry in entry_points(group="spinetriage.commands"):
        commands[entry.name] = entry.load()
    return commands


def _parser(commands: dict[str, Command]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spinetriage",
        description="Triage of spine MR and CT studies for epidural cord compression.",
    )
    parser.add_argument("--version", action="version", version=f"spinetriage {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in sorted(commands.items()):
        command.configure(sub.add_parser(name, help=command.help, description=command.help))
    return parser


def run_up(_args: argparse.Namespace, settings: Settings) -> int:
    """Embedded Redis when no URL is set, then each role as a child process; Ctrl-C stops all."""
    configure_logging(settings.log_level, settings.log_format)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    # Ctrl-C stops everything even where it was ignored when `up` started (a shell ignores it
    # for commands it runs in the background).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    redis = None
    env = dict(os.environ)
    if settings.redis_url is None:
        redis = EmbeddedRedis(
            settings.embedded_redis_dir, settings.embedded_redis_port, settings.embedded_redis_bind
        )
        redis.start()
        env["SPINETRIAGE_REDIS_URL"] = redis.url
        log.info("embedded_redis_started", url=redis.url, data_dir=str(redis.data_dir))
    if settings.api_token is None:
        # A token for this run only, printed in the page's address below.
        env["SPINETRIAGE_API_TOKEN"] = secrets.token_urlsafe(24)
    children = [_start_role(role, env) for role in UP_ROLES]
    _print_addresses(settings, env)
    try:
        code = _wait_for_first_exit(children)
    finally:
        _stop_children(children)
        if redis is not None:
            redis.stop()
    return code


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    sys.exit(128 + signal.SIGTERM)


def _start_role(role: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # Children ignore the terminal's Ctrl-C; `up` stops them in order with SIGTERM.
    return subprocess.Popen(
        [sys.executable, "-m", "spinetriage", role], env=env, start_new_session=True
    )


def _print_addresses(settings: Settings, env: dict[str, str]) -> None:
    page = f"http://{_host(settings.api_bind)}:{settings.api_port}/"
    generated = "SPINETRIAGE_API_TOKEN" not in os.environ
    token = f"#token={env['SPINETRIAGE_API_TOKEN']}" if generated else ""
    workers = settings.worker_concurrency or os.cpu_count() or 1
    print(
        f"spinetriage {__version__} is up\n"
        f"  worklist   {page}{token}\n"
        f"  API        {page}api/v1/worklist (schema {page}openapi.json)\n"
        f"  DICOM      {settings.dicom_ae_title}@{settings.dicom_bind}:{settings.dicom_port}\n"
        f"  workers    {workers} analysis processes on queue triage\n"
        f"  metrics    http://{_host(settings.metrics_bind)}:{settings.listener_metrics_port}/metrics"
        f" (listener), :{settings.worker_metrics_port}/metrics (worker), {page}metrics (API)\n"
        f"  redis      {env['SPINETRIAGE_REDIS_URL']}\n"
        f"  spool      {settings.spool_path}\n"
        "Try `spinetriage demo` in another terminal. Ctrl-C stops everything.",
        flush=True,
    )


def _host(bind: str) -> str:
    """Where a browser on this machine reaches a server bound to ``bind``."""
    return "localhost" if bind in ("0.0.0.0", "::", "") else bind


def _wait_for_first_exit(children: list[subprocess.Popen[bytes]]) -> int:
    while True:
        for child in children:
            code = child.poll()
            if code is not None:
                log.error("child_exited", command=child.args, code=code)
                return code or 1
        time.sleep(0.2)


def _stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown
    for child in reversed(children):
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for child in reversed(children):
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
