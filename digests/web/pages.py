"""Web pages from the same Jinja2 environment as the digests, and the links between them.

``PageRenderer`` is the digests' ``Renderer``: the same loader (the admin's template folder
first, then the bundled ``templates/``, where the web pages live under ``web/``), the same
autoescaping, filters and template-error messages. ``Site`` says how one page links to
another: under the public base path when served, or as relative file names in a static
export, so the same templates serve both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urlencode

from digests.model import Landscape
from digests.render import InlineImage, Renderer
from digests.web.evidencemap import FOLLOWUPS, SORTS, MapQuery
from digests.wording import MEDICAL_DISCLAIMER, NLM_DISCLAIMER, SECTION_TITLES
from watcher.vocabulary import DESIGN_LABELS, LEVELS, QUESTION_TITLES


@dataclass(frozen=True)
class Site:
    """Where pages are: ``prefix`` is the public base path ("/mildwatch") of the live app;
    ``static`` exports use relative file names, ``depth`` folders below the map."""

    prefix: str = ""
    static: bool = False
    depth: int = 0

    def below(self, depth: int) -> Site:
        return replace(self, depth=depth)

    def _root(self) -> str:
        return "../" * self.depth if self.static else self.prefix.rstrip("/") + "/"

    def map(self, query: MapQuery | None = None, **changes: object) -> str:
        if self.static:
            tab = changes.get("tab", query.tab if query else "studies")
            return self._root() + ("uncertain.html" if tab == "uncertain" else "index.html")
        params = (query or MapQuery()).params(**changes)
        return self._root() + (f"?{urlencode(params)}" if params else "")

    def article(self, pmid: str) -> str:
        name = quote(pmid, safe="")
        return f"{self._root()}articles/{name}" + (".html" if self.static else "")

    def subscriber(self, token: str) -> str:
        return f"{self._root()}subscriber/{quote(token, safe='')}"

    def unsubscribe(self, token: str) -> str:
        return f"{self._root()}unsubscribe/{quote(token, safe='')}"

    def asset(self, name: str) -> str:
        return f"{self._root()}static/{name}"

    def chart(self) -> str:
        return self._root() + ("static/timeline.png" if self.static else "chart.png")


class PageRenderer(Renderer):
    """The digests' renderer, with the web pages' shared words and choices as globals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env.globals.update(
            nlm_disclaimer=NLM_DISCLAIMER,
            medical_disclaimer=MEDICAL_DISCLAIMER,
            question_titles=QUESTION_TITLES,
            section_titles=SECTION_TITLES,
            design_labels=DESIGN_LABELS,
            levels=LEVELS,
            followups=FOLLOWUPS,
            sorts=SORTS,
        )

    def page(self, name: str, **context: Any) -> str:
        """Render ``web/{name}`` (a template error is a ConfigError naming file and line)."""
        return self._render(f"web/{name}", context)

    def landscape_context(self, landscape: Landscape) -> dict[str, Any]:
        """What the "where the evidence stands" partial needs: the landscape and its chart."""
        image: InlineImage | None = self.chart_for(landscape.timeline)
        return {"land": landscape, "chart": image}
