"""benchmarks/render_docs.py assembles the benchmark page from the runner's files."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "render_docs.py"
spec = importlib.util.spec_from_file_location("render_docs", SCRIPT)
assert spec is not None and spec.loader is not None
render_docs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(render_docs)


def test_page_nests_each_folder_and_lists_what_is_missing(tmp_path):
    folder = tmp_path / "sts-b-dir"
    (folder / "plots").mkdir(parents=True)
    (folder / "results.md").write_text("# dirkit benchmark\n\n| a |\n## sts-b-dir\n")
    (folder / "published.md").write_text("# Published\n")
    (folder / "plots" / "x.png").write_bytes(b"png")
    page = render_docs.render(tmp_path, page_dir=tmp_path)
    assert "## STS-B-DIR" in page and "### dirkit benchmark" in page and "#### sts-b-dir" in page
    assert page.index("### dirkit benchmark") < page.index("### Published")
    assert "## Not run yet" in page and "- UTKFace-DIR (age from faces)" in page
    assert "![x](sts-b-dir/plots/x.png)" in page


def test_demote_caps_at_six_levels():
    assert render_docs.demote("###### deep", 2) == "###### deep"
