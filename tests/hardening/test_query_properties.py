"""Generated hostile queries and options against every service, every slash command,
autocomplete and the DM path.

Markdown, mentions, zero-width and right-to-left marks, FTS5 and SQL syntax, emoji, NUL, lone
surrogates, 6,000 characters: each gives an answer, an empty answer or a clear LookupError /
ValueError; never another exception, never a ping, never another server's letter.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.chat.answers.render import choice_name
from bot.services.app import Services
from bot.services.scope import GLOBAL, Scope
from tests.chat.conftest import Env, make_settings, start_env
from tests.discord_server.state import Permissions
from tests.hardening.test_tenancy import MARKER_RE, secret_letter, text_of, without_echo

GUILD_A, GUILD_B = 111_111_111_111_111_111, 222_222_222_222_222_222

#: Pieces of hostile input; the strategies below glue them together with random text.
FRAGMENTS = [
    *("@everyone", "@here", "<@123>", "<@!123>", "<@&1>", "<#5>", "</ask:1>", "<t:1:R>"),
    *("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"),  # zero-width
    *("\u202e", "\u202d", "\u200f", "\u200e", "\u2067", "\u061c"),  # direction marks
    *('"', "'", "*", "NEAR(", "NEAR(a b, 2)", " OR ", " AND ", " NOT ", "-", "^", ":", "+"),
    *("(", ")", "{", "}", "[", "]", "col:word", "sentences_fts", "norm:"),
    *("'; DROP TABLE letters;--", "%", "_", "\\", "1=1", "' OR '1'='1", "/*", "*/", "?"),
    *("**", "__", "`", "```", "||", "~~", "> ", "# ", "- ", "[x](https://e.nl)", "\\*"),
    *("😀", "👩\u200d👩\u200d👧", "🇳🇱", "🏳️\u200d🌈", "\ufe0f", "\u20e3"),
    *("\x00", "\x07", "\x1b[31m", "\r\n", "\t", "\u2028", "\x85"),
    *("\ud800", "\udfff", "\udbff\udc00"),  # lone surrogates and a reversed pair
    *("ﬁ", "İ", "ß", "ǅ", "e\u0301", "\u0301", "١٢٣", "٠٩:٠٠", "𝟘𝟡:𝟘𝟘", "Ⅻ", "½"),
    *("coördinatie", "mensenhandel", "kinderen", "opvang", "regeerakkoord", "preventie"),
    *("1:1", "0:0", "99999999999999999999:1", "12:34", "1", "-1", "1e9", "NaN", "None"),
    *("samenvatting", "aanbevelingen over", "citaat", "wat zegt de brief over", "help"),
    *("Europe/Amsterdam", "Europe", "../../etc/passwd", "UTC", "09:00", "24:00", "9.05"),
    *(" ", "  ", "\n", "."),
]

_ANY_CHAR = st.characters(codec=None, exclude_categories=())  # surrogates included


def _long(piece: str, n: int) -> str:
    return (piece * (n // max(1, len(piece)) + 1))[:n]


hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=_ANY_CHAR, max_size=40),
    st.lists(
        st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), min_size=1, max_size=12
    ).map("".join),
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8).map(" ".join),
    st.builds(
        _long,
        st.one_of(st.sampled_from(FRAGMENTS), st.text(min_size=1, max_size=5)),
        st.sampled_from([1000, 2001, 4097, 6000]),
    ),
)

ALLOWED = (LookupError, ValueError)


def check_refusal(exc: BaseException) -> None:
    """A refusal is a short, human message."""
    assert isinstance(exc, ALLOWED), repr(exc)
    assert not isinstance(exc, UnicodeError), repr(exc)  # a ValueError, but not a message
    message = str(exc.args[0]) if exc.args else str(exc)
    assert message.strip(), repr(exc)
    assert len(message) <= 1000, f"{len(message)} characters: {message[:200]}"
    assert "Traceback" not in message


# --------------------------------------------------------------------------- services


class Harness:
    """The services (bundled letter + guild A's secret letter) on its own event loop, shared by
    the service properties of this module."""

    def __init__(self, tmp: Path) -> None:
        self.runner = asyncio.Runner()
        self.app: Services = self.runner.run(Services.open(make_settings(tmp)))
        record, _, _ = self.run(
            self.app.letters.add_upload(
                secret_letter().text().encode(), filename="zeehonden.txt", guild_id=GUILD_A
            )
        )
        self.secret = record.id
        self.run(self.app.warm())
        self.digests = self.app.digests
        self.cases = 0

    def run(self, coro: Awaitable):
        return self.runner.run(coro)  # type: ignore[arg-type]

    def call(self, fn: Callable[[], Awaitable]) -> object:
        """Await ``fn()``; a refusal is checked and returned as None."""
        self.cases += 1
        try:
            return self.run(fn())
        except ALLOWED as exc:
            check_refusal(exc)
            return None

    def close(self) -> None:
        self.run(self.app.close())
        self.runner.close()


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    s = Harness(tmp_path_factory.mktemp("queries"))
    try:
        yield s
    finally:
        s.close()


def _outside(svc: Harness, letter_ids: set[int]) -> None:
    assert svc.secret not in letter_ids, "a server saw another server's letter"


#: Options of a personal digest that are all valid; a test replaces one by generated text.
VALID_DIGEST_OPTIONS: dict = {
    "time_text": "09:00",
    "timezone": "Europe/Amsterdam",
    "topics": [],
    "language": "nl",
    "frequency": "daily",
}

SERVICE_SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
scopes = st.sampled_from([Scope(guild_id=GUILD_B), GLOBAL])


@SERVICE_SETTINGS
@given(text=hostile_text, scope=scopes)
def test_quotes_never_fail_nor_leak(services: Harness, text: str, scope: Scope):
    app = services.app
    for hits in (
        services.call(lambda: app.quotes.find(text, scope=scope)),
        services.call(lambda: app.quotes.find(text, scope=scope, limit=25)),
        services.call(lambda: app.quotes.find("opvang van kinderen", scope=scope, letter=text)),
    ):
        if hits is not None:
            _outside(services, {h.letter_id for h in hits})  # type: ignore[attr-defined]
    hit = services.call(lambda: app.quotes.get(text, scope=scope))
    if hit is not None:
        _outside(services, {hit.letter_id})  # type: ignore[attr-defined]
    for typed in (text, f"{services.secret}:{text[:3]}"):
        choices = [(choice_name(c), c.value) for c in app.quotes.suggest(typed, scope)]
        assert len(choices) <= 25
        for name, value in choices:
            assert len(name) <= 100 and len(value) <= 100
            assert not value.startswith(f"{services.secret}:")


@SERVICE_SETTINGS
@given(text=hostile_text, scope=scopes)
def test_ask_never_fails_nor_leaks(services: Harness, text: str, scope: Scope):
    app = services.app
    answer = services.call(lambda: app.answers.ask(text, scope=scope))
    assert answer is not None, "ask answers every question, if only with why it cannot"
    _outside(services, {p.letter_id for p in answer.passages})  # type: ignore[attr-defined]
    assert isinstance(answer.text, str) and answer.text  # type: ignore[attr-defined]
    services.call(lambda: app.answers.ask("opvang van kinderen", scope=scope, letter=text))


@SERVICE_SETTINGS
@given(text=hostile_text, scope=scopes, length=st.sampled_from([3, 5, 10, "7", -1, 0, 10**9]))
def test_summaries_never_fail_nor_leak(services: Harness, text: str, scope: Scope, length):
    app = services.app
    for kwargs in ({"topic": text}, {"letter": text}, {"length": text}, {"length": length}):
        summary = services.call(lambda kw=kwargs: app.summaries.summarize(scope=scope, **kw))
        if summary is not None:
            assert summary.letter.id != services.secret  # type: ignore[attr-defined]
            _outside(services, {c.letter_id for c in summary.sentences})  # type: ignore[attr-defined]


@SERVICE_SETTINGS
@given(text=hostile_text, scope=scopes)
def test_recommendations_and_topics_never_fail_nor_leak(services: Harness, text: str, scope: Scope):
    rs = services.app.recommendations
    for kwargs in ({"topic": text}, {"letter": text}, {"topic": text, "letter": "1"}):
        answer = services.call(lambda kw=kwargs: rs.recommendations(scope, **kw))
        if answer is not None:
            _outside(services, {r.letter_id for r in answer.recommendations})  # type: ignore[attr-defined]
    services.call(lambda: rs.topics(scope, letter=text))
    services.call(lambda: rs.resolve_topic(text, scope))

    async def resolve() -> object:  # Catalog.resolve answers from memory, at once
        return services.app.catalog.resolve(text, scope)

    record = services.call(resolve)
    if record is not None:
        _outside(services, {record.id})  # type: ignore[attr-defined]
    suggestions = rs.suggest_topics(text, scope)
    assert len(suggestions) <= 25
    secret_only = {slug for slug in rs.letter_topic_weights(services.secret)} - {
        slug for r in services.app.catalog.visible(scope) for slug in rs.letter_topic_weights(r.id)
    }
    assert not {slug for slug, _ in suggestions} & secret_only


@SERVICE_SETTINGS
@given(
    text=hostile_text,
    field=st.sampled_from(list(VALID_DIGEST_OPTIONS)),
)
def test_digest_options_are_validated(services: Harness, text: str, field: str):
    options = dict(VALID_DIGEST_OPTIONS)
    options[field] = [p for p in text.split(",") if p.strip()] if field == "topics" else text
    sub = services.call(
        lambda: services.digests.subscribe(kind="user", user_id=4242, guild_id=GUILD_B, **options)
    )
    if sub is not None:
        assert sub.guild_id == GUILD_B  # type: ignore[attr-defined]
        secret_topics = set(services.app.recommendations.letter_topic_weights(services.secret))
        visible = {
            slug
            for r in services.app.catalog.visible(Scope(guild_id=GUILD_B))
            for slug in services.app.recommendations.letter_topic_weights(r.id)
        }
        assert not set(sub.topics) & (secret_topics - visible)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- Discord


GENERIC_ERROR = re.compile("Something went wrong|Er ging iets mis")
CHAT_SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def chat(tmp_path: Path):
    async for env in start_env(tmp_path):
        rec = await env.services.letters.add_upload(
            secret_letter().text().encode(), filename="zeehonden.txt", guild_id=env.guild.id
        )
        env.secret = rec[0].id  # type: ignore[attr-defined]
        env.users = 0  # type: ignore[attr-defined]
        yield env


def fresh_user(env: Env, *, manager: bool = True):
    """A new member of guild B: the per-user cooldown and DM rate limit never interfere."""
    env.users += 1  # type: ignore[attr-defined]
    user = env.server.add_user(f"fuzz{env.users}")  # type: ignore[attr-defined]
    perms = Permissions.DEFAULT | (Permissions.MANAGE_GUILD if manager else 0)
    env.server.add_member(env.other_guild, user, permissions=perms)
    return user


def check_messages(env: Env, messages, typed: str) -> None:
    for m in messages:
        assert m.pinged == [], (typed, m.content)
        body = text_of(m)
        assert not GENERIC_ERROR.search(body), (typed, body)
        assert not MARKER_RE.search(without_echo(body, typed, words=True)), (typed, body)
        assert len(m.content or "") <= 2000


def _slash_cases(text: str, channel) -> list[tuple[str, dict]]:
    one_k = text[:1000] or "x"  # /quote and /ask take 1-1000 characters
    some = text or "x"
    return [
        ("quote", {"text": one_k}),
        ("quote", {"text": "opvang", "letter": some}),
        ("ask", {"question": one_k}),
        ("summary", {"topic": some}),
        ("summary", {"letter": some}),
        ("recommendations", {"topic": some}),
        ("recommendations", {"letter": some}),
        ("topics", {"letter": some}),
        ("letter remove", {"letter": some}),
        ("digest subscribe", {"time": some}),
        ("digest subscribe", {"time": "09:00", "timezone": some}),
        ("digest subscribe", {"time": "09:00", "topics": some}),
        ("digest set", {"channel": channel, "time": some}),
        ("digest set", {"channel": channel, "time": "07:00", "timezone": some, "topics": some}),
        ("summary", {"letter": "1", "topic": some, "length": 10}),
        ("recommendations", {"topic": some, "letter": some}),
    ]


SLASH_CASES = len(_slash_cases("x", None))


@CHAT_SETTINGS
@given(
    text=hostile_text,
    which=st.integers(0, SLASH_CASES - 1),
    locale=st.sampled_from(["en-US", "nl"]),
)
async def test_slash_commands_over_generated_options(chat: Env, text: str, which: int, locale):
    command, options = _slash_cases(text, chat.other_channel)[which]
    rec = await chat.run(
        command, options, user=fresh_user(chat), channel=chat.other_channel, locale=locale
    )
    messages = [m for m in [rec.message, *rec.followups] if m is not None]
    assert messages, (command, options)
    check_messages(chat, messages, text)
    assert chat.server.protocol_errors == []
    assert chat.secret in chat.services.catalog.by_id  # type: ignore[attr-defined]


@CHAT_SETTINGS
@given(
    text=hostile_text,
    where=st.sampled_from(
        [
            ("quote", "text"),
            ("quote", "letter"),
            ("summary", "letter"),
            ("summary", "topic"),
            ("recommendations", "topic"),
            ("topics", "letter"),
            ("letter remove", "letter"),
            ("digest subscribe", "topics"),
        ]
    ),
)
async def test_autocomplete_over_generated_input(chat: Env, text: str, where):
    command, option = where
    rec = await chat.server.autocomplete(
        command, option, text[:100], user=fresh_user(chat), channel=chat.other_channel
    )
    await chat.server.wait_for_response(rec, timeout=10)
    assert rec.response_type == 8
    assert len(rec.choices) <= 25
    secret = chat.secret  # type: ignore[attr-defined]
    for c in rec.choices:
        assert 1 <= len(c["name"]) <= 100 and len(str(c["value"])) <= 100
        assert str(c["value"]) != str(secret) and not str(c["value"]).startswith(f"{secret}:")
        assert not MARKER_RE.search(without_echo(c["name"], text, words=True))


@CHAT_SETTINGS
@given(text=hostile_text)
async def test_direct_messages_over_generated_text(chat: Env, text: str):
    user = fresh_user(chat)
    await chat.server.send_dm(user, text)
    await chat.server.wait_for_message(user, timeout=20)
    await chat.server.settle(0.05, timeout=20)
    messages = chat.server.messages(user, from_bot=True)
    assert 1 <= len(messages) <= 3
    check_messages(chat, messages, text)
