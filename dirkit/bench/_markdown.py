"""``results.md``: the DIR papers' tables, mean ± std over seeds, best per column in bold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dirkit.bench._aggregate import (
    HIGHER_IS_BETTER,
    Summary,
    aggregate,
    datasets_of,
    methods_of,
    shot_columns,
)
from dirkit.bench._density import DENSITY_COLUMNS
from dirkit.bench._format import (
    METRIC_TITLES,
    best_cells,
    decimals_for,
    format_cell,
    provenance_lines,
)

__all__ = ["TABLE_METRICS", "render_markdown"]

#: Metrics given a table each, in order: the AgeDB/IMDB-WIKI tables (MAE, GM) and the STS-B
#: tables (MSE, Pearson).
TABLE_METRICS = ("mae", "mse", "gm", "pearson")

_EMPTY = Summary(float("nan"), float("nan"), 0)

_NOTES = (
    "Test split; the checkpoint of each run is selected on the validation split. "
    "Cells are mean ± standard deviation (ddof=1) over seeds; n is the number of seeds. "
    "**Bold**: best in its column (lowest error, highest correlation). "
    "–: no value (no test sample in that shot region, or an undefined correlation). "
    "Few excludes zero-shot bins (bins without training samples), which have their own column "
    "where the test split has any; published tables count them as few-shot."
)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], n_values: int) -> list[str]:
    """A Markdown table: method name left, seed count right, ``n_values`` centred columns."""
    aligns = [":--", "--:", *[":-:"] * n_values]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _metric_table(
    metric: str,
    methods: Sequence[str],
    summaries: Mapping[str, Mapping[str, Any]],
    shots: Sequence[tuple[str, str]],
) -> list[str]:
    cells: dict[str, list[Summary]] = {
        shot: [summaries[m]["metrics"].get(shot, {}).get(metric, _EMPTY) for m in methods]
        for shot, _ in shots
    }
    columns: dict[str, list[str]] = {}
    for shot, column in cells.items():
        decimals = decimals_for(s.mean for s in column if s.n > 0)
        best = best_cells(column, metric, decimals)
        formatted = [format_cell(s, decimals) for s in column]
        columns[shot] = [f"**{text}**" if i in best else text for i, text in enumerate(formatted)]
    rows = [
        [method, str(len(summaries[method]["seeds"]))] + [columns[shot][i] for shot, _ in shots]
        for i, method in enumerate(methods)
    ]
    header = ["Method", "n"] + [title for _, title in shots]
    return [f"### {METRIC_TITLES.get(metric, metric)}", "", *_table(header, rows, len(shots))]


def _diagnostics_table(methods: Sequence[str], summaries: Mapping[str, Mapping[str, Any]]) -> list[str]:
    names = list(dict.fromkeys(k for m in methods for k in summaries[m]["diagnostics"]))
    if not names:
        return []
    shown = [m for m in methods if summaries[m]["diagnostics"]]
    columns = []
    for name in names:
        column = [summaries[m]["diagnostics"].get(name, _EMPTY) for m in shown]
        decimals = decimals_for(s.mean for s in column if s.n > 0)
        best = best_cells(column, name, decimals) if _direction_known(name) else set()
        columns.append(
            [
                f"**{format_cell(s, decimals)}**" if i in best else format_cell(s, decimals)
                for i, s in enumerate(column)
            ]
        )
    rows = [[m, str(len(summaries[m]["seeds"]))] + [c[i] for c in columns] for i, m in enumerate(shown)]
    header = ["Method", "n"] + [n.replace("_", " ") for n in names]
    return ["### Diagnostics", "", *_table(header, rows, len(names))]


_DENSITY_NOTE = (
    "Pearson correlation, over the test bins, of each bin's test MAE with the training label "
    "density: the empirical histogram and the LDS-smoothed one (gaussian kernel, ks=5, sigma=2), "
    "computed from the saved predictions (Yang et al. 2021, Fig. 3: -0.47 and -0.83 on "
    "IMDB-WIKI-DIR). More negative: the density explains more of the error."
)

Correlations = Mapping[tuple[str, str], Mapping[str, Summary]]


def _density_table(dataset: str, methods: Sequence[str], density: Correlations) -> list[str]:
    shown = [m for m in methods if (dataset, m) in density]
    if not shown:
        return []
    rows = []
    for method in shown:
        cells = [density[(dataset, method)].get(name, _EMPTY) for name, _ in DENSITY_COLUMNS]
        n = max(cell.n for cell in cells)
        rows.append([method, str(n)] + [format_cell(cell, 2) for cell in cells])
    header = ["Method", "n"] + [title for _, title in DENSITY_COLUMNS]
    return ["### Error vs label density", "", _DENSITY_NOTE, "", *_table(header, rows, len(DENSITY_COLUMNS))]


def _direction_known(name: str) -> bool:
    """Whether lower or higher is better is known for a diagnostic (others are not bolded)."""
    return name in HIGHER_IS_BETTER or name.endswith(("mae", "mse", "rmse", "error", "distance"))


def render_markdown(
    records: Sequence[Mapping[str, Any]],
    *,
    title: str = "dirkit benchmark",
    density: Correlations | None = None,
) -> str:
    """Render benchmark records as Markdown tables in the layout of the DIR papers.

    For each data set: one table per metric of :data:`TABLE_METRICS` (rows are methods, columns
    All / Many / Medium / Few and Zero where the test split has zero-shot bins), then a table of
    the scalar diagnostics (group accuracy, ...) if any method reports them, then the
    error-density correlations of ``density`` if given. A header states the commit, machine,
    training settings, command and total wall time.

    Parameters
    ----------
    records : sequence of dict
        Records as stored in ``results.json`` (see :func:`~dirkit.bench.run_benchmark`).
    title : str
        First-level heading.
    density : mapping, optional
        ``{(dataset, method): {"empirical": Summary, "effective": Summary}}`` from
        :func:`~dirkit.bench._density.density_correlations`; one table per data set.

    Returns
    -------
    str

    Examples
    --------
    >>> records = [
    ...     {"dataset": "d", "method": m, "seed": s, "duration_s": 2.0,
    ...      "metrics": {"test": {"all": {"mae": v + s}}}}
    ...     for m, v in [("vanilla", 3.0), ("lds", 2.0)] for s in (0, 1)]
    >>> print(render_markdown(records).split("### MAE ↓")[1].split("###")[0].strip())
    | Method | n | All | Many | Medium | Few |
    |:--|--:|:-:|:-:|:-:|:-:|
    | vanilla | 2 | 3.50 ± 0.71 | – | – | – |
    | lds | 2 | **2.50 ± 0.71** | – | – | – |
    """
    lines = [f"# {title}", ""]
    if not records:
        return "\n".join([*lines, "No records.", ""])
    lines += [f"- {line}" for line in provenance_lines(records)] + ["", _NOTES, ""]
    summaries = aggregate(records)
    for dataset in datasets_of(records):
        methods = methods_of(records, dataset)
        own = {m: summaries[(dataset, m)] for m in methods}
        seeds = sorted({s for m in methods for s in own[m]["seeds"]})
        lines += [f"## {dataset}", "", f"Seeds: {', '.join(map(str, seeds))}.", ""]
        shots = shot_columns(own.values())
        for metric in TABLE_METRICS:
            lines += [*_metric_table(metric, methods, own, shots), ""]
        diagnostics = _diagnostics_table(methods, own)
        lines += [*diagnostics, ""] if diagnostics else []
        correlations = _density_table(dataset, methods, density or {})
        lines += [*correlations, ""] if correlations else []
    return "\n".join(lines)
