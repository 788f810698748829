"""Pipeline benchmark: time from the last C-STORE response of a study to the study on the
worklist with its priority, and sustained studies per hour, with the service's default settings.

The real processes run here: an embedded Redis, the listener, and one worker with two analysis
processes (this machine's two cores). The studies are copies of one synthetic MR study of three
sagittal series (T2, T1, STIR) of 16 slices at 512x512, each with its own UIDs.

- Latency: studies sent one at a time, each in one association; the clock stops when the worklist
  publishes the study as analysed. The defaults complete a study 1 s after its association ends.
- Throughput: studies sent back to back, one association each; studies per hour from the first
  send to the last study on the worklist.
- The workers' peak resident memory (each process's high-water mark)."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydicom import dcmread
from pydicom.uid import generate_uid
from redis import Redis

from benchmarks.ingest import free_port, peak_rss_mb, wait_for_port
from spinetriage import keys
from spinetriage.dicom_send import send_folder
from spinetriage.embedded_redis import EmbeddedRedis
from workers.phantom import generate

SEED = 1011  # the analysis benchmark's MR study: 3 sagittal series x 16 slices, 512x512
LATENCY_STUDIES = 20
THROUGHPUT_STUDIES = 40
WORKER_PROCESSES = 2
P95_TARGET_S = 5.0
PER_HOUR_TARGET = 2000.0
DONE_TIMEOUT_S = 120.0
FINAL = {"done", "failed", "not_applicable"}


def copies(study: Path, out: Path, count: int) -> list[Path]:
    """``count`` copies of a study folder, each with new study, series and instance UIDs."""
    folders = []
    for n in range(count):
        folder = out / f"study-{n:03d}"
        folder.mkdir(parents=True)
        study_uid, series_uids = generate_uid(), {}
        for path in sorted(study.iterdir()):
            ds = dcmread(path)
            series_uids.setdefault(ds.SeriesInstanceUID, generate_uid())
            ds.StudyInstanceUID = study_uid
            ds.SeriesInstanceUID = series_uids[ds.SeriesInstanceUID]
            ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
            ds.save_as(folder / path.name)
        folders.append(folder)
    return folders


def study_uid(folder: Path) -> str:
    return str(dcmread(next(folder.iterdir()), stop_before_pixels=True).StudyInstanceUID)


@contextmanager
def process(command: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "spinetriage", command], env=env, stdout=out, stderr=out
        )
    try:
        yield child
    finally:
        child.terminate()
        child.wait(timeout=60)


class Worklist:
    """The worklist's events, read as they are published."""

    def __init__(self, redis: Redis) -> None:
        self._pubsub = redis.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(keys.EVENTS)
        self._redis = redis

    def wait_done(self, uids: set[str]) -> dict[str, float]:
        """When each study reached a final status on the worklist (seconds since the epoch)."""
        finished: dict[str, float] = {}
        deadline = time.monotonic() + DONE_TIMEOUT_S
        while set(finished) != uids:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(uids - set(finished))} studies not analysed in time")
            message = self._pubsub.get_message(timeout=0.5)
            if message is None:
                continue
            event = json.loads(message["data"])
            if event["study_instance_uid"] in uids and event["change"] in FINAL:
                finished[event["study_instance_uid"]] = time.time()
        return finished

    def statuses(self, uids: set[str]) -> list[str]:
        return [
            (self._redis.hget(keys.study(uid), "status") or b"").decode() for uid in sorted(uids)
        ]


def latency(folders: list[Path], port: int, worklist: Worklist) -> list[float]:
    seconds = []
    for folder in folders:
        report = send_folder(folder, "127.0.0.1", port, "SPINETRIAGE")
        done = worklist.wait_done({study_uid(folder)})
        seconds.append(next(iter(done.values())) - report.last_response_at)
    return seconds


def throughput(folders: list[Path], port: int, worklist: Worklist) -> float:
    uids = {study_uid(folder) for folder in folders}
    started = time.time()
    for folder in folders:
        send_folder(folder, "127.0.0.1", port, "SPINETRIAGE")
    done = worklist.wait_done(uids)
    return len(folders) / (max(done.values()) - started) * 3600


def worker_pids(worker: subprocess.Popen[bytes]) -> list[int]:
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    return [worker.pid, *map(int, children)]


def run(scratch: Path) -> int:
    truth = generate(SEED, scratch / "source")
    source = scratch / "source" / truth.case_id / "dicom"
    folders = copies(source, scratch / "studies", LATENCY_STUDIES + THROUGHPUT_STUDIES)
    redis_server = EmbeddedRedis(scratch / "redis", free_port())
    redis_server.start()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SPINETRIAGE_")},
        "SPINETRIAGE_REDIS_URL": redis_server.url,
        "SPINETRIAGE_SPOOL_DIR": str(scratch / "spool"),
        "SPINETRIAGE_SPOOL_MIN_FREE_BYTES": "0",
        "SPINETRIAGE_DICOM_PORT": str(port),
        "SPINETRIAGE_DICOM_BIND": "127.0.0.1",
        "SPINETRIAGE_LISTENER_METRICS_PORT": "0",
        "SPINETRIAGE_WORKER_CONCURRENCY": str(WORKER_PROCESSES),
        "SPINETRIAGE_LOG_LEVEL": "warning",
    }
    redis = Redis.from_url(redis_server.url)
    try:
        with (
            process("worker", env, scratch / "worker.log") as worker,
            process("listener", env, scratch / "listener.log"),
        ):
            wait_for_port(port)
            worklist = Worklist(redis)
            seconds = latency(folders[:LATENCY_STUDIES], port, worklist)
            per_hour = throughput(folders[LATENCY_STUDIES:], port, worklist)
            peak = peak_rss_mb(worker_pids(worker))
    finally:
        redis.close()
        redis_server.stop()
    return report(seconds, per_hour, peak)


def report(seconds: list[float], per_hour: float, peak_mb: float) -> int:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"pipeline benchmark (listener + 1 worker with {WORKER_PROCESSES} processes, defaults)\n"
        f"  last C-STORE response to worklist, {len(seconds)} MR studies one at a time: "
        f"p50 {statistics.median(seconds):.2f} s, p95 {p95:.2f} s, max {ordered[-1]:.2f} s "
        f"(target p95 <= {P95_TARGET_S:.0f} s)\n"
        f"  sustained: {per_hour:.0f} studies per hour (target >= {PER_HOUR_TARGET:.0f})\n"
        f"  workers' peak memory: {peak_mb:.0f} MB per process"
    )
    return 0 if p95 <= P95_TARGET_S and per_hour >= PER_HOUR_TARGET else 1


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="spinetriage-pipeline-"))
    try:
        return run(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
