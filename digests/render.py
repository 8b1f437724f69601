"""A ``DigestView`` as a mail: Jinja2 HTML + plain text, the timeline chart inline, headers.

Templates are looked up first in the admin's override folder, then in the bundled ones: the
repository's top-level ``templates/`` in a source or editable checkout, ``digests/templates/``
inside a built wheel (pyproject force-includes it there). HTML templates are autoescaped: titles,
journals and snippets come from PubMed and are untrusted. Titles are inline-markup fragments;
they are re-sanitised here to ``<i> <b> <u> <sup> <sub>`` rather than trusted as given.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import logging
import re
import textwrap
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from digests import chart
from digests.mime import BUILD_POLICY, MessageEncoder, boundary_stem, placeholder
from digests.model import DigestView, Landscape, TimelineYear
from digests.partials import install as install_partials
from digests.studymodel import StudyTrack
from digests.wording import (
    MEDICAL_DISCLAIMER,
    NLM_DISCLAIMER,
    SECTION_TITLES,
    TEXT_WIDTH,
    clip,
    design_label,
    format_months,
    level_label,
    plural,
    question_short,
    question_title,
)
from watcher.errors import ConfigError
from watcher.markup import fragment_text, safe_fragment
from watcher.vocabulary import DESIGN_LABELS

log = logging.getLogger(__name__)

HTML_TEMPLATE = "digest.html.j2"
TEXT_TEMPLATE = "digest.txt.j2"
SUBJECT_TEMPLATE = "subject.txt.j2"
URL_SCHEMES = ("https", "http", "mailto")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class InlineImage:
    """An image carried in the HTML part's multipart/related and referenced as ``cid:``."""

    cid: str  # without angle brackets: the HTML says src="cid:{{ cid }}"
    data: bytes
    subtype: str  # image/<subtype>
    filename: str
    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    text: str
    html: str
    images: tuple[InlineImage, ...] = ()


# --- templates -----------------------------------------------------------------------------


def bundled_templates_dir() -> Path:
    """Where the shipped templates are: inside the package (wheel) or at the repo top level."""
    packaged = Path(__file__).resolve().parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "templates"


def make_loader(templates_dir: Path | None = None) -> jinja2.BaseLoader:
    """The admin's folder first (a same-named file wins), then the bundled templates."""
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir is not None:
        if not Path(templates_dir).is_dir():
            raise ConfigError(
                f"template folder {templates_dir} does not exist; create it or remove the "
                "templates_dir setting to use the bundled templates"
            )
        loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    loaders.append(jinja2.FileSystemLoader(str(bundled_templates_dir())))
    return jinja2.ChoiceLoader(loaders)


def make_environment(templates_dir: Path | None = None) -> jinja2.Environment:
    """A fresh environment: autoescape for HTML, none for text, undefined names fail loudly."""
    env = jinja2.Environment(
        loader=make_loader(templates_dir),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "html.j2", "htm"),
            disabled_extensions=("txt", "txt.j2"),
            default_for_string=True,
            default=True,
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    install_partials(env)  # {{ partial("_item.html.j2", ...) }}: each item rendered once a run
    env.filters.update(
        inline=sanitize_inline,
        plain=inline_text,
        months=format_months,
        plural=plural,
        clip=clip,
        fill=fill,
        safe_url=safe_url,
        design_label=design_label,
        level_label=level_label,
        question_title=question_title,
        question_short=question_short,
        number=format_number,
        cite=cite,
    )
    return env


# --- text helpers used as filters ----------------------------------------------------------


def sanitize_inline(fragment: str) -> Markup:
    """A title fragment made safe for HTML: only bare allow-listed inline tags survive; other
    tags are shown as text, since the caller is not trusted to have sanitised it."""
    return Markup(safe_fragment(fragment, unknown_tags="show"))


def inline_text(fragment: str) -> str:
    """A title fragment as plain text: tags as the ``inline`` filter shows them, entities
    decoded ("&" stays "&")."""
    return fragment_text(fragment, unknown_tags="show")


def fill(text: str, width: int = TEXT_WIDTH, indent: str = "", first: str | None = None) -> str:
    """Wrap plain text for the text part without breaking URLs or hyphenated words."""
    return textwrap.fill(
        " ".join(str(text).split()),
        width=width,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def format_number(value: int | float) -> str:
    """Thousands separated, as papers print them: 1013 → "1,013"."""
    return f"{value:,}"


def cite(parts: list[object]) -> str:
    """Join citation parts as "Deer TR et al. Pain Physician. 2024." (empty parts skipped)."""
    words = [str(p).strip().rstrip(".") for p in parts if p not in (None, "")]
    return ". ".join(w for w in words if w) + ("." if words else "")


def safe_url(url: str | None) -> str:
    """The URL if it is http(s) or mailto, else "" (a link from config must not run script)."""
    if not url:
        return ""
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in URL_SCHEMES else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"


# --- rendering ------------------------------------------------------------------------------


class Renderer:
    """Renders digests with one template environment (and one chart per distinct timeline).

    Build one per run: templates are compiled once, and the chart, the same for every
    subscriber of a run, is drawn once.
    """

    def __init__(self, templates_dir: Path | None = None) -> None:
        self.templates_dir = templates_dir
        self.env = make_environment(templates_dir)
        self.bodies = MessageEncoder()  # what the run's messages share: worked out once
        self._charts: dict[tuple[object, ...], InlineImage | None] = {}
        self._drawn: dict[int, tuple[Landscape, InlineImage | None, str]] = {}

    def chart_for(
        self, timeline: tuple[TimelineYear, ...], tracks: tuple[StudyTrack, ...] = ()
    ) -> InlineImage | None:
        if (timeline, tracks) not in self._charts:
            self._charts[(timeline, tracks)] = _chart_image(timeline, tracks)
        return self._charts[(timeline, tracks)]

    def drawn(self, landscape: Landscape) -> tuple[InlineImage | None, str]:
        """The chart of ``landscape`` and its text table, made once per landscape object: the
        digests of a run share a few (comparing them by value costs as much as the corpus)."""
        found = self._drawn.get(id(landscape))
        if found is None or found[0] is not landscape:  # the landscape is kept: its id stays
            image = self.chart_for(landscape.timeline, landscape.tracks)
            table = chart.timeline_table(landscape.timeline, landscape.tracks_listed)
            found = self._drawn[id(landscape)] = (landscape, image, table)
        return found[1], found[2]

    def render(self, view: DigestView) -> RenderedDigest:
        image, table = self.drawn(view.landscape) if view.landscape else (None, "")
        context: dict[str, Any] = {
            "view": view,
            "recipient": view.recipient,
            "synthetic": view.is_synthetic,
            "chart": image,
            "timeline_table": table,
            "unsubscribe_url": safe_url(view.unsubscribe),
            "preferences_url": safe_url(view.preferences),
            "overflow_url": safe_url(view.overflow_url),
            "evidence_url": safe_url(view.evidence_url),
            "nlm_disclaimer": NLM_DISCLAIMER,
            "medical_disclaimer": MEDICAL_DISCLAIMER,
            "question_titles": SECTION_TITLES,
            "design_labels": DESIGN_LABELS,
        }
        subject = _one_line(self._render(SUBJECT_TEMPLATE, context))
        context["subject"] = subject
        text = _tidy_text(self._render(TEXT_TEMPLATE, context))
        body = self._render(HTML_TEMPLATE, context)
        images = (image,) if image is not None and f"cid:{image.cid}" in body else ()
        return RenderedDigest(subject=subject, text=text, html=body, images=images)

    def _render(self, name: str, context: dict[str, Any]) -> str:
        """Render one template; a mistake in a (possibly overridden) template is a ConfigError."""
        try:
            return self.env.get_template(name).render(context)
        except jinja2.TemplateNotFound as error:
            folders = [str(f) for f in (self.templates_dir, bundled_templates_dir()) if f]
            raise ConfigError(
                f"template {error.name} not found in {' or '.join(folders)}; restore the file "
                "or reinstall mildwatch"
            ) from error
        except jinja2.TemplateSyntaxError as error:
            raise ConfigError(
                f"template {error.filename or error.name}, line {error.lineno}: {error.message}; "
                "fix the template (see templates/README.md)"
            ) from error
        except jinja2.TemplateError as error:
            where = _template_frame(error) or name
            raise ConfigError(
                f"template {where}: {error.message}; templates/README.md lists the variables "
                "and filters a template can use"
            ) from error
        except (TypeError, ValueError, ArithmeticError, LookupError) as error:
            where = _template_frame(error)
            if where is None:
                raise
            raise ConfigError(f"template {where}: {error}; fix the template") from error


def _template_frame(error: BaseException) -> str | None:
    """Where in a template an error arose: "file.j2, line N" of the innermost template frame.

    Jinja2 rewrites tracebacks so that template frames carry the template's file and line.
    """
    found = None
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = f"{Path(filename).name}, line {tb.tb_lineno}"
        tb = tb.tb_next
    return found


def render(view: DigestView, *, templates_dir: Path | None = None) -> RenderedDigest:
    """Render one digest; for many, build one ``Renderer`` and call its ``render``."""
    return Renderer(templates_dir).render(view)


def _chart_image(
    timeline: tuple[TimelineYear, ...], tracks: tuple[StudyTrack, ...] = ()
) -> InlineImage | None:
    png = chart.render_timeline_png(timeline, tracks)
    if png is None:
        return None
    digest = hashlib.sha256(png).hexdigest()[:16]
    return InlineImage(
        cid=f"timeline.{digest}@mildwatch",
        data=png,
        subtype="png",
        filename="evidence-timeline.png",
        alt=chart.timeline_alt_text(timeline),
        width=chart.WIDTH_PX,
        height=chart.HEIGHT_PX,
    )


# --- the message -----------------------------------------------------------------------------


def build_message(
    rendered: RenderedDigest,
    *,
    text_only: bool = False,
    bodies: tuple[str, str] | None = None,
    **headers: Any,
) -> EmailMessage:
    """multipart/alternative: text/plain, then multipart/related (text/html + inline images).

    ``headers`` are ``_top_headers``' (sender, to, message_id, date, list_unsubscribe,
    list_unsubscribe_post). ``message_id`` is passed in so a retry re-sends the very same
    message (the outbox stores the bytes). One-click unsubscribe (RFC 8058) is only announced
    for https URLs. ``text_only`` gives a single text/plain part, for subscribers who asked for
    text. ``bodies`` stand in for the text and HTML (``build_message_bytes`` passes
    placeholders).
    """
    message = EmailMessage(policy=BUILD_POLICY)
    for name, value in _top_headers(rendered, **headers):
        message[name] = value

    # quoted-printable keeps the message 7-bit: safe through relays without 8BITMIME.
    text, html = bodies or (rendered.text, rendered.html)
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if text_only:
        return message
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    html_part = message.get_payload()[1]
    for image in rendered.images:
        html_part.add_related(
            image.data,
            maintype="image",
            subtype=image.subtype,
            cid=f"<{image.cid}>",
            filename=image.filename,
            disposition="inline",
        )
    _stable_boundaries(message)
    return message


def _top_headers(
    rendered: RenderedDigest,
    *,
    sender: str | Address,
    to: str | Address,
    message_id: str,
    date: datetime,
    list_unsubscribe: str | None = None,
    list_unsubscribe_post: bool = False,
) -> list[tuple[str, Any]]:
    """The message's own headers, in order (the MIME headers follow them)."""
    if date.tzinfo is None:
        raise ValueError("build_message needs a timezone-aware date (use datetime.now(UTC))")
    headers: list[tuple[str, Any]] = [
        ("From", sender),
        ("To", to),
        ("Subject", _one_line(rendered.subject)),
        ("Date", format_datetime(date)),
        ("Message-ID", message_id if message_id.startswith("<") else f"<{message_id}>"),
    ]
    if list_unsubscribe:
        target = list_unsubscribe.strip().removeprefix("<").removesuffix(">")
        headers.append(("List-Unsubscribe", f"<{target}>"))
        if list_unsubscribe_post and target.lower().startswith("https://"):
            headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    headers.append(("Auto-Submitted", "auto-generated"))
    headers.append(("X-Auto-Response-Suppress", "All"))
    return headers


def build_message_bytes(
    rendered: RenderedDigest, *, encoder: MessageEncoder, text_only: bool = False, **headers: Any
) -> bytes:
    """``build_message(rendered, **headers).as_bytes(policy=SMTP)``, made from what the run's
    messages share (``encoder``, one per run; digests.mime): per message, only the headers
    that differ are folded and the bodies put in the skeleton of messages of this shape."""
    bodies = [rendered.text] if text_only else [rendered.text, rendered.html]
    return encoder.message_bytes(
        _top_headers(rendered, **headers),
        bodies,
        shape=(text_only, rendered.images),
        build=lambda: build_message(
            rendered, bodies=(placeholder(0), placeholder(1)), text_only=text_only, **headers
        ),
    )


def _stable_boundaries(message: EmailMessage) -> None:
    """Boundaries derived from the Message-ID, so the same digest gives the same bytes."""
    stem = boundary_stem(str(message["Message-ID"]))
    for number, part in enumerate(p for p in message.walk() if p.is_multipart()):
        part.set_boundary(f"{stem}_{number}")


def browser_html(message: bytes) -> str:
    """The HTML part of a stored digest, with its inline images as data: URIs, so a browser
    shows the message as a mail client would (browsers cannot resolve ``cid:`` links)."""
    parsed = email.message_from_bytes(message, policy=email.policy.default)
    body = parsed.get_body(preferencelist=("html",))
    if body is None:
        return ""
    page = body.get_content()
    for part in parsed.walk():
        cid = part.get("Content-ID")
        if cid and part.get_content_maintype() == "image":
            encoded = base64.b64encode(part.get_payload(decode=True)).decode("ascii")
            page = page.replace(
                f"cid:{cid.strip('<>')}", f"data:{part.get_content_type()};base64,{encoded}"
            )
    return page
