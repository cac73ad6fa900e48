"""Shared plumbing for the hand-run chaos and benchmark scripts (not CI tests).

A ``Stack`` owns a throw-away hub database, a throw-away sandbox database, a
Redis database index used as the Celery broker, and the processes it starts:
the hub web (gunicorn), Celery workers, Celery beat and the sandbox partner
(gunicorn with ``HUB_ROOT_URLCONF=sandbox.urls``). Every process runs in its
own process group so the whole group (gunicorn/Celery children included) can
be SIGKILLed; everything is killed at exit (atexit + SIGINT/SIGTERM/SIGALRM).

Defaults (override by environment):
  BENCH_PG_URL      postgresql://postgres@127.0.0.1:5432/postgres  (admin connection)
  BENCH_REDIS_URL   redis://127.0.0.1:6379                          (no db index)
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"

PY = str(BIN / "python")


def perf_dir() -> Path:
    """The yardstick's directory (``../shared/perf``: limit server, lean wallet): PERF_DIR, else the first of
    ``../../shared/perf`` and ``../shared/perf`` from the checkout (a worktree or the main checkout)."""
    if os.environ.get("PERF_DIR"):
        return Path(os.environ["PERF_DIR"]).resolve()
    for candidate in (ROOT / "../../shared/perf", ROOT / "../shared/perf"):
        if (candidate / "limit_server.py").exists():
            return candidate.resolve()
    raise FileNotFoundError("the yardstick (shared/perf/limit_server.py) was not found: set PERF_DIR")


def perf_venv() -> Path:
    venv = Path(os.environ.get("PERF_VENV", "/tmp/perf-venv"))
    if not (venv / "bin" / "uvicorn").exists() or not (venv / "bin" / "gunicorn").exists():
        log(f"creating the yardstick's venv {venv} (uvicorn, gunicorn, psycopg, rfc8785)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin/pip"), "install", "-q", "uvicorn", "gunicorn", "psycopg[binary]", "rfc8785"], check=True
        )
    return venv


PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def db_url(name: str) -> str:
    parts = urlsplit(PG_ADMIN_URL)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def assert_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to send traffic to {host}: these scripts only talk to 127.0.0.1")


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def vacuum_analyze(name: str) -> None:
    """VACUUM (ANALYZE) a bench database now, so autovacuum does not start on (a)'s 10,000 updated rows in
    the middle of (b)'s latency measurement."""
    import psycopg

    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def flush_redis_db(index: int) -> None:
    import redis

    client = redis.Redis.from_url(f"{REDIS_BASE_URL}/{index}")
    client.flushdb()
    client.close()


def port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _clk_tck() -> int:
    return os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy (everything but idle and iowait), from /proc/stat."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / _clk_tck()


def steal_seconds() -> float:
    """CPU time the hypervisor gave to other guests while this one wanted it (all cores, /proc/stat)."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    return (fields[7] if len(fields) > 7 else 0) / _clk_tck()


def host_probe(pg_url: str) -> dict:
    """How fast this machine is right now, so runs on different days can be compared: a pure-Python loop
    (CPU speed), 1,000 ``SELECT 1`` round trips to PostgreSQL (syscalls, loopback, scheduling; on a
    busy virtualisation host these slow down many times while the loop does not) and 200 single-row commits
    (the disk's flush: what a hot row lock is held for at the least)."""
    import psycopg

    started = time.perf_counter()
    total = 0
    for i in range(2_000_000):
        total += i
    loop_ms = (time.perf_counter() - started) * 1000
    samples = []
    with psycopg.connect(pg_url, autocommit=True) as conn:
        cur = conn.cursor()
        cpu0 = time.process_time()
        for _ in range(1000):
            t = time.perf_counter()
            cur.execute("SELECT 1")
            cur.fetchone()
            samples.append((time.perf_counter() - t) * 1e6)
        cpu_us = (time.process_time() - cpu0) * 1000
        # A commit's WAL flush: the floor of a hot row lock's hold time (a lock is released when its
        # transaction's commit returns), so 1 / this is the most trades per second one market's book can take.
        table = f"hub_probe_commit_{os.getpid()}"  # several runs may probe one server at once
        cur.execute(f"CREATE TABLE IF NOT EXISTS {table} (x int)")
        commits = []
        for _ in range(200):
            t = time.perf_counter()
            cur.execute(f"INSERT INTO {table} VALUES (1)")  # autocommit: one flushed commit each
            commits.append((time.perf_counter() - t) * 1e6)
        cur.execute(f"DROP TABLE {table}")
    samples.sort()
    commits.sort()
    return {
        "python_loop_ms": round(loop_ms, 1),
        "select1_p50_us": round(samples[500]),
        "select1_p99_us": round(samples[990]),
        "select1_client_cpu_us": round(cpu_us),
        "commit_p50_us": round(commits[100]),
    }


def cpu_seconds(*, pgid: int | None = None, user_name: str | None = None) -> float:
    """CPU time (user+system) of the live processes in a process group, or owned by a user name."""
    import pwd

    uid = None
    if user_name is not None:
        try:
            uid = pwd.getpwnam(user_name).pw_uid
        except KeyError:
            return 0.0
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                raw = fh.read().decode(errors="replace")
            fields = raw[raw.rindex(")") + 2 :].split()
            if pgid is not None and int(fields[2]) != pgid:
                continue
            if uid is not None and os.stat(f"/proc/{entry}").st_uid != uid:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        except (OSError, ValueError, IndexError):
            continue
    return total / _clk_tck()


class Watchdog:
    """Hard deadline for the whole run: SIGALRM → clean up and exit 3."""

    def __init__(self, seconds: int):
        self.seconds = seconds

    def arm(self) -> None:
        signal.signal(signal.SIGALRM, _on_signal)
        signal.alarm(self.seconds)


_STACKS: list[Stack] = []
_cleaned = False


def cleanup_all() -> None:
    global _cleaned
    if _cleaned:
        return
    _cleaned = True
    for stack in list(_STACKS):
        stack.stop_all()


def _on_signal(signum, frame):
    name = signal.Signals(signum).name
    log(f"{name}: stopping every process this run started")
    cleanup_all()
    os._exit(3 if signum == signal.SIGALRM else 130)


atexit.register(cleanup_all)
signal.signal(signal.SIGINT, _on_signal)
signal.signal(signal.SIGTERM, _on_signal)


class Stack:
    def __init__(self, name: str, *, hub_port: int, sandbox_port: int, redis_db: int, extra_env: dict | None = None):
        self.name = name
        self.hub_port = hub_port
        self.sandbox_port = sandbox_port
        # BENCH_DB_SUFFIX keeps two runs on one PostgreSQL apart (hub_bench_h4, hub_bench_h4_sandbox).
        suffix = os.environ.get("BENCH_DB_SUFFIX", "")
        self.hub_db = f"hub_{name}{suffix}"
        self.sandbox_db = f"hub_{name}{suffix}_sandbox"
        self.redis_db = redis_db
        self.var_dir = ROOT / "var" / name
        self.log_dir = self.var_dir / "logs"
        self.hub_url = f"http://127.0.0.1:{hub_port}"
        self.sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        self.broker_url = f"{REDIS_BASE_URL}/{redis_db}"
        self.extra_env = dict(extra_env or {})
        self.procs: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()
        assert_loopback(self.hub_url)
        assert_loopback(self.sandbox_url)
        assert_loopback(self.broker_url)
        assert_loopback(PG_ADMIN_URL)
        _STACKS.append(self)

    # ------------------------------------------------------------ environment --
    def env(self, *, sandbox: bool = False, **overrides) -> dict:
        env = dict(os.environ)
        for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"):
            env.pop(key, None)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.dev",
                "DATABASE_URL": db_url(self.sandbox_db if sandbox else self.hub_db),
                "CELERY_BROKER_URL": self.broker_url,
                "HUB_ALLOW_HTTP_LOOPBACK": "1",
                "HUB_VAR_DIR": str(self.var_dir / ("sandbox" if sandbox else "hub")),
                "HUB_PORT": str(self.sandbox_port if sandbox else self.hub_port),
                "HUB_PUBLIC_URL": self.hub_url,
                "HUB_SANDBOX_URL": self.sandbox_url,
                "HUB_SANDBOX_PORT": str(self.sandbox_port),
                "PYTHONUNBUFFERED": "1",
                "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            }
        )
        if sandbox:
            env["HUB_ROOT_URLCONF"] = "sandbox.urls"
        env.update(self.extra_env)
        env.update({k: str(v) for k, v in overrides.items()})
        return env

    def configure_this_process(self) -> None:
        """Point Django in *this* process at the hub database and broker (call before django.setup())."""
        for key, value in self.env().items():
            if key.startswith(("HUB_", "DJANGO_", "DATABASE_URL", "CELERY_")) or key == "LOG_LEVEL":
                os.environ[key] = value
        os.environ.pop("HUB_ROOT_URLCONF", None)
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))

    # ---------------------------------------------------------------- storage --
    def prepare(self) -> None:
        for port in (self.hub_port, self.sandbox_port):
            if not port_free(port):
                raise SystemExit(
                    f"port {port} is busy on 127.0.0.1; set {self.name.upper()}_HUB_PORT / "
                    f"{self.name.upper()}_SANDBOX_PORT to free ports"
                )
        if self.var_dir.exists():
            shutil.rmtree(self.var_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log(f"recreating databases {self.hub_db}, {self.sandbox_db}; flushing redis db {self.redis_db}")
        recreate_database(self.hub_db)
        recreate_database(self.sandbox_db)
        flush_redis_db(self.redis_db)
        procs = [
            subprocess.Popen(
                [PY, "manage.py", "migrate", "--noinput", "-v", "0"],
                cwd=ROOT,
                env=self.env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            ),
            subprocess.Popen(
                [PY, "manage.py", "migrate", "--noinput", "-v", "0"],
                cwd=ROOT,
                env=self.env(sandbox=True),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            ),
        ]
        for proc in procs:
            out, _ = proc.communicate(timeout=180)
            if proc.returncode:
                raise SystemExit(f"migrate failed:\n{out.decode(errors='replace')}")

    # -------------------------------------------------------------- processes --
    def _spawn(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        logfile = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        logfile.write(f"\n===== start {time.strftime('%H:%M:%S')} {' '.join(argv)}\n".encode())
        logfile.flush()
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        proc._bench_log = logfile  # type: ignore[attr-defined]
        with self._lock:
            old = self.procs.get(name)
            if old is not None and old.poll() is None:
                raise RuntimeError(f"{name} already running")
            self.procs[name] = proc
        return proc

    def start_sandbox(self, *, workers: int = 2, threads: int = 16) -> None:
        self._spawn(
            "sandbox",
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "-c",
                "config/gunicorn.py",
                "--bind",
                f"127.0.0.1:{self.sandbox_port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--no-control-socket",
                "--access-logfile",
                "/dev/null",
            ],
            self.env(sandbox=True),
        )
        self.wait_http(f"{self.sandbox_url}/healthz", "sandbox")

    def start_web(self, *, workers: int = 2, threads: int = 8, access_log: bool = False) -> None:
        argv = [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "-c",
            "config/gunicorn.py",
            "--no-control-socket",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ]
        if not access_log:
            argv += ["--access-logfile", "/dev/null"]
        self._spawn("web", argv, self.env(HUB_WEB_THREADS=threads))  # the bulkhead's share is of these threads

    def start_worker(
        self, *, concurrency: int = 4, pool: str = "prefork", name: str = "worker", loglevel: str = "INFO", **env
    ) -> None:
        self._spawn(
            name,
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--loglevel",
                loglevel,
                "--pool",
                pool,
                "--concurrency",
                str(concurrency),
                "-n",
                f"{self.name}-{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            self.env(**env),
        )

    def start_beat(self) -> None:
        schedule = self.var_dir / "celerybeat-schedule"
        for path in self.var_dir.glob("celerybeat-schedule*"):
            path.unlink()  # a SIGKILLed beat may leave a corrupt shelve behind
        self._spawn(
            "beat", [str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO", "-s", str(schedule)], self.env()
        )

    def wait_worker_ready(self, name: str = "worker", timeout: float = 60) -> None:
        path = self.log_dir / f"{name}.log"
        deadline = time.monotonic() + timeout
        start_marker = "===== start"
        while time.monotonic() < deadline:
            text = path.read_text(errors="replace")
            last = text.rsplit(start_marker, 1)[-1]
            if " ready." in last:
                return
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{name} exited ({proc.returncode}); see {path}")
            time.sleep(0.2)
        raise RuntimeError(f"{name} not ready after {timeout}s; see {path}")

    def wait_http(self, url: str, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                response = httpx.get(url, timeout=3)
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            for name, proc in self.procs.items():
                if proc.poll() is not None and proc.returncode not in (None, -9):
                    raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.log_dir / (name + '.log')}")
            time.sleep(0.2)
        raise RuntimeError(f"{what} not ready at {url} after {timeout}s ({last})")

    def wait_hub_ready(self) -> None:
        self.wait_http(f"{self.hub_url}/healthz", "hub /healthz")
        self.wait_http(f"{self.hub_url}/readyz", "hub /readyz")

    def kill(self, name: str) -> None:
        with self._lock:
            proc = self.procs.pop(name, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the group: gunicorn/Celery children die with the master
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        with contextlib.suppress(Exception):
            proc._bench_log.close()  # type: ignore[attr-defined]

    def stop(self, name: str, timeout: float = 10) -> None:
        """Graceful stop (SIGTERM to the group), SIGKILL if it lingers."""
        proc = self.procs.get(name)
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        self.kill(name)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.kill(name)

    def cpu(self, name: str) -> float:
        proc = self.procs.get(name)
        return cpu_seconds(pgid=proc.pid) if proc is not None and proc.poll() is None else 0.0

    def running(self, name: str) -> bool:
        proc = self.procs.get(name)
        return proc is not None and proc.poll() is None


# ------------------------------------------------------ shared by the parts --


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(samples: list[float]) -> dict:
    ms = [s * 1000 for s in samples]
    return {
        "n": len(ms),
        "p50": round(pct(ms, 0.50), 2),
        "p90": round(pct(ms, 0.90), 2),
        "p99": round(pct(ms, 0.99), 2),
        "mean": round(statistics.fmean(ms), 2) if ms else None,
        "max": round(max(ms), 2) if ms else None,
    }


def counting_db_wrapper(timers: Counter, counts: Counter):
    """A ``connection.execute_wrapper`` that adds up time ("db") and statements ("db", "sql_<VERB>")."""

    def db_wrapper(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timers["db"] += time.perf_counter() - t
            counts["db"] += 1
            counts[f"sql_{sql.lstrip().split(' ', 1)[0].upper()}"] += 1

    return db_wrapper


def wait_tcp(port: int, timeout: float = 10) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def set_hooks_url(wired, url: str) -> None:
    from tenants.models import Partner

    Partner.objects.filter(pk=wired.partner_id).update(igsp_hooks_url=url)
