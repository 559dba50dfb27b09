"""Render tallies as the suite's plain-text table (and failure examples), or as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from comfyreel.reliability.harness import Tally

COLUMNS = ("scenario", "runs", "passed", "lost", "hung", "metric", "value", "target met", "s")


def _value(tally: Tally) -> str:
    value = f"{tally.value:g}"
    return f"{value} (<= {tally.limit:g})" if tally.limit else value


def rows(tallies: Sequence[Tally]) -> list[tuple[str, ...]]:
    return [
        (
            t.name,
            str(t.runs),
            f"{t.passed} ({100 * t.passed / t.runs:.0f}%)" if t.runs else "0",
            str(t.lost),
            str(t.hung),
            t.metric,
            _value(t),
            "yes" if t.ok else "NO",
            f"{t.seconds:.1f}",
        )
        for t in tallies
    ]


def render(tallies: Sequence[Tally]) -> str:
    """A fixed-width table, a total line, then up to five failure examples per missed scenario."""
    body = rows(tallies)
    widths = [max(len(c), *(len(r[i]) for r in body)) if body else len(c) for i, c in enumerate(COLUMNS)]
    numeric = {1, 2, 3, 4, 8}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [line(COLUMNS), line(["-" * w for w in widths]), *(line(r) for r in body)]
    missed = [t for t in tallies if not t.ok]
    total = sum(t.seconds for t in tallies)
    out.append(
        f"\n{len(tallies) - len(missed)}/{len(tallies)} scenarios met their target "
        f"({sum(t.runs for t in tallies)} runs, {total:.1f} s)"
    )
    for t in missed:
        out.append(f"\n{t.name}: target {t.target}")
        out.extend(f"  - {text}" for text in t.failures)
    return "\n".join(out)


def to_json(tallies: Sequence[Tally], *, seed: int) -> str:
    return json.dumps(
        {"ok": all(t.ok for t in tallies), "seed": seed, "scenarios": [t.to_dict() for t in tallies]},
        indent=2,
    )
