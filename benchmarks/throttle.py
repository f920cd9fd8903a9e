"""Benchmark: throttle counting on Redis beside the same counting in the database table.

``--calls`` calls of ``throttle.hit`` (a limit never reached) and as many of ``throttle.tally``,
over ``--keys`` keys, once with the counters in the table (the database of ``DATABASE_URL``, or
SQLite in a fresh home) and once on Redis (``--redis URL``, or a private ``redis-server`` started
for the run on a free port).  Prints calls/s of each store and the Redis/table ratio.

    .venv/bin/python benchmarks/throttle.py
    createdb -h 127.0.0.1 -U postgres yp_throttlebench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yp_throttlebench .venv/bin/python benchmarks/throttle.py
"""

import argparse
import contextlib
import datetime
import shutil
import socket
import subprocess
import tempfile
import time

from _setup import django_on


@contextlib.contextmanager
def private_redis():
    """The URL of a ``redis-server`` of this run's own, on a free port, without persistence."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tempfile.mkdtemp(prefix="yanpiao-bench-redis-")
    server = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        cwd=folder,
        stdout=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(port=port)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def rate(operation, calls: int, keys: int) -> float:
    """Calls per second of ``operation(key index)`` over ``keys`` keys in turn."""
    began = time.perf_counter()
    for n in range(calls):
        operation(n % keys)
    return calls / (time.perf_counter() - began)


def measure(calls: int, keys: int, run: str) -> dict[str, float]:
    from yanpiao.security import throttle

    limited = throttle.Limit(f"bench.{run}.hit", calls + 1, datetime.timedelta(days=1))
    watched = throttle.Limit(f"bench.{run}.tally", 1, datetime.timedelta(days=1))
    return {
        "hit": rate(lambda n: throttle.hit(limited, "address", n), calls, keys),
        "tally": rate(lambda n: throttle.tally(watched, "account", n), calls, keys),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="calls of each function (20,000)")
    parser.add_argument("--keys", type=int, default=1_000, help="distinct keys counted (1,000)")
    parser.add_argument("--redis", help="a Redis URL (default: a private redis-server for the run)")
    parser.add_argument("--home", help="YANPIAO_HOME (default: a fresh temporary folder)")
    arguments = parser.parse_args()
    django_on(arguments.home)
    from django.conf import settings
    from django.db import connection

    from yanpiao.security import throttle_redis

    with contextlib.ExitStack() as stack:
        url = arguments.redis or stack.enter_context(private_redis())
        settings.YANPIAO_REDIS_URL = ""
        table = measure(arguments.calls, arguments.keys, "table")
        settings.YANPIAO_REDIS_URL = url
        throttle_redis.reset()
        on_redis = measure(arguments.calls, arguments.keys, "redis")
        throttle_redis.reset()
    print(f"{arguments.calls:,} calls of each over {arguments.keys:,} keys; database: {connection.vendor}")
    for name in table:
        print(
            f"{name:6} table {table[name]:8,.0f}/s   redis {on_redis[name]:8,.0f}/s"
            f"   ratio {on_redis[name] / table[name]:.1f}x"
        )


if __name__ == "__main__":
    main()
