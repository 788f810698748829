"""Ingest benchmark: the listener against dcmtk's own storescp, same study, same sender.

Sends one synthetic 500-instance MR study (512x512, 16-bit) over loopback with dcmtk's storescu
to each receiver, once with one association and once with four at a time, and prints instances/s,
MB/s, the listener's rate as a fraction of storescp's, and the listener's peak resident memory.
Both receivers write every instance to disk; only the listener fsyncs (storescp cannot)."""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from spinetriage.dcmtk import find_tool, loopback_env
from spinetriage.embedded_redis import EmbeddedRedis
from spinetriage.sample_study import SeriesSpec, write_mr_series

INSTANCES = 500
REPEATS = 5
# Instances far larger than the PDU and the page cache's write-back batches: 32 MiB each.
LARGE = SeriesSpec(instances=3, rows=4096, columns=4096, description="LARGE")
CONCURRENT = 4
READY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Run:
    receiver: str
    associations: int
    instances: int
    seconds: float
    megabytes: float

    @property
    def per_second(self) -> float:
        return self.instances / self.seconds

    @property
    def mb_per_second(self) -> float:
        return self.megabytes / self.seconds

    def line(self) -> str:
        return (
            f"{self.receiver:<28} {self.associations} assoc  {self.instances} inst  "
            f"{self.seconds:6.2f} s  {self.per_second:7.1f} inst/s  {self.mb_per_second:6.1f} MB/s"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def dcmtk(name: str) -> str:
    path = find_tool(name)
    if path is None:
        raise SystemExit(f"bench: dcmtk's {name} is not on PATH (Debian package dcmtk)")
    return path


def send(port: int, files: list[Path], associations: int) -> float:
    """storescu, `associations` processes at once, each with its share of the files."""
    shares = [files[i::associations] for i in range(associations)]
    # Start from clean page cache: dirty data another receiver left behind would otherwise be
    # flushed by the listener's fsyncs (ext4 commits it in the same journal transaction).
    os.sync()
    started = time.perf_counter()
    senders = [
        subprocess.Popen(
            [
                dcmtk("storescu"),
                "-q",
                "-aec",
                "SPINETRIAGE",
                "127.0.0.1",
                str(port),
                *map(str, share),
            ],
            env=loopback_env(),
        )
        for share in shares
    ]
    codes = [sender.wait() for sender in senders]
    elapsed = time.perf_counter() - started
    if any(codes):
        raise RuntimeError(f"storescu failed: exit codes {codes}")
    return elapsed


@contextmanager
def storescp(workdir: Path, forked: bool) -> Iterator[int]:
    port = free_port()
    out = workdir / "storescp"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    command = [dcmtk("storescp"), "-q", "-od", str(out), *(["--fork"] if forked else []), str(port)]
    process = subprocess.Popen(command, env=loopback_env())
    try:
        wait_for_port(port)
        yield port
    finally:
        process.terminate()
        process.wait()


@contextmanager
def listener(workdir: Path, redis_url: str, processes: int) -> Iterator[tuple[int, list[int]]]:
    port = free_port()
    spool = workdir / f"spool-{port}"
    shutil.rmtree(spool, ignore_errors=True)
    env = {
        **os.environ,
        "SPINETRIAGE_REDIS_URL": redis_url,
        "SPINETRIAGE_SPOOL_DIR": str(spool),
        "SPINETRIAGE_SPOOL_MIN_FREE_BYTES": "0",
        "SPINETRIAGE_DICOM_PORT": str(port),
        "SPINETRIAGE_DICOM_BIND": "127.0.0.1",
        "SPINETRIAGE_LISTENER_METRICS_PORT": "0",
        "SPINETRIAGE_LISTENER_PROCESSES": str(processes),
        "SPINETRIAGE_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen([sys.executable, "-m", "spinetriage", "listener"], env=env)
    try:
        wait_for_port(port)
        yield port, _process_tree(process.pid)
    finally:
        process.terminate()
        process.wait()


def _process_tree(pid: int) -> list[int]:
    time.sleep(0.5)  # let replicas start
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *map(int, children)]


def peak_rss_mb(pids: list[int]) -> float:
    peaks = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=INSTANCES)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="spinetriage-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    files = write_mr_series(workdir / "study", SeriesSpec(instances=args.instances))
    megabytes = sum(path.stat().st_size for path in files) / 1e6
    redis = EmbeddedRedis(workdir / "redis", free_port())
    redis.start()
    try:
        results = run_all(workdir, redis.url, files, megabytes)
    finally:
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    report(results)
    return 0


def run_all(
    workdir: Path, redis_url: str, files: list[Path], megabytes: float
) -> dict[str, object]:
    """Each receiver stays up while the sends alternate between them, REPEATS times; the median
    time counts, so a noisy moment on the machine hits both sides alike."""
    n = len(files)
    large = write_mr_series(workdir / "large", LARGE)
    runs: dict[str, Run] = {}
    with storescp(workdir, forked=False) as scp, listener(workdir, redis_url, 1) as (ours, pids):
        send(ours, files[: n // 5], 1)
        rss_fifth = peak_rss_mb(pids)
        times = alternate([(scp, 1), (ours, 1)], files)
        runs["scp1"] = Run("dcmtk storescp", 1, n, times[0], megabytes)
        runs["st1"] = Run("spinetriage listener", 1, n, times[1], megabytes)
        rss_after = peak_rss_mb(pids)
        send(ours, large, 1)
        rss_large = peak_rss_mb(pids)
    with (
        storescp(workdir, forked=True) as scp,
        listener(workdir, redis_url, 1) as (one, _),
        listener(workdir, redis_url, 2) as (two, _),
    ):
        times = alternate([(scp, CONCURRENT), (one, CONCURRENT), (two, CONCURRENT)], files)
        runs["scp4"] = Run("dcmtk storescp --fork", CONCURRENT, n, times[0], megabytes)
        runs["st4"] = Run("spinetriage listener", CONCURRENT, n, times[1], megabytes)
        runs["st4x2"] = Run("spinetriage listener x2 proc", CONCURRENT, n, times[2], megabytes)
    return {
        "runs": runs,
        "rss_fifth": rss_fifth,
        "sent_fifth": n // 5,
        "rss_after": rss_after,
        "sent_after": n // 5 + REPEATS * n,
        "rss_large": rss_large,
    }


def alternate(targets: list[tuple[int, int]], files: list[Path]) -> list[float]:
    """Median seconds per (port, associations) target, sending to each in turn."""
    times: list[list[float]] = [[] for _ in targets]
    for _ in range(REPEATS):
        for i, (port, associations) in enumerate(targets):
            times[i].append(send(port, files, associations))
    return [statistics.median(samples) for samples in times]


def report(results: dict[str, object]) -> None:
    runs = results["runs"]
    assert isinstance(runs, dict)
    print("\ningest benchmark (loopback, storescu with TCP_NODELAY=1, listener fsync on)")
    for run in runs.values():
        print("  " + run.line())
    ratios = [
        ("1 association", "st1", "scp1"),
        (f"{CONCURRENT} associations, 1 process", "st4", "scp4"),
        (f"{CONCURRENT} associations, 2 processes", "st4x2", "scp4"),
    ]
    for label, ours, theirs in ratios:
        ratio = runs[ours].per_second / runs[theirs].per_second
        print(f"  ratio, {label + ':':<34} {ratio:.2f} of {runs[theirs].receiver}")
    print(
        f"  listener peak RSS: {results['rss_fifth']:.1f} MB after {results['sent_fifth']} "
        f"instances, {results['rss_after']:.1f} MB after {results['sent_after']}, "
        f"{results['rss_large']:.1f} MB after {LARGE.instances} more of "
        f"{LARGE.rows * LARGE.columns * 2 / 2**20:.0f} MiB each"
    )


if __name__ == "__main__":
    sys.exit(main())
