"""The per-bin error figure stays readable with many methods: distinct styles, panels, no clipping."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import dirkit.bench._plots as plots
from dirkit.labels import UniformBinner


@pytest.fixture
def drawn(monkeypatch):
    """Capture the figures instead of only writing them."""
    figures = []
    save = plots._save

    def keep(fig, path):
        figures.append(fig)
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", keep)
    return figures


def _curves(n: int) -> tuple[dict[str, np.ndarray], UniformBinner]:
    rng = np.random.default_rng(0)
    binner = UniformBinner(n_bins=30).fit(rng.gamma(2.0, 8.0, size=3000))
    names = ["vanilla", *(f"method-{i:02d}" for i in range(1, n))]
    return {name: rng.uniform(1, 5, size=30) for name in names}, binner


def _inside(fig, artist) -> bool:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    box, page = artist.get_window_extent(renderer), fig.bbox
    return box.x0 >= page.x0 - 1 and box.x1 <= page.x1 + 1 and box.y0 >= page.y0 - 1 and box.y1 <= page.y1 + 1


def test_few_methods_share_one_axes_with_distinct_colours_and_markers(drawn, tmp_path):
    curves, binner = _curves(plots.MAX_LINES_PER_AXES)
    plots.plot_per_bin_mae(curves, binner, path=tmp_path / "a.png", title="toy")
    (fig,) = drawn
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == list(curves)
    styles = {(str(line.get_color()), line.get_marker()) for line in lines}
    assert len(styles) == len(lines)
    assert len({line.get_marker() for line in lines}) == len(lines)
    assert all(_inside(fig, legend) for legend in [ax.get_legend(), *fig.legends])


def test_26_methods_get_one_panel_each_with_the_reference(drawn, tmp_path):
    curves, binner = _curves(26)
    path = plots.plot_per_bin_mae(curves, binner, path=tmp_path / "b.png", title="toy")
    assert path.stat().st_size > 0
    (fig,) = drawn
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == list(curves)
    assert all(len(ax.get_lines()) == 2 for ax in panels[1:])  # the method and the dashed reference
    assert panels[1].get_lines()[0].get_linestyle() == "--"
    assert all(_inside(fig, legend) for legend in fig.legends)
