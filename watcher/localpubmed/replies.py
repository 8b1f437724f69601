"""What the local server says back, in NCBI's shapes: esearch's XML, NCBI's error replies
(esearch: HTTP 200 with an ``<ERROR>``; efetch: 400; a rate limit: 429 with JSON), the DOCTYPE
lines Bio.Entrez needs, and esearch's parameters read the way NCBI reads them.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from xml.sax.saxutils import escape

from watcher.errors import QueryError
from watcher.localpubmed.query import DATE_FIELDS, parse_date_span
from watcher.localpubmed.query_eval import SearchResult

logger = logging.getLogger(__name__)

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" ?>\n'
ESEARCH_DOCTYPE = (
    '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
EFETCH_DOCTYPE = (  # NCBI's own spelling of the root name in this line
    '<!DOCTYPE eEfetchResult PUBLIC "-//NLM//DTD efetch 20131226//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20131226/efetch.dtd">\n'
)
EINFO_DOCTYPE = (
    '<!DOCTYPE eInfoResult PUBLIC "-//NLM//DTD einfo 20190110//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20190110/einfo.dtd">\n'
)
XML_TYPE = "text/xml; charset=UTF-8"
TEXT_TYPE = "text/plain; charset=UTF-8"
MAX_RETMAX = 10000


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = XML_TYPE
    headers: tuple[tuple[str, str], ...] = ()


def pubmed_doctype(dtd: str) -> str:
    """NCBI's DOCTYPE line for a PubMed DTD file name such as "pubmed_250101.dtd"."""
    m = re.fullmatch(r"pubmed_(\d\d)(\d\d)(\d\d)\.dtd", dtd)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"pubmed_dtd must look like pubmed_YYMMDD.dtd, not {dtd!r}")
    year, month, day = (int(g) for g in m.groups())
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    public = f"-//NLM//DTD PubMedArticle, {day}{suffix} {calendar.month_name[month]} {2000 + year}"
    url = f"https://dtd.nlm.nih.gov/ncbi/pubmed/out/{dtd}"
    return f'<!DOCTYPE PubmedArticleSet PUBLIC "{public}//EN" "{url}">\n'


def search_error(message: str) -> Reply:
    """NCBI answers a failed esearch with HTTP 200 and an <ERROR> (Entrez.read raises)."""
    body = f"<eSearchResult><ERROR>{escape(message)}</ERROR></eSearchResult>\n"
    return Reply(200, (XML_DECLARATION + ESEARCH_DOCTYPE + body).encode())


def fetch_error(message: str) -> Reply:
    """NCBI answers a failed efetch with HTTP 400 and an eFetchResult <ERROR>."""
    body = f"<eFetchResult>\n\t<ERROR>{escape(message)}</ERROR>\n</eFetchResult>\n"
    return Reply(400, (XML_DECLARATION + EFETCH_DOCTYPE + body).encode())


def fault_reply(status: int, retry_after: int | None) -> Reply:
    headers = (("Retry-After", str(retry_after)),) if retry_after is not None else ()
    if status == 429:  # NCBI's rate-limit reply is JSON
        body = b'{"error":"API rate limit exceeded","count":"4","limit":"3"}\n'
        return Reply(status, body, "application/json", headers)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    body = f"<html><head><title>{status} {phrase}</title></head><body><h1>{phrase}</h1>"
    return Reply(status, (body + "</body></html>\n").encode(), "text/html", headers)


def echo_reply(endpoint: str, url: str, status: int | None) -> Reply:
    """An error that quotes the request back, URL parameters and all (a test of redaction):
    esearch's <ERROR> in a 200 reply, otherwise an HTML error page."""
    if endpoint == "esearch" and status is None:
        return search_error(f"Search Backend failed: cannot process request {url}")
    body = f"<html><body><h1>Error</h1><p>Cannot process request {escape(url)}</p></body></html>\n"
    return Reply(status or 200, body.encode(), "text/html")


def not_found(path: str) -> Reply:
    return Reply(404, f"Not found: {path}\n".encode(), TEXT_TYPE)


def int_param(params: dict[str, str], name: str, default: int) -> int:
    value = params.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise QueryError(f"Invalid {name} value: {value!r}")
    return int(value)


def date_window(params: dict[str, str]) -> tuple[str, date, date, str] | None:
    """esearch's datetype + mindate/maxdate (both needed, as at NCBI) or reldate."""
    datetype = params.get("datetype", "pdat").strip().casefold() or "pdat"
    if datetype not in DATE_FIELDS:
        raise QueryError(f"Invalid datetype {datetype!r}: use edat, pdat, crdt or mdat")
    low, high = params.get("mindate", "").strip(), params.get("maxdate", "").strip()
    if low and high:
        start, end = parse_date_span(low), parse_date_span(high)
        if start is None or end is None:
            raise QueryError(
                f"Invalid date range {low!r}-{high!r}: use YYYY, YYYY/MM or YYYY/MM/DD"
            )
        return datetype, start[0], end[1], f"{low}:{high}[{datetype}]"
    if params.get("reldate", "").strip():
        today = datetime.now(UTC).date()
        first = today - timedelta(days=int_param(params, "reldate", 0))
        return datetype, first, today, f"{first:%Y/%m/%d}:{today:%Y/%m/%d}[{datetype}]"
    if low or high:
        logger.info("ignoring mindate/maxdate: NCBI needs both (got %r, %r)", low, high)
    return None


def esearch_xml(
    count: int, retstart: int, ids: Sequence[str], history: tuple[str, int] | None,
    result: SearchResult,
) -> bytes:  # fmt: skip
    parts = [XML_DECLARATION, ESEARCH_DOCTYPE, "<eSearchResult>"]
    parts.append(
        f"<Count>{count}</Count><RetMax>{len(ids)}</RetMax><RetStart>{retstart}</RetStart>"
    )
    if history:
        parts.append(f"<QueryKey>{history[1]}</QueryKey><WebEnv>{history[0]}</WebEnv>")
    parts.append("<IdList>\n" + "".join(f"<Id>{pmid}</Id>\n" for pmid in ids) + "</IdList>")
    translations = "".join(
        f"<Translation><From>{escape(a)}</From><To>{escape(b)}</To></Translation>"
        for a, b in result.translation_set
    )
    parts.append(f"<TranslationSet>{translations}</TranslationSet>")
    parts.append(f"<QueryTranslation>{escape(result.translation)}</QueryTranslation>")
    for name, lists in (
        ("ErrorList", (("PhraseNotFound", result.phrases_not_found),
                       ("FieldNotFound", result.fields_not_found))),
        ("WarningList", (("PhraseIgnored", result.phrases_ignored),
                         ("QuotedPhraseNotFound", result.quoted_phrases_not_found),
                         ("OutputMessage", result.output_messages))),
    ):  # fmt: skip
        items = "".join(f"<{tag}>{escape(v)}</{tag}>" for tag, values in lists for v in values)
        if items:
            parts.append(f"<{name}>{items}</{name}>")
    parts.append("</eSearchResult>\n")
    return "".join(parts).encode()
