"""Entry point of `chfw demo`: run, summarise, report; exit 1 if an invariant failed."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from chfw_api.demo.processes import Mode


def main(
    *,
    hubs: int,
    database_url: str | None,
    seed: int,
    out: Path,
    mode: str,
    host: str = "127.0.0.1",
    port: int = 0,
) -> int:
    from chfw_api.demo.api import DemoError
    from chfw_api.demo.checks import failed as failed_checks
    from chfw_api.demo.report import write_report
    from chfw_api.demo.run import Options, run_demo
    from chfw_api.demo.summary import print_summary

    if mode not in ("subprocess", "thread"):
        raise SystemExit(f"--mode is subprocess or thread, not {mode!r}")
    chosen: Mode = "subprocess" if mode == "subprocess" else "thread"
    console = Console(stderr=True)
    options = Options(
        hubs=hubs, database_url=database_url, seed=seed, out=out, mode=chosen, host=host, port=port
    )
    try:
        result = run_demo(options, console)
    except DemoError as exc:
        console.print(f"[red]demo stopped:[/red] {exc}")
        return 2
    result.report = write_report(result, out / "report.html")
    print_summary(result, Console())
    failed = failed_checks(result.checks)
    console.print(f"report: {result.report}")
    if failed:
        console.print(f"[red]invariants failed: {', '.join(failed)}[/red]")
        return 1
    return 0
