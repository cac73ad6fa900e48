"""The table ``make bench`` prints (bench/bench.py): parts a and b from the results it writes, part c's rows from
bench/bets.py.
"""

from __future__ import annotations

from pathlib import Path

from . import bets


def cpu_text(run: dict) -> str:
    cpu = run.get("cpu_ms_per_delivery")
    if not cpu:
        return "n/a"
    return "  ".join(f"{k} {v}" for k, v in cpu.items())


def sandbox_ceiling(run: dict, cpus: int) -> str:
    """Deliveries/s this machine could sustain if the hub's worker cost nothing: all cores divided by the
    CPU everything but the worker spent per delivery (the sandbox, PostgreSQL for both databases, …)."""
    cpu = run.get("cpu_ms_per_delivery") or {}
    rest = cpu.get("machine_total", 0) - cpu.get("hub_worker", 0)
    if rest <= 0:
        return "n/a"
    return f"{cpus * 1000 / rest:.0f}/s ({rest:.2f} ms CPU per delivery outside the hub worker)"


def print_table(r: dict, path: Path) -> None:
    """The results ``r`` (written to ``path``) as one table."""
    rows: list[tuple[str, str]] = []
    if "drain_full" in r:
        cap, prof, full, null = (
            r["sandbox_win_capacity"],
            r["deliver_profile"],
            r["drain_full"],
            r["drain_null_partner"],
        )
        rows += [
            (f"(a) drain {full['wins']} pending wins", ""),
            (
                f"  sandbox alone, win hooks ({cap['clients']} clients)",
                f"{cap['wins_per_s']}/s  p50 {cap['latency_ms']['p50']} ms",
            ),
        ]
        for probe in r["drain_probes"]:
            rows.append(
                (
                    f"  probe {probe['wins']} wins, {probe['config']}",
                    f"{probe['deliveries_per_s']}/s steady ({probe['wall_deliveries_per_s']}/s wall)",
                )
            )
        rows += [
            (
                f"  FULL {full['wins']} wins, {full['config']}",
                f"{full['deliveries_per_s']}/s steady, {full['wall_deliveries_per_s']}/s wall "
                f"({full['delivered']} in {full['wall_s_incl_worker_start']} s"
                + ("" if full["drained"] else f", time-boxed; projected {full.get('projected_drain_s')} s for all")
                + f"; enqueue {full['enqueue_s']} s)",
            ),
            (
                f"  {null['wins']} wins, {null['config']}, null partner",
                f"{null['deliveries_per_s']}/s steady (hub engine alone)",
            ),
            ("  CPU ms per delivery (full run)", cpu_text(full)),
            ("  the sandbox side's ceiling on this machine", sandbox_ceiling(full, r["machine"]["cpus"])),
            ("  CPU ms per delivery (null partner)", cpu_text(null)),
            (
                f"  pump in-process, {prof['deliveries']} wins to the sandbox",
                f"{prof['per_s']}/s, {prof['queries_per_delivery']} queries and {prof['cpu_ms_per_delivery']} ms CPU"
                f" (this process) per delivery; {prof['fernet_decrypts']} Fernet decrypts",
            ),
            (
                "  in-process wall ms per call",
                "  ".join(f"{k} {v} (x{prof['calls'].get(k, 0)})" for k, v in prof["wall_ms_per_call"].items()),
            ),
        ]
    if "bet_latency" in r:
        lat, bp = r["bet_latency"], r["bet_profile"]
        rows += [
            ("(b) bet latency (sequential)", ""),
            (
                "  hub POST /bet",
                f"p50 {lat['hub_bet']['p50']} ms  p90 {lat['hub_bet']['p90']} ms  "
                f"p99 {lat['hub_bet']['p99']} ms  (n={lat['hub_bet']['n']})",
            ),
            (
                "  sandbox bet hook direct",
                f"p50 {lat['sandbox_bet_hook']['p50']} ms  p90 {lat['sandbox_bet_hook']['p90']} ms  "
                f"p99 {lat['sandbox_bet_hook']['p99']} ms",
            ),
            ("  added by the hub", f"p50 {lat['added_by_hub_ms']['p50']} ms  p99 {lat['added_by_hub_ms']['p99']} ms"),
            (
                "  one bet in-process",
                f"{bp['ms_per_bet']['total']} ms = db {bp['ms_per_bet']['db']} ({bp['queries_per_bet']} queries) + "
                f"http {bp['ms_per_bet']['http_to_sandbox']} + python {bp['ms_per_bet']['other_python']}",
            ),
        ]
        for c in r["concurrent_bets"]:
            rows.append(
                (
                    f"  {c['clients']} clients, {c['target']}",
                    f"{c['per_s']}/s  p50 {c['latency_ms']['p50']} ms  p99 {c['latency_ms']['p99']} ms"
                    + (f"  errors {c['errors']}" if c["errors"] else ""),
                )
            )
    if "bets_vs_limit" in r:
        rows += bets.table_rows(r["bets_vs_limit"])
    width = max((len(a) for a, _ in rows), default=10)
    print(
        f"bench results ({r['machine']['cpus']} CPUs, load avg {r['machine']['loadavg_at_start'][0]} → "
        f"{r['machine']['loadavg_at_end'][0]}, total {r['total_seconds']} s) → {path}"
    )
    m = r["machine"]
    probes = "  |  ".join(
        f"{when}: loop {p['python_loop_ms']} ms, SELECT 1 p50 {p['select1_p50_us']} µs (p99 {p['select1_p99_us']}), "
        f"commit p50 {p.get('commit_p50_us', '-')} µs"
        for when, p in (("start", m["host_probe_at_start"]), ("end", m["host_probe_at_end"]))
    )
    print(f"host: {probes}; CPU steal during the run {m['steal_percent']} %")
    for a, b in rows:
        print(f"{a:<{width}}  {b}")
