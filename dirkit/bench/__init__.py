"""The DIR benchmark: a resumable (dataset x method x seed) runner, tables and plots.

``run_benchmark`` runs what ``out_dir/results.json`` lacks and saves each record atomically;
``write_report`` renders ``results.md`` (the papers' tables, mean ± std over seeds) and the
plots; ``render_summary`` and ``format_shot_table`` print plain-text tables.
"""

from dirkit.bench._aggregate import HIGHER_IS_BETTER, SHOT_COLUMNS, Summary, aggregate
from dirkit.bench._confusion import plot_group_confusion
from dirkit.bench._markdown import TABLE_METRICS, render_markdown
from dirkit.bench._plots import plot_label_histogram, plot_per_bin_mae
from dirkit.bench._provenance import git_commit, machine_info
from dirkit.bench._record import make_record
from dirkit.bench._report import MARKDOWN_FILE, ReportFiles, write_report
from dirkit.bench._runner import BenchmarkRun, RunFn, load_dataset, model_path, run_benchmark
from dirkit.bench._store import RESULTS_FILE, load_records, log_path, predictions_path, save_records
from dirkit.bench._text import format_shot_table, render_summary

__all__ = [
    "HIGHER_IS_BETTER",
    "MARKDOWN_FILE",
    "RESULTS_FILE",
    "SHOT_COLUMNS",
    "TABLE_METRICS",
    "BenchmarkRun",
    "ReportFiles",
    "RunFn",
    "Summary",
    "aggregate",
    "format_shot_table",
    "git_commit",
    "load_dataset",
    "load_records",
    "log_path",
    "machine_info",
    "make_record",
    "model_path",
    "plot_group_confusion",
    "plot_label_histogram",
    "plot_per_bin_mae",
    "predictions_path",
    "render_markdown",
    "render_summary",
    "run_benchmark",
    "save_records",
    "write_report",
]
