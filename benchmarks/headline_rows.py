"""The headline rows of a benchmark folder: vanilla, the best baseline, and the group methods.

"Best baseline" is the method with the lowest mean test MAE over all test samples, among the
methods that are neither vanilla nor one of the group soft-label methods. Every number is read from
the runner's ``results.json`` (mean ± std over seeds, test split). Usage::

    .venv/bin/python benchmarks/headline_rows.py docs/results/sts-b-dir -o docs/results/sts-b-dir/headline.md
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dirkit.bench import load_records
from dirkit.bench._aggregate import aggregate, datasets_of
from dirkit.bench._format import decimals_for, format_cell

GROUP_METHODS = ("group-dir", "group-sym", "group-asym", "group-robust")
SHOTS = (("all", "All"), ("many", "Many"), ("medium", "Med."), ("few", "Few"))
#: Zero-shot MAE columns, shown where a run of the data set has a value in them.
ZERO_SHOTS = (("zero_interp", "Zero int."), ("zero_extrap", "Zero ext."))
METRICS = (("mae", "MAE"), ("gm", "GM"), ("mse", "MSE"), ("pearson", "Pearson"))


def _group_order(method: str) -> tuple[int, str]:
    return GROUP_METHODS.index(method.split("+")[0]), method


def headline_methods(
    methods: Sequence[str], summaries: Mapping[str, Mapping[str, Any]]
) -> list[tuple[str, str]]:
    """``(method, role)`` rows: vanilla, the best baseline by All MAE, then the group methods run.

    Examples
    --------
    >>> from dirkit.bench._aggregate import Summary
    >>> def mae(v): return {"metrics": {"all": {"mae": Summary(v, 0.0, 3)}}}
    >>> headline_methods(["vanilla", "lds", "focal-r", "group-sym"],
    ...                  {"vanilla": mae(3.0), "lds": mae(2.5), "focal-r": mae(2.7), "group-sym": mae(2.0)})
    [('vanilla', ''), ('lds', 'best baseline'), ('group-sym', '')]
    """
    def is_group(method: str) -> bool:
        return method.split("+")[0] in GROUP_METHODS

    baselines = [m for m in methods if m != "vanilla" and not is_group(m)]
    rows = [("vanilla", "")] if "vanilla" in methods else []
    if baselines:
        best = min(baselines, key=lambda m: summaries[m]["metrics"]["all"]["mae"].mean)
        rows.append((best, "best baseline"))
    rows.extend((m, "") for m in sorted(filter(is_group, methods), key=_group_order))
    return rows


def render(records: Sequence[Mapping[str, Any]]) -> str:
    """One Markdown table per data set: the headline methods, MAE and GM per shot, MSE and Pearson (All)."""
    summaries = aggregate(records)
    parts = [
        "# Headline rows",
        "Written by `benchmarks/headline_rows.py` from `results.json`. Test split, mean ± std over "
        "seeds. The best baseline has the lowest All MAE among the methods other than vanilla and "
        "the group methods.",
    ]
    for dataset in datasets_of(records):
        own = {m: s for (d, m), s in summaries.items() if d == dataset}
        rows = headline_methods(list(own), own)
        zero = [(shot, label) for shot, label in ZERO_SHOTS
                if any(getattr(own[m]["metrics"].get(shot, {}).get("mae"), "n", 0) > 0 for m, _ in rows)]
        columns = [(shot, "mae") for shot, _ in (*SHOTS, *zero)] + [(shot, "gm") for shot, _ in SHOTS]
        columns += [("all", "mse"), ("all", "pearson")]
        header = ["Method", *(f"MAE {label}" for _, label in (*SHOTS, *zero)),
                  *(f"GM {label}" for _, label in SHOTS), "MSE All", "Pearson All"]
        lines = [f"## {dataset}", "", "| " + " | ".join(header) + " |",
                 "|:--|" + "--:|" * (len(header) - 1)]
        for method, role in rows:
            cells = []
            for shot, metric in columns:
                summary = own[method]["metrics"].get(shot, {}).get(metric)
                values = [own[m]["metrics"].get(shot, {}).get(metric) for m, _ in rows]
                decimals = decimals_for(v.mean for v in values if v is not None)
                cells.append(format_cell(summary, decimals) if summary is not None else "–")
            name = f"{method} ({role})" if role else method
            lines.append("| " + " | ".join([name, *cells]) + " |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a runner output folder (with results.json)")
    parser.add_argument("-o", "--out", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    records = load_records(args.folder)
    if not records:
        parser.error(f"no records in {args.folder}")
    text = render(records)
    print(text, end="")
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
