"""The one load generator of the lab: steady requests at a fixed rate.

Used by the lab's end-to-end tests, the benchmarks and ``make demo`` to prove
that a cutover drops no request and to measure traffic shares per version.
By default every request opens its own connection (as independent clients
do), so the load balancer's weights apply per request; ``keepalive=True`` makes
each worker reuse one connection, which is what exposes a reload that drops
kept-alive clients. Loops are bounded: ``max_seconds``
stops the generator even if nobody calls :meth:`stop`.

    with LoadGenerator("http://127.0.1.1:80/version", rate=100) as load:
        ...  # cut over
    report = load.report()
    assert report.failed == 0

CLI: ``python -m lab.loadgen URL --rate 100 --seconds 10`` prints the report as JSON.
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Sample:
    """One request: when it started (monotonic), its status (0 = no response), the version served."""

    started: float
    status: int
    version: str | None
    latency: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400


@dataclass
class LoadReport:
    samples: list[Sample] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.samples)

    @property
    def failed(self) -> int:
        return sum(1 for sample in self.samples if not sample.ok)

    def failures(self, limit: int = 10) -> list[str]:
        return [f"status={sample.status} error={sample.error}" for sample in self.samples if not sample.ok][:limit]

    def versions(self, since: float | None = None, until: float | None = None) -> Counter:
        """Successful responses per version, optionally within [since, until) (monotonic times)."""
        return Counter(sample.version for sample in self._window(since, until) if sample.ok)

    def share(self, version: str, since: float | None = None, until: float | None = None) -> float:
        counts = self.versions(since, until)
        total = sum(counts.values())
        return counts[version] / total if total else 0.0

    def sequence(self, since: float | None = None, until: float | None = None) -> list[str | None]:
        """The versions of successful responses in the order they were asked for."""
        return [sample.version for sample in self._window(since, until) if sample.ok]

    def last_version(self) -> str | None:
        ok = [sample for sample in self.samples if sample.ok]
        return ok[-1].version if ok else None

    def as_dict(self) -> dict:
        latencies = sorted(sample.latency for sample in self.samples if sample.ok)
        p50 = latencies[len(latencies) // 2] if latencies else None
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else None
        return {
            "requests": self.total,
            "failed_requests": self.failed,
            "versions": dict(self.versions()),
            "latency_p50_ms": round(p50 * 1000, 2) if p50 is not None else None,
            "latency_p99_ms": round(p99 * 1000, 2) if p99 is not None else None,
            "failures": self.failures(),
        }

    def _window(self, since: float | None, until: float | None) -> list[Sample]:
        return [sample for sample in self.samples if (since is None or sample.started >= since) and (until is None or sample.started < until)]


def _version_of(body: bytes) -> str | None:
    """The sample service's /version answers {"status": "Version N", "version": N, ...}."""
    try:
        data = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        return text[:64] or None
    if isinstance(data, dict):
        for key in ("version", "status"):
            if key in data:
                return str(data[key])
    return None


class LoadGenerator:
    def __init__(
        self,
        url: str,
        rate: float = 100.0,
        timeout: float = 5.0,
        workers: int = 16,
        max_seconds: float = 900.0,
        keepalive: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.keepalive = keepalive
        self.headers = dict(headers or {})
        if not keepalive:
            self.headers["Connection"] = "close"
        self._local = threading.local()
        self.rate = rate
        self.timeout = timeout
        self.max_seconds = max_seconds
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="loadgen")
        # At most `workers` requests in flight: against slow targets the rate drops
        # instead of a backlog growing that stop() would have to drain.
        self._slots = threading.BoundedSemaphore(workers)
        self._samples: list[Sample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._schedule, name="loadgen-scheduler", daemon=True)

    def start(self) -> LoadGenerator:
        self._thread.start()
        return self

    def stop(self) -> LoadReport:
        self._stop.set()
        self._thread.join(timeout=self.timeout + 5)
        self._pool.shutdown(wait=True)
        return self.report()

    @property
    def count(self) -> int:
        """Requests answered (or failed) so far."""
        with self._lock:
            return len(self._samples)

    def wait_count(self, count: int, timeout: float = 60.0) -> None:
        """Block until ``count`` requests have completed; raises TimeoutError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while self.count < count:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"only {self.count} of {count} requests completed in {timeout:g} s")
            time.sleep(0.05)

    def report(self) -> LoadReport:
        with self._lock:
            return LoadReport(sorted(self._samples, key=lambda sample: sample.started))

    def __enter__(self) -> LoadGenerator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _schedule(self) -> None:
        interval = 1.0 / self.rate
        start = time.monotonic()
        deadline = start + self.max_seconds
        sent = 0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= deadline:
                break
            due = start + sent * interval
            if now < due:
                self._stop.wait(due - now)
                continue
            if now - due > 1.0:  # fell behind (slow targets): skip the missed sends, no burst
                sent = int((now - start) / interval)
            if not self._slots.acquire(timeout=0.1):
                continue
            self._pool.submit(self._one_in_slot)
            sent += 1

    def _one_in_slot(self) -> None:
        try:
            self._one()
        finally:
            self._slots.release()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None) if self.keepalive else None
        if connection is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def _one(self) -> None:
        started = time.monotonic()
        connection = self._connection()
        keep = self.keepalive
        try:
            connection.request("GET", self.path, headers=self.headers)
            response = connection.getresponse()
            body = response.read()
            keep = keep and not response.will_close
            sample = Sample(started, response.status, _version_of(body), time.monotonic() - started)
        except (OSError, http.client.HTTPException) as exc:
            keep = False
            sample = Sample(started, 0, None, time.monotonic() - started, f"{type(exc).__name__}: {exc}")
        if not keep:
            connection.close()
            self._local.connection = None
        with self._lock:
            self._samples.append(sample)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m lab.loadgen", description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second (default 100)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to run (default 10)")
    args = parser.parse_args()
    stop = threading.Event()
    # SIGTERM ends the run early and still prints the report (background jobs of
    # a script ignore SIGINT, so `kill` is how a caller stops it).
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    load = LoadGenerator(args.url, rate=args.rate, max_seconds=args.seconds).start()
    try:
        stop.wait(args.seconds)
    except KeyboardInterrupt:
        pass
    print(json.dumps(load.stop().as_dict(), indent=2))


if __name__ == "__main__":
    main()
