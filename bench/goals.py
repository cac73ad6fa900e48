"""The goals ``make bench`` reports: each goal printed next to its figure and the yardstick's.

A bench part returns ``Goal`` rows; ``bench.bench.main`` collects them, prints them with ``print_goals``
and writes them to var/bench-results.json under ``"goals"``. ``met`` is None when the part did not run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Goal:
    name: str  # "TraderHero bet, c=16 throughput"
    target: str  # "≥ 0.5× the limit server's"
    figure: str  # "0.62× (hub 770/s, limit 1,240/s)"
    met: bool | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def print_goals(goals: list[Goal]) -> None:
    if not goals:
        return
    width = max(len(g.name) for g in goals)
    twidth = max(len(g.target) for g in goals)
    print("\nGoals (docs/performance.md)")
    for g in goals:
        mark = "n/a " if g.met is None else ("MET " if g.met else "MISS")
        print(f"  {mark} {g.name:<{width}}  target {g.target:<{twidth}}  measured {g.figure}")
