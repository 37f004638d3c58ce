"""A sphinx-gallery image scraper for oneuron's figures.

``oneuron.plots`` builds figures without pyplot (so matplotlib's own scraper does not see them) and returns
animations as :class:`matplotlib.animation.Animation` objects. After each code block of an example this
scraper saves every new figure held by a variable of the example as a PNG and every new animation as a GIF.
"""

from __future__ import annotations

from pathlib import Path

from sphinx_gallery.scrapers import figure_rst

_seen: dict[str, dict[int, object]] = {}  # per example: the objects already shown (kept alive, so ids stay unique)


def _objects(value):
    if isinstance(value, (list, tuple)):
        yield from value
    elif isinstance(value, dict):
        yield from value.values()
    else:
        yield value


def oneuron_figures(block, block_vars, gallery_conf):
    from matplotlib.animation import Animation, PillowWriter
    from matplotlib.figure import Figure

    seen = _seen.setdefault(block_vars["src_file"], {})
    paths = []
    images = block_vars["image_path_iterator"]
    for name, value in list(block_vars["example_globals"].items()):
        if name.startswith("_"):
            continue
        for obj in _objects(value):
            if id(obj) in seen or not isinstance(obj, (Figure, Animation)):
                continue
            if isinstance(obj, Figure) and getattr(obj, "number", None) is not None:  # pyplot: matplotlib scrapes it
                continue
            seen[id(obj)] = obj
            path = Path(next(images))
            if isinstance(obj, Animation):
                path = path.with_suffix(".gif")
                fig = obj._fig
                seen[id(fig)] = fig
                fps = max(1, round(1000 / getattr(obj, "_interval", 200)))
                obj.save(str(path), writer=PillowWriter(fps=fps), dpi=fig.dpi)
            else:
                obj.savefig(str(path), dpi=max(obj.dpi, 100))
            paths.append(str(path))
    return figure_rst(paths, gallery_conf["src_dir"])


def _get_sg_image_scraper():
    """How sphinx-gallery finds this scraper when ``image_scrapers`` names this module."""
    return oneuron_figures
