"""A local fake of the Tweede Kamer's OData API (v4, API 2.0), on loopback, for tests.

Built from the documented shapes (see ``bot/services/sources/tweedekamer.py`` for the pages):

* ``GET /OData/v4/2.0/Document`` with ``$filter`` (parsed and evaluated: ``and``/``or``,
  parentheses, ``eq ne gt ge lt le``, ``contains``, ``tolower``, ``Kamerstukdossier/any(d:
  ...)``, string, number, boolean and ``DateTimeOffset`` literals; anything else is a 400 with
  an OData error object, as a real OData server answers), ``$orderby`` (fields, ``asc``/
  ``desc``), ``$top`` (at most 250 a page), ``$skip``, ``$count=true`` (``@odata.count``),
  ``$select`` and ``$expand=Kamerstukdossier($select=...)``; answers ``{"@odata.context",
  "value", "@odata.nextLink"}`` with the next page's full address;
* ``GET /OData/v4/2.0/Document(<Id>)/resource``: the file, with its ``Content-Type`` and
  ``Content-Length``;
* documents that change (``GewijzigdOp`` moves) and are deleted (``Verwijderd: true``, the rest
  of the entity kept, as the information model's ``verwijderd`` attribute describes);
* faults on demand, per route: 429 with ``Retry-After``, 500, a timeout (no answer for longer
  than the client waits), malformed JSON, an HTML page instead of a file, a file of 50 MB
  (streamed, with or without ``Content-Length``).

Every request is recorded (time, path and query, user agent) so tests can check politeness.
"""

# Timeouts as parameters are the point of this fake.

from __future__ import annotations

import asyncio
import itertools
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MAX_PAGE = 250
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_numbers = itertools.count(10001)


def _odata_time(moment: datetime, *, fraction: bool = True) -> str:
    """As the API writes ``GewijzigdOp``: local time with offset, seven fractional digits."""
    local = moment.astimezone(AMSTERDAM)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if fraction:
        text += f".{local.microsecond:06d}0"
    offset = local.strftime("%z")
    return f"{text}{offset[:3]}:{offset[3:]}"


@dataclass
class FakeDocument:
    soort: str
    onderwerp: str
    datum: date
    content: bytes | None = None
    content_type: str | None = "application/pdf"
    titel: str | None = None
    dossiers: list[tuple[int, str | None]] = field(default_factory=list)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    nummer: str = ""
    gewijzigd: datetime = field(default_factory=lambda: datetime.now(UTC))
    verwijderd: bool = False
    # how /resource answers instead of the file: "html" (an HTML page), "big" (50 MB with a
    # Content-Length), "big-chunked" (50 MB without one)
    serve_as: str | None = None
    declared_length: int | None = None  # ContentLength in the metadata, when it differs

    def __post_init__(self) -> None:
        if not self.nummer:
            self.nummer = f"{self.datum.year}D{next(_numbers)}"

    def entity(self) -> dict[str, Any]:
        length = self.declared_length
        if length is None and self.content is not None:
            length = len(self.content)
        datum = datetime.combine(self.datum, datetime.min.time(), tzinfo=AMSTERDAM)
        return {
            "Id": self.id,
            "Soort": self.soort,
            "DocumentNummer": self.nummer,
            "Titel": self.titel or self.onderwerp,
            "Onderwerp": self.onderwerp,
            "Datum": _odata_time(datum, fraction=False),
            "Volgnummer": 1,
            "Vergaderjaar": f"{self.datum.year}-{self.datum.year + 1}",
            "Kamer": 2,
            "Citeertitel": None,
            "Alias": None,
            "DatumRegistratie": _odata_time(datum, fraction=False),
            "DatumOntvangst": None,
            "Aanhangselnummer": None,
            "KenmerkAfzender": None,
            "Organisatie": "Tweede Kamer der Staten-Generaal",
            "ContentType": self.content_type,
            "ContentLength": length if self.content_type else None,
            "HuidigeDocumentVersie_Id": str(uuid.uuid5(uuid.NAMESPACE_OID, self.id)),
            "GewijzigdOp": _odata_time(self.gewijzigd),
            "ApiGewijzigdOp": self.gewijzigd.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "Verwijderd": self.verwijderd,
            "Kamerstukdossier": [
                {
                    "Id": str(uuid.uuid5(uuid.NAMESPACE_OID, f"dossier {n} {t}")),
                    "Nummer": n,
                    "Toevoeging": t,
                    "Titel": f"Dossier {n}",
                    "Verwijderd": False,
                }
                for n, t in self.dossiers
            ],
        }


@dataclass
class Fault:
    """What the next ``times`` requests whose path contains ``route`` get instead."""

    kind: str  # "429", "500", "timeout", "malformed", "html"
    route: str = ""
    times: int = 1
    retry_after: str | None = None


@dataclass(frozen=True)
class Request:
    at: float  # time.monotonic()
    path: str  # path and query, as sent
    user_agent: str
    status: int = 0


# --------------------------------------------------------------------------- $filter


class FilterError(ValueError):
    pass


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')"
    r"|(?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))"
    r"|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)"
    r"|(?P<punct>[(),:]))"
)
_OPS = {"eq", "ne", "gt", "ge", "lt", "le"}


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise FilterError(f"syntax error at position {pos} in '{text}'")
        pos = m.end()
        kind = m.lastgroup
        value = m[kind]
        if kind == "str":
            out.append(("lit", value[1:-1].replace("''", "'")))
        elif kind == "dt":
            out.append(("lit", datetime.fromisoformat(value.replace("Z", "+00:00"))))
        elif kind == "num":
            out.append(("lit", float(value) if "." in value else int(value)))
        elif kind == "name" and value in ("true", "false"):
            out.append(("lit", value == "true"))
        elif kind == "name" and value == "null":
            out.append(("lit", None))
        else:
            out.append((kind or "", value))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, kind: str, value: Any = None) -> Any:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            raise FilterError(f"expected {value or kind}, found {tok}")
        self.i += 1
        return tok[1]

    def parse(self) -> Callable[[dict], Any]:
        expr = self.expr()
        if self.peek() is not None:
            raise FilterError(f"unexpected {self.peek()}")
        return expr

    def expr(self) -> Callable[[dict], Any]:
        left = self.conj()
        while self.peek() == ("name", "or"):
            self.i += 1
            right = self.conj()
            left = _either(left, right)
        return left

    def conj(self) -> Callable[[dict], Any]:
        left = self.cmp()
        while self.peek() == ("name", "and"):
            self.i += 1
            right = self.cmp()
            left = _both(left, right)
        return left

    def cmp(self) -> Callable[[dict], Any]:
        left = self.primary()
        tok = self.peek()
        if tok is not None and tok[0] == "name" and tok[1] in _OPS:
            self.i += 1
            right = self.primary()
            op = tok[1]
            return lambda env: _compare(op, left(env), right(env))
        return left

    def primary(self) -> Callable[[dict], Any]:
        tok = self.peek()
        if tok is None:
            raise FilterError("unexpected end of $filter")
        kind, value = tok
        if kind == "punct" and value == "(":
            self.i += 1
            inner = self.expr()
            self.take("punct", ")")
            return inner
        if kind == "lit":
            self.i += 1
            return lambda env, v=value: v
        if kind == "name":
            self.i += 1
            if value in ("contains", "tolower", "startswith"):
                self.take("punct", "(")
                args = [self.expr()]
                while self.peek() == ("punct", ","):
                    self.i += 1
                    args.append(self.expr())
                self.take("punct", ")")
                return _function(value, args)
            if value.endswith("/any") and self.peek() == ("punct", "("):
                collection = value[: -len("/any")]
                self.take("punct", "(")
                var = self.take("name")
                self.take("punct", ":")
                body = self.expr()
                self.take("punct", ")")

                def any_(env: dict, collection=collection, var=var, body=body) -> bool:
                    items = env.get(collection) or []
                    return any(body({**env, var: item}) for item in items)

                return any_
            return lambda env, path=value: _member(env, path)
        raise FilterError(f"unexpected {tok}")


def _either(a: Callable[[dict], Any], b: Callable[[dict], Any]) -> Callable[[dict], Any]:
    return lambda env: bool(a(env)) or bool(b(env))


def _both(a: Callable[[dict], Any], b: Callable[[dict], Any]) -> Callable[[dict], Any]:
    return lambda env: bool(a(env)) and bool(b(env))


def _member(env: dict, path: str) -> Any:
    parts = path.split("/")
    if parts[0] not in env:
        raise FilterError(f"Could not find a property named '{parts[0]}'")
    value: Any = env[parts[0]]
    for p in parts[1:]:
        if not isinstance(value, dict) or p not in value:
            raise FilterError(f"Could not find a property named '{p}'")
        value = value[p]
    return value


def _function(name: str, args: list[Callable[[dict], Any]]) -> Callable[[dict], Any]:
    if name == "tolower" and len(args) == 1:
        return lambda env: (args[0](env) or "").lower()
    if name == "contains" and len(args) == 2:
        return lambda env: (args[1](env) or "") in (args[0](env) or "")
    if name == "startswith" and len(args) == 2:
        return lambda env: (args[0](env) or "").startswith(args[1](env) or "")
    raise FilterError(f"unknown function {name} with {len(args)} arguments")


def _compare(op: str, a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, datetime):
        a = datetime.fromisoformat(a)
    if isinstance(b, str) and isinstance(a, datetime):
        b = datetime.fromisoformat(b)
    if op == "eq":
        return a == b
    if op == "ne":
        return a != b
    if a is None or b is None:
        return False
    return {"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]


def compile_filter(text: str) -> Callable[[dict], Any]:
    return _Parser(text).parse()


# --------------------------------------------------------------------------- the server


class FakeTweedeKamer:
    """``async with FakeTweedeKamer() as tk: ... tk.base_url ...``"""

    def __init__(self, *, page_size: int = MAX_PAGE, timeout_seconds: float = 3.0) -> None:
        self.docs: dict[str, FakeDocument] = {}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.page_size = page_size
        self.timeout_seconds = timeout_seconds  # how long a "timeout" fault keeps silent
        self.bad_filters: list[str] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- the data

    def add(self, doc: FakeDocument) -> FakeDocument:
        self.docs[doc.id] = doc
        return doc

    def change(self, doc_id: str, **fields: Any) -> FakeDocument:
        doc = self.docs[doc_id]
        for k, v in fields.items():
            setattr(doc, k, v)
        doc.gewijzigd = max(datetime.now(UTC), doc.gewijzigd + timedelta(milliseconds=1))
        return doc

    def delete(self, doc_id: str) -> FakeDocument:
        return self.change(doc_id, verwijderd=True)

    def fail(self, kind: str, *, route: str = "", times: int = 1, retry_after: str | None = None):
        self.faults.append(Fault(kind, route, times, retry_after))

    # ---- lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/OData/v4/2.0/"

    async def __aenter__(self) -> FakeTweedeKamer:
        app = web.Application()
        app.router.add_get("/OData/v4/2.0/Document", self._documents)
        app.router.add_get(r"/OData/v4/2.0/Document({doc_id})/resource", self._resource)
        app.router.add_get(r"/OData/v4/2.0/Document({doc_id})", self._document)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- helpers

    def listing_requests(self) -> list[Request]:
        return [r for r in self.requests if "/Document?" in r.path or r.path.endswith("/Document")]

    def resource_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/resource")]

    def _record(self, request: web.Request) -> None:
        self.requests.append(
            Request(time.monotonic(), request.path_qs, request.headers.get("User-Agent", ""))
        )

    async def _fault(self, request: web.Request) -> web.StreamResponse | None:
        for fault in self.faults:
            if fault.times > 0 and fault.route in request.path_qs:
                fault.times -= 1
                if fault.kind == "429":
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                    return web.json_response(
                        {"error": {"code": "", "message": "Too many requests"}},
                        status=429,
                        headers=headers,
                    )
                if fault.kind in ("404", "500", "503"):
                    return web.json_response(
                        {"error": {"code": "", "message": "An error has occurred."}},
                        status=int(fault.kind),
                    )
                if fault.kind == "timeout":
                    await asyncio.sleep(self.timeout_seconds)
                    return web.json_response({"value": []})
                if fault.kind == "malformed":
                    return web.Response(
                        body=b'{"@odata.context": "x", "value": [{"Id": "', status=200,
                        content_type="application/json",
                    )  # fmt: skip
                if fault.kind == "html":
                    return web.Response(
                        text="<html><body>Onderhoud</body></html>", content_type="text/html"
                    )
        return None

    @staticmethod
    def _odata_error(message: str, status: int = 400) -> web.Response:
        return web.json_response({"error": {"code": "", "message": message}}, status=status)

    # ---- routes

    async def _documents(self, request: web.Request) -> web.StreamResponse:
        self._record(request)
        fault = await self._fault(request)
        if fault is not None:
            return fault
        q = request.query
        rows = [d.entity() for d in self.docs.values()]
        if "$filter" in q:
            try:
                test = compile_filter(q["$filter"])
                rows = [r for r in rows if test(r)]
            except FilterError as exc:
                self.bad_filters.append(q["$filter"])
                return self._odata_error(f"The query specified in the URI is not valid. {exc}")
        for part in reversed([p.strip() for p in q.get("$orderby", "").split(",") if p.strip()]):
            name, _, direction = part.partition(" ")
            if rows and name not in rows[0]:
                return self._odata_error(f"Could not find a property named '{name}'")
            rows.sort(
                key=lambda r, n=name: (r[n] is None, _sortable(r[n])),
                reverse=direction.strip().lower() == "desc",
            )
        total = len(rows)
        try:
            skip = int(q.get("$skip", "0"))
            top = int(q["$top"]) if "$top" in q else None
        except ValueError:
            return self._odata_error("$skip and $top take whole numbers")
        remaining = max(0, total - skip) if top is None else max(0, min(top, total - skip))
        page_size = min(self.page_size, MAX_PAGE, remaining)
        page = rows[skip : skip + page_size]
        select = [f for f in q.get("$select", "").split(",") if f]
        expand = q.get("$expand", "")
        expanded = expand.startswith("Kamerstukdossier")
        sub_select: list[str] = []
        m = re.fullmatch(r"Kamerstukdossier\(\$select=([\w,]+)\)", expand)
        if m:
            sub_select = m[1].split(",")
        out = []
        for r in page:
            item = {k: v for k, v in r.items() if (not select or k in select)}
            item.pop("Kamerstukdossier", None)
            if expanded:
                item["Kamerstukdossier"] = [
                    {k: v for k, v in d.items() if not sub_select or k in sub_select}
                    for d in r["Kamerstukdossier"]
                ]
            out.append(item)
        body: dict[str, Any] = {"@odata.context": f"{self.base_url}$metadata#Document"}
        if q.get("$count") == "true":
            body["@odata.count"] = total
        body["value"] = out
        if page_size < remaining:  # server-driven paging: the next page's full address
            params = dict(q)
            params["$skip"] = str(skip + page_size)
            if top is not None:
                params["$top"] = str(top - page_size)
            params.pop("$count", None)
            body["@odata.nextLink"] = f"{self.base_url}Document?{urlencode(params)}"
        return web.json_response(body)

    async def _document(self, request: web.Request) -> web.StreamResponse:
        self._record(request)
        doc = self.docs.get(request.match_info["doc_id"])
        if doc is None:
            return self._odata_error("Not found", 404)
        return web.json_response(doc.entity())

    async def _resource(self, request: web.Request) -> web.StreamResponse:
        self._record(request)
        fault = await self._fault(request)
        if fault is not None:
            return fault
        doc = self.docs.get(request.match_info["doc_id"])
        if doc is None or doc.content is None or doc.verwijderd:
            return self._odata_error("Not found", 404)
        if doc.serve_as == "html":
            return web.Response(text="<html><body>Document niet gevonden</body></html>",
                                content_type="text/html")  # fmt: skip
        if doc.serve_as in ("big", "big-chunked"):
            size = 50 * 1024 * 1024
            response = web.StreamResponse(headers={"Content-Type": "application/pdf"})
            if doc.serve_as == "big":
                response.content_length = size
            else:
                response.enable_chunked_encoding()
            await response.prepare(request)
            chunk = b"%PDF-1.4\n" + b"0" * (1024 * 1024 - 9)
            try:
                for _ in range(size // len(chunk)):
                    await response.write(chunk)
            except (ConnectionResetError, RuntimeError):
                return response  # the client stopped reading: as it should
            await response.write_eof()
            return response
        return web.Response(
            body=doc.content,
            headers={"Content-Type": doc.content_type or "application/octet-stream"},
        )


def _sortable(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).astimezone(UTC).isoformat()
        except ValueError:
            return value
    return value


class ThreadedFake:
    """The fake on a loop of its own, in a thread: for code that runs its own event loop
    (the command line's ``asyncio.run``). ``with ThreadedFake() as tk: main([...])``."""

    def __init__(self, **kwargs: Any) -> None:
        self.fake = FakeTweedeKamer(**kwargs)
        self._loop = asyncio.new_event_loop()
        self._thread: Any = None

    def __enter__(self) -> FakeTweedeKamer:
        import threading

        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self.fake.__aenter__())
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self.fake.__aexit__(None, None, None))
            self._loop.close()

        self._thread = threading.Thread(target=serve, name="fake-tweedekamer", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake Tweede Kamer did not start")
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
