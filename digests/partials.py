"""Partials rendered once and reused: one item or one landscape reads the same in every digest.

A digest template calls ``{{ partial("_item.html.j2", item=item, section=section) }}`` where it
would ``{% include %}`` the file; the output is the same. A :class:`Partials` (one per
``Renderer``, so one per compose run) looks at what the partial reads from outside itself, with
Jinja2's own parser (``jinja2.meta``, the files it includes too): if that is only the values
passed in, ``view.landscape``/``view.kind``, the chart and its table, the output depends on
those alone, and it is rendered once per distinct set of them and reused for every other
subscriber. An item is then rendered once per run, not once per reader, and a landscape once
per previous summary. A partial reading anything else (an admin's override using
``recipient``, say) is rendered each time, with the whole context, as an include would be.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jinja2
from jinja2 import meta, nodes
from markupsafe import Markup

# What a shared partial may read, and which part of it decides the output: an object by
# identity (the run's items, landscape and chart are shared objects), a plain value by value.
# ``section`` and ``view`` only through the attributes named (a section's title and note
# follow from its key; a landscape partial reads only these two of the view).
_BY_ATTRIBUTE = {
    "section": frozenset({"key", "title", "note"}),
    "view": frozenset({"landscape", "kind"}),
}


class Partials:
    """Render partials through ``env``, each distinct one once (see the module's note)."""

    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env
        self._reads: dict[str, dict[str, frozenset[str] | None] | None] = {}
        self._rendered: dict[tuple[Any, ...], tuple[list[Any], str]] = {}

    def render(self, context: jinja2.runtime.Context, name: str, values: dict[str, Any]) -> str:
        key_parts = self._key(name, context, values)
        if key_parts is None:
            return self.env.get_template(name).render({**context.get_all(), **values})
        keep, key = key_parts
        found = self._rendered.get(key)
        if found is not None and all(a is b for a, b in zip(found[0], keep, strict=True)):
            return found[1]
        text = self.env.get_template(name).render({**context.get_all(), **values})
        self._rendered[key] = (keep, text)
        return text

    def _key(
        self, name: str, context: jinja2.runtime.Context, values: dict[str, Any]
    ) -> tuple[list[Any], tuple[Any, ...]] | None:
        """What decides the partial's output (objects kept alive so their ids stay theirs), or
        None when it reads something a shared rendering could get wrong."""
        reads = self.reads(name)
        if reads is None:
            return None
        keep: list[Any] = []
        key: list[Any] = [name]
        for variable, attributes in sorted(reads.items()):
            if variable in values:
                value = values[variable]
            elif variable in ("view", "chart", "timeline_table") and variable in context:
                value = context[variable]
            elif variable in self.env.globals:
                continue
            else:
                return None
            if variable in _BY_ATTRIBUTE:
                if attributes is None or not attributes <= _BY_ATTRIBUTE[variable]:
                    return None
                if variable == "section":
                    key.append(("section", value.key))
                    continue
                value = (value.landscape, value.kind)
                keep.append(value[0])
                key.append(("view", id(value[0]), value[1]))
                continue
            if isinstance(value, str | int | float | bool) or value is None:
                key.append((variable, value))
            else:
                keep.append(value)
                key.append((variable, id(value)))
        return keep, tuple(key)

    def reads(self, name: str) -> dict[str, frozenset[str] | None] | None:
        """The outside names ``name`` (and what it includes) reads, each with the attributes
        read from it (None: used whole); None when that cannot be told (a dynamic include)."""
        if name not in self._reads:
            self._reads[name] = self._find_reads(name, set())
        return self._reads[name]

    def _find_reads(self, name: str, seen: set[str]) -> dict[str, frozenset[str] | None] | None:
        seen.add(name)
        source, _, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        ast = self.env.parse(source)
        # What it sets itself ({% set land = view.landscape %}) is its own, and an included
        # file reads it from there.
        own = {n.name for n in ast.find_all(nodes.Name) if n.ctx == "store"}
        reads: dict[str, frozenset[str] | None] = {}
        for variable in meta.find_undeclared_variables(ast) - own:
            reads[variable] = _attributes(ast, variable)
        for child in meta.find_referenced_templates(ast):
            if child is None:
                return None
            if child in seen:
                continue
            inner = self._find_reads(child, seen)
            if inner is None:
                return None
            for variable, attributes in inner.items():
                if variable in own:
                    continue
                mine = reads.get(variable, frozenset())
                reads[variable] = None if mine is None or attributes is None else mine | attributes
        return reads


def _attributes(ast: nodes.Template, variable: str) -> frozenset[str] | None:
    """The attributes read from ``variable`` (``section.key``); None if it is used whole."""
    found: set[str] = set()
    for node, parent in _walk(ast, None):
        if isinstance(node, nodes.Name) and node.name == variable and node.ctx == "load":
            if not isinstance(parent, nodes.Getattr):
                return None
            found.add(parent.attr)
    return frozenset(found)


def _walk(node: nodes.Node, parent: nodes.Node | None) -> Iterator[tuple[nodes.Node, Any]]:
    yield node, parent
    for child in node.iter_child_nodes():
        yield from _walk(child, node)


def install(env: jinja2.Environment) -> Partials:
    """Give ``env``'s templates the ``partial`` function; the Partials behind it."""
    partials = Partials(env)

    @jinja2.pass_context
    def partial(context: jinja2.runtime.Context, name: str, **values: Any) -> Any:
        text = partials.render(context, name, values)
        return Markup(text) if context.eval_ctx.autoescape else text

    env.globals["partial"] = partial
    return partials
