"""Precision and recall of identifier extraction on the labelled narratives (pure).

The labelled set is palermo/intake/tests/data/narratives.jsonl, written by the generator beside
it. A found identifier counts as correct when a gold one of the same kind has the same
normalised value and an overlapping span. `palermo intake extraction-report` prints the table;
the quality test asserts the floors.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .identifiers import KINDS, extract

LABELLED_SET = Path(__file__).resolve().parent / "tests" / "data" / "narratives.jsonl"


@dataclass(frozen=True)
class Score:
    kind: str
    gold: int
    found: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 1.0


def load_labelled(path: Path = LABELLED_SET) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def evaluate(rows: Iterable[dict[str, Any]]) -> tuple[dict[str, Score], list[str]]:
    """Scores per kind, and a line per mistake (for reading, not for the test)."""
    gold_count: Counter[str] = Counter()
    found_count: Counter[str] = Counter()
    correct_count: Counter[str] = Counter()
    mistakes: list[str] = []
    for row in rows:
        text = row["text"]
        gold = [dict(g) for g in row["entities"]]
        found = extract(text, region=row["region"])
        matched: set[int] = set()
        for item in found:
            found_count[item.kind] += 1
            hit = next(
                (
                    i
                    for i, g in enumerate(gold)
                    if i not in matched
                    and g["kind"] == item.kind
                    and g["value"] == item.value
                    and g["start"] < item.end
                    and item.start < g["end"]
                ),
                None,
            )
            if hit is None:
                mistakes.append(f"{row['id']} extra {item.kind} {item.text!r} → {item.value}")
            else:
                matched.add(hit)
                correct_count[item.kind] += 1
        for i, g in enumerate(gold):
            gold_count[g["kind"]] += 1
            if i not in matched:
                shown = text[g["start"] : g["end"]]
                mistakes.append(f"{row['id']} missed {g['kind']} {shown!r} → {g['value']}")
    scores = {
        kind: Score(kind, gold_count[kind], found_count[kind], correct_count[kind])
        for kind in KINDS
    }
    return scores, mistakes


def format_table(scores: dict[str, Score], narratives: int) -> str:
    lines = [
        f"Identifier extraction on {narratives} labelled narratives",
        f"{'kind':<8} {'gold':>5} {'found':>6} {'correct':>8} {'precision':>10} {'recall':>7}",
    ]
    for score in scores.values():
        lines.append(
            f"{score.kind:<8} {score.gold:>5} {score.found:>6} {score.correct:>8} "
            f"{score.precision:>10.3f} {score.recall:>7.3f}"
        )
    return "\n".join(lines)
