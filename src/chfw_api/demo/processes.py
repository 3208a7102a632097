"""The demo's running parts: the API and the delivery worker, as subprocesses or in-process.

`subprocess` (the default) runs `chfw serve` and `chfw worker` as child processes, configured
through `CHFW_*` variables exactly as an operator would, so the API, the worker and the demo's
own process (simulated CSPs, back offices, the script) use both cores. `thread` runs uvicorn and
the worker's event loop in threads of this process (one interpreter, one GIL): simpler to debug,
slower on two cores (docs/demo.md has the figures).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

from chfw_api.config import Settings

Mode = Literal["subprocess", "thread"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def settings_env(settings: Mapping[str, Any]) -> dict[str, str]:
    """`CHFW_*` variables for the given settings (lists and dicts as JSON)."""
    import json

    env = {}
    for name, value in settings.items():
        text = json.dumps(value) if isinstance(value, list | dict) else str(value)
        env[f"CHFW_{name.upper()}"] = text
    return env


@dataclass
class Services:
    """The API and the worker; `stop()` ends them (and only them)."""

    mode: Mode
    api_url: str
    logs: Path
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _stops: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                # SIGINT: a clean stop for both, and pyinstrument writes its profile on it.
                proc.send_signal(signal.SIGINT)
        for proc in self._procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for stop in reversed(self._stops):
            stop()

    def check_alive(self) -> None:
        for proc in self._procs:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{proc.args!r} exited with {proc.returncode}; see the logs in {self.logs}"
                )


def client_url(host: str, port: int) -> str:
    """Where the demo itself reaches an API bound to `host`: a wildcard address is not one to
    connect to, so the loopback of its family stands in for it."""
    reach = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{reach}]:{port}" if ":" in reach else f"http://{reach}:{port}"


def start(
    settings: Mapping[str, Any],
    *,
    mode: Mode,
    logs: Path,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Services:
    """Start the API on `host:port` (port 0: a free one) and one delivery worker; wait for
    /readyz."""
    logs.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    services = Services(mode, client_url(host, port), logs)
    try:
        if mode == "subprocess":
            env = {**os.environ, **settings_env(settings), "CHFW_AUTO_MIGRATE": "false"}
            cli = [sys.executable, "-m", "chfw_api.cli"]
            profile = os.environ.get("CHFW_DEMO_PROFILE")  # profiling: pyinstrument, docs/demo.md
            for name, args in (
                ("api", ["serve", "--host", host, "--port", str(port)]),
                ("worker", ["worker"]),
            ):
                command = [*cli, *args]
                if profile:
                    out = str(Path(profile).resolve() / f"{name}.txt")
                    command = [sys.executable, "-m", "pyinstrument", "-r", "text", "-o", out,
                               "-m", "chfw_api.cli", *args]  # fmt: skip
                with (logs / f"{name}.log").open("ab") as log:
                    services._procs.append(
                        subprocess.Popen(command, env=env, stdout=log, stderr=log, cwd=os.getcwd())
                    )
        else:
            _start_threads(services, Settings(**settings), host, port)
        _wait_ready(services)
    except BaseException:
        services.stop()
        raise
    return services


def _wait_ready(services: Services, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services.check_alive()
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{services.api_url}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the API did not become ready in {timeout:.0f}s; see {services.logs}")


def _start_threads(services: Services, settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from chfw_api.api.app import create_app
    from chfw_api.bootstrap import build
    from chfw_api.delivery.runner import serve_worker
    from chfw_api.worker_jobs import worker_jobs

    api_container = build(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(api_container),
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            proxy_headers=False,
        )
    )
    api = threading.Thread(target=server.run, name="demo-api", daemon=True)
    api.start()

    def stop_api() -> None:
        server.should_exit = True
        api.join(20)
        api_container.dispose()

    services._stops.append(stop_api)

    worker_container = build(settings)
    loop = asyncio.new_event_loop()
    main = loop.create_task(
        serve_worker(worker_container, jobs=worker_jobs(), handle_signals=False)
    )

    def run_worker() -> None:
        asyncio.set_event_loop(loop)
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(main)

    worker = threading.Thread(target=run_worker, name="demo-worker", daemon=True)
    worker.start()

    def stop_worker() -> None:
        loop.call_soon_threadsafe(main.cancel)
        worker.join(20)
        worker_container.dispose()

    services._stops.append(stop_worker)
