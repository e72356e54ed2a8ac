"""The help search with and without the plugin on the help centre's labelled queries.

``pytest -s examples/supportdesk-semantic/tests/test_quality.py`` prints hit@3 and nDCG@10, and
hit@3 per kind, on ``queries.json`` and on each split of ``hard_queries.json`` (when it is
there): the help search as sellers get it, alone and blended with the plugin's neighbours. The
blend's formula and weight were chosen on the ``dev`` split; ``test`` is reported apart. The
test fails when the plugin makes a set worse.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from supportdesk.extensions import db
from supportdesk.plugins import plugin_host
from supportdesk_helpcenter import articles, files
from supportdesk_helpcenter.tests.quality import harness

QUALITY = Path(harness.__file__).parent
DEMO = QUALITY.parents[1] / "demo_articles"


def _sets() -> dict[str, list[dict]]:
    found = {"queries.json": json.loads((QUALITY / "queries.json").read_text(encoding="utf-8"))}
    hard = QUALITY / "hard_queries.json"
    if hard.exists():
        queries = json.loads(hard.read_text(encoding="utf-8"))
        for split in sorted({q.get("split", "all") for q in queries}):
            found[f"hard {split}"] = [q for q in queries if q.get("split", "all") == split]
    return found


def _table(name: str, alone: harness.Scores, blended: harness.Scores, count: int) -> list[str]:
    lines = [
        f"{name} ({count} queries)",
        f"  {'':<22}{'alone':>8}{'semantic':>10}",
        f"  {'hit@3':<22}{alone.hit3:>8.3f}{blended.hit3:>10.3f}",
        f"  {'nDCG@10':<22}{alone.ndcg10:>8.3f}{blended.ndcg10:>10.3f}",
    ]
    for kind, value in alone.by_kind.items():
        lines.append(f"  {'hit@3 ' + kind:<22}{value:>8.3f}{blended.by_kind[kind]:>10.3f}")
    return lines


def test_quality_with_and_without_the_plugin(semantic_app, capsys):
    app = semantic_app()
    with app.test_request_context():  # the help search makes its results' addresses
        started = time.monotonic()
        imported, errors = files.import_folder(DEMO, articles.save)
        seconds = time.monotonic() - started
        assert errors == []
        sets = _sets()
        blended = {name: harness.evaluate(harness.engine_ranking, qs) for name, qs in sets.items()}
        plugin_host().unregister("semantic")
        alone = {name: harness.evaluate(harness.engine_ranking, qs) for name, qs in sets.items()}
        backend = db.engine.dialect.name
    lines = [f"help search with and without semantic search ({backend})"]
    lines.append(f"{imported} articles imported and embedded in {seconds:.1f} s")
    for name, queries in sets.items():
        lines += _table(name, alone[name], blended[name], len(queries))
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    for name in sets:
        assert blended[name].hit3 >= alone[name].hit3, name
