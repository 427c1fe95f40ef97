"""The Tweede Kamer's open data: which documents a followed query holds, changed since a cursor.

Built from the Tweede Kamer's own documentation and issue tracker (the pages read):

* OData API, https://opendata.tweedekamer.nl/documentatie/odata-api and
  https://opendata.tweedekamer.nl/documentatie/odata-api-20: the base address
  ``https://gegevensmagazijn.tweedekamer.nl/OData/v4/2.0/``, JSON (OData v4), one entity set
  per entity (``Document``: "inclusief download link naar bestand: doc(x)/pdf"),
  ``Document(<Id>)`` for one document, ``Document(<Id>)/resource`` for its file; the query
  options are OData's own (``$filter``, ``$orderby``, ``$select``, ``$expand``, ``$count``),
  answers are ``{"@odata.context", "value": [...], "@odata.nextLink"}`` with at most 250
  entities a page. No registration, no query limit; the disclaimer
  (https://opendata.tweedekamer.nl/disclaimer) says bandwidth may be limited per IP address.
* What changed in API 2.0, https://opendata.tweedekamer.nl/documentatie/api-en-informatiemodel-
  veranderingen-april-2019-release: "Parlementair document" became ``Document``; the file is
  fetched from the entity itself; ``Kamerstuk`` is gone (its number is on the document).
* The information model's XSD, github.com/TweedeKamerDerStaten-Generaal/OpenDataPortaal
  (``xsd/tkData-v1-0-document.xsd``, ``tkData-v1-0-base.xsd``, ``tkData-v1-0-kamerstukdossier.
  xsd``): a document has ``soort`` (``Brief regering``, ``Brief commissie`` ...),
  ``documentNummer``, ``titel``, ``onderwerp``, ``datum``, ``volgnummer``, a
  ``kamerstukdossier`` (``nummer``, ``toevoeging``), and like every downloadable entity
  ``contentType`` and ``contentLength``; every entity carries ``verwijderd`` ("true: the element
  was deleted") and ``bijgewerkt`` (last update, UTC), in OData ``Verwijderd`` and
  ``GewijzigdOp`` (with ``ApiGewijzigdOp``, when the API's copy changed).
* Filters on the dossier as the Kamer's data is queried elsewhere (OpenKamer's ``tkapi``,
  github.com/openkamer/tkapi, ``filter.py`` and ``document.py``): ``Kamerstukdossier/any(d:
  d/Nummer eq 28638)``, ``Soort eq 'Brief regering'``, ``Verwijderd eq false`` (which a follower
  must not add: deletions are how it learns a document was withdrawn).
* The SyncFeed (``/SyncFeed/2.0/Feed?category=Document``, an Atom feed resumed with a
  ``skiptoken``) carries every entity of a category: the Kamer will not make it filterable
  (OpenDataPortaal issue #127), so following it would read every document the Kamer
  publishes, tens of thousands a year, to keep a few dozen. That issue also shows a data fix
  touching ``bijgewerkt`` of 25,806 old documents at once. briefbot follows the OData API, with
  ``GewijzigdOp`` as its cursor, and downloads a document again only when what the API says of
  its file changed (``ContentType``, ``ContentLength``) or it was never read: a mass touch costs
  a few pages of metadata, not thousands of PDFs.
* Outages happen (OpenDataPortaal issues #101, #103, #129, #133, #171: hours to days): a poll
  that fails keeps its cursor and is tried again with backoff; nothing else waits for it.

Incremental reads: ``GewijzigdOp ge <cursor - OVERLAP>`` ordered by ``GewijzigdOp, Id``. The
overlap re-reads the last two days each poll (a page of metadata), because the data is
"near-time": a change can reach the API after later ones. Documents already handled at the same
version are recognised and cost nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from bot.core.errors import Refused
from bot.services.sources.http import FetchError, PoliteClient

DEFAULT_URL = "https://gegevensmagazijn.tweedekamer.nl/OData/v4/2.0/"
PAGE_SIZE = 250  # the API's largest page (it sends @odata.nextLink for the rest)
OVERLAP = timedelta(days=2)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: What is asked of each document (``$select``): nothing briefbot does not use.
FIELDS = (
    "Id", "Soort", "DocumentNummer", "Titel", "Onderwerp", "Datum", "GewijzigdOp",
    "Verwijderd", "ContentType", "ContentLength",
)  # fmt: skip
_DOSSIER = re.compile(r"(\d{1,6})(?:-(.+))?")


@dataclass(frozen=True, slots=True)
class Query:
    """What a followed Tweede Kamer source holds: documents of these kinds, in these dossiers,
    about these subjects (each list: any of them; an empty list: no condition)."""

    types: tuple[str, ...] = ()
    dossiers: tuple[str, ...] = ()  # "28638", or "36200-VI" (number and addition)
    subjects: tuple[str, ...] = ()

    def config(self) -> dict[str, Any]:
        return {
            "types": sorted(self.types),
            "dossiers": sorted(self.dossiers),
            "subjects": sorted(s.lower() for s in self.subjects),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Query:
        return cls(
            tuple(config.get("types", ())),
            tuple(config.get("dossiers", ())),
            tuple(config.get("subjects", ())),
        )

    def describe(self) -> str:
        """``Brief regering · dossier 28638 · about mensenhandel`` (the source's name)."""
        parts = []
        if self.types:
            parts.append(" or ".join(self.types))
        if self.dossiers:
            parts.append("dossier " + ", ".join(self.dossiers))
        if self.subjects:
            parts.append("about " + ", ".join(self.subjects))
        return "Tweede Kamer" + (": " + " · ".join(parts) if parts else "")


def check_dossier(text: str) -> str:
    """A dossier as typed (``28638``, ``36200-VI``); a refusal (a ValueError) otherwise."""
    text = text.strip().replace(" ", "")
    if not _DOSSIER.fullmatch(text):
        raise Refused("source.bad_dossier", value=text)
    return text


def literal(text: str) -> str:
    """An OData string literal (quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def timestamp(moment: datetime) -> str:
    """An ``Edm.DateTimeOffset`` literal in UTC: ``2026-01-05T08:00:00Z``."""
    from datetime import UTC

    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` in the Netherlands (the API's dates are Dutch)."""
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM)


def filter_expression(
    query: Query, *, since: date, changed_since: datetime | None, deleted_only: bool = False
) -> str:
    """The ``$filter`` for a query: its kinds, dossiers and subjects, documents dated from
    ``since`` on, changed at or after ``changed_since``. Deleted documents are included (they
    are how a follower learns a document was withdrawn); ``deleted_only`` asks for them alone,
    whatever they say (a deleted document's other fields cannot be relied on)."""
    clauses: list[str] = []
    if deleted_only:
        clauses.append("Verwijderd eq true")
    else:
        if query.types:
            clauses.append("(" + " or ".join(f"Soort eq {literal(t)}" for t in query.types) + ")")
        if query.dossiers:
            conditions = []
            for d in query.dossiers:
                m = _DOSSIER.fullmatch(d)
                if m is None:
                    raise Refused("source.bad_dossier", value=d)
                cond = f"d/Nummer eq {int(m[1])}"
                if m[2]:
                    cond = f"({cond} and d/Toevoeging eq {literal(m[2])})"
                conditions.append(cond)
            clauses.append(f"Kamerstukdossier/any(d: {' or '.join(conditions)})")
        if query.subjects:
            words = [s.lower() for s in query.subjects]
            found = [
                f"contains(tolower({field}), {literal(w)})"
                for w in words
                for field in ("Onderwerp", "Titel")
            ]
            clauses.append("(" + " or ".join(found) + ")")
        clauses.append(f"Datum ge {timestamp(start_of(since))}")
    if changed_since is not None:
        clauses.append(f"GewijzigdOp ge {timestamp(changed_since)}")
    return " and ".join(clauses)


@dataclass(frozen=True, slots=True)
class Document:
    """One ``Document`` as the API lists it."""

    id: str
    soort: str | None
    number: str | None  # DocumentNummer, e.g. 2024D12345
    title: str | None  # Titel
    subject: str | None  # Onderwerp
    date: date | None  # Datum, as a Dutch calendar day
    changed: datetime  # GewijzigdOp
    changed_raw: str  # GewijzigdOp as the API wrote it
    deleted: bool
    content_type: str | None
    content_length: int | None
    dossiers: tuple[str, ...]

    @property
    def file(self) -> str:
        """What the API says of the document's file: when this changes, it is read again."""
        length = self.content_length if self.content_length is not None else "-"
        return f"{self.content_type or '-'} {length}"

    @property
    def version(self) -> str:
        """The version briefbot remembers: the file's description and the change time."""
        return f"{self.file} {self.changed_raw}"

    @property
    def name(self) -> str:
        """What users see when a document cannot be read: its title, else its number."""
        return self.subject or self.title or self.number or self.id


class NotAsDocumented(ValueError):
    """The API answered with something its documentation does not describe (a field of the
    wrong type, a document without an Id): that document is skipped, with this as the reason
    the operator sees (``follow poll``)."""


def _text(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise NotAsDocumented(f"{key} is not text")
    return value.strip() or None


def parse_document(item: Any) -> Document:
    """A listed document; ValueError for one the API did not describe as documented."""
    if not isinstance(item, dict):
        raise NotAsDocumented("a listed document is not an object")
    doc_id = item.get("Id")
    if not isinstance(doc_id, str) or not re.fullmatch(r"[0-9A-Fa-f-]{8,64}", doc_id):
        raise NotAsDocumented(f"a listed document has no usable Id ({doc_id!r})")
    changed_raw = item.get("GewijzigdOp")
    if not isinstance(changed_raw, str):
        raise NotAsDocumented(f"document {doc_id} has no GewijzigdOp")
    changed = datetime.fromisoformat(changed_raw.replace("Z", "+00:00"))
    if changed.tzinfo is None:
        changed = changed.replace(tzinfo=AMSTERDAM)
    day = None
    datum = item.get("Datum")
    if isinstance(datum, str) and datum:
        moment = datetime.fromisoformat(datum.replace("Z", "+00:00"))
        day = (moment.astimezone(AMSTERDAM) if moment.tzinfo else moment).date()
    length = item.get("ContentLength")
    dossiers = []
    for d in item.get("Kamerstukdossier") or []:
        if isinstance(d, dict) and d.get("Nummer") is not None:
            extra = d.get("Toevoeging")
            dossiers.append(f"{d['Nummer']}-{extra}" if extra else str(d["Nummer"]))
    return Document(
        id=doc_id.lower(),
        soort=_text(item, "Soort"),
        number=_text(item, "DocumentNummer"),
        title=_text(item, "Titel"),
        subject=_text(item, "Onderwerp"),
        date=day,
        changed=changed,
        changed_raw=changed_raw,
        deleted=bool(item.get("Verwijderd")),
        content_type=(_text(item, "ContentType") or "").split(";")[0].strip().lower() or None,
        content_length=int(length) if isinstance(length, int | float) else None,
        dossiers=tuple(dossiers),
    )


def resource_url(base: str, doc_id: str) -> str:
    """The address of a document's file (the original): ``.../Document(<Id>)/resource``."""
    return urljoin(_base(base), f"Document({doc_id})/resource")


def _base(base: str) -> str:
    return base if base.endswith("/") else base + "/"


@dataclass(slots=True)
class Listing:
    """What one listing read: documents in order, and how many the API said match."""

    documents: list[Document]
    total: int | None
    pages: int


async def changed_since(
    client: PoliteClient,
    base: str,
    query: Query,
    *,
    since: date,
    cursor: datetime | None,
    deleted_only: bool = False,
    limit: int = 5000,
) -> Listing:
    """Every document of ``query`` changed at or after ``cursor - OVERLAP`` (all from ``since``
    on when there is no cursor yet), oldest change first, following ``@odata.nextLink`` page by
    page (at most ``limit`` documents: the rest come at the next poll, the cursor having moved).
    Raises :class:`FetchError` when a page cannot be had or is not what the API documents."""
    start = cursor - OVERLAP if cursor is not None else None
    params = {
        "$filter": filter_expression(
            query, since=since, changed_since=start, deleted_only=deleted_only
        ),
        "$orderby": "GewijzigdOp asc,Id asc",
        "$select": ",".join(FIELDS),
        "$expand": "Kamerstukdossier($select=Nummer,Toevoeging)",
        "$count": "true",  # no $top: that would cap the whole answer; the API pages it itself
    }
    url = urljoin(_base(base), "Document")
    host = urlsplit(url).netloc
    out: list[Document] = []
    total: int | None = None
    pages = 0
    next_params: dict[str, str] | None = params
    while url and len(out) < limit:
        page = await client.get_json(url, next_params)
        pages += 1
        if not isinstance(page, dict) or not isinstance(page.get("value"), list):
            raise FetchError("a page of the listing has no 'value' list", transient=True)
        if total is None and isinstance(page.get("@odata.count"), int):
            total = page["@odata.count"]
        for item in page["value"]:
            try:
                out.append(parse_document(item))
            except ValueError as exc:
                raise FetchError(f"a listed document is malformed: {exc}", transient=True) from exc
        link = page.get("@odata.nextLink")
        if not link:
            break
        if not isinstance(link, str):
            raise FetchError("the next page's address is not text", transient=True)
        url = urljoin(url, link)
        if urlsplit(url).netloc != host:  # never follow a source to another host
            raise FetchError(f"the next page is on another host ({urlsplit(url).netloc})",
                             transient=False)  # fmt: skip
        next_params = None  # the next link carries the query
    out.sort(key=lambda d: (d.changed, d.id))
    return Listing(out[:limit], total, pages)


def in_order(documents: Sequence[Document]) -> list[Document]:
    return sorted(documents, key=lambda d: (d.changed, d.id))
