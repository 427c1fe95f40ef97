"""The measuring side of ``bench/ingest_speed.py --synthetic``, run in a fresh process on the
tree under test (which it finds first on ``sys.path``): nothing here imports the bench's own
tree."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that ended (the reading processes are
    joined at the end of an ingest): what the work cost, whatever else the machine ran."""
    import resource

    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


async def archive_run(folder: str, db: str, new: bool) -> dict[str, float]:
    """In a fresh process: ingest every file of ``folder`` into a new store with the indexes
    built (as the bot holds them). ``new``: this tree's path (answerable first, then the
    vector catch-up measured on its own); else today's (vectors computed inline)."""
    import os

    from bot.services.app import Services
    from bot.services.scope import OPERATOR
    from bot.settings import Settings

    settings = Settings(BRIEFBOT_DB=db, BRIEFBOT_LETTERS_DIR=folder)
    app = await Services.open(settings, seed=False)
    import bot

    out: dict[str, float] = {}
    assert bot.__file__.startswith(sys.path[0]), bot.__file__  # the tree under test
    try:
        if new:
            await app.warm(vectors=False)
        else:
            await app.warm()
        files = await asyncio.to_thread(lambda: sorted(Path(folder).glob("*.txt")))
        cpu = _cpu_seconds()
        t = time.perf_counter()
        if new:
            report = await app.letters.add_path([folder], vectors="later")
        else:
            report = await app.letters.add_path([folder])
        out["ingest_s"] = time.perf_counter() - t
        out["ingest_cpu_s"] = _cpu_seconds() - cpu  # this process and its reading processes
        out["letters"] = len(report.ingested)
        out["errors"] = len(report.errors)
        added = {i.letter.id: i.letter for i in report.ingested if i.status == "added"}
        out["added"] = len(added)  # a generated letter may repeat most of another: unchanged
        out["sentences"] = sum(r.sentence_count for r in added.values())
        out["files"] = len(files)
        # answerable: the last letter's sentence is found by quote lookup and by a question
        last = max(app.catalog.by_id)
        probe = (await app.store.letters.sentences(last))[3].text
        (hit, *_) = await app.quotes.find(probe[:80], scope=OPERATOR)
        out["quote_found"] = float(hit.letter_id == last)
        answer = await app.answers.ask(probe[:120], scope=OPERATOR)
        out["ask_found"] = float(answer.found and answer.passages[0].letter_id == last)
        if new:
            out["pending"] = app.answers.pending().pending_sentences
            t = time.perf_counter()
            cpu = _cpu_seconds()
            await app.answers.backfill(workers=os.cpu_count() or 1)
            out["vectors_s"] = time.perf_counter() - t
            out["vectors_cpu_s"] = _cpu_seconds() - cpu
            out["embedded"] = app.answers.embedded_sentences
            out["pending_after"] = app.answers.pending().pending_sentences
    finally:
        await app.close()
    return out


def _identity_inputs(corpus: str, dev: str, synthetic: str) -> list[tuple[str, bytes]]:
    """(name, bytes) of every document compared."""
    out: list[tuple[str, bytes]] = []
    if corpus:
        folder = Path(corpus)
        for p in sorted(folder.glob("*.txt")) + sorted(folder.glob("*.pdf")):
            out.append((f"corpus/{p.name}", p.read_bytes()))
    for p in sorted(Path(dev).glob("*.txt")):
        out.append((f"eval/dev/{p.name}", p.read_bytes()))
    if synthetic:
        for p in sorted(Path(synthetic).glob("*.txt")):
            out.append((f"synthetic/{p.name}", p.read_bytes()))
    return out


def parse_digests(corpus: str, dev: str, synthetic: str) -> dict[str, str]:
    """Per document, a digest of everything the parse and the analysis decide (run in the
    tree under test: imports come from the first entry of ``sys.path``)."""
    import dataclasses
    import hashlib
    import json

    from bot.core.models import LetterError
    from bot.core.text import damage
    from bot.services.letters.reading import read_letters
    from bot.services.recommendations import analyse_letter
    from bot.store.records import SentenceRecord

    out: dict[str, str] = {}
    for name, data in _identity_inputs(corpus, dev, synthetic):
        forms = [(name, data)]
        if name.startswith("corpus/") and name.endswith(".txt"):
            forms.append((name + "#damaged", damage(data.decode("utf-8", "replace")).encode()))
        for shown, blob in forms:
            try:
                reading = read_letters(blob, name=shown.split("#")[0], isolate=False)
            except LetterError as exc:
                out[shown] = f"refused: {exc}"
                continue
            parts = []
            for part in reading.parts:
                p = part.parsed
                records = [
                    SentenceRecord(
                        id=s.number,
                        letter_id=1,
                        number=s.number,
                        section_id=s.section,
                        section_heading=p.sections[s.section].heading,
                        page=s.page,
                        start_offset=s.start,
                        end_offset=s.end,
                        text=s.text,
                        original=s.original,
                        norm=s.norm,
                    )
                    for s in p.sentences
                ]
                analysis = analyse_letter(records, p.metadata.subject, p.metadata.sender)
                fields = dataclasses.asdict(p)
                fields.pop("original")
                parts.append([part.number, part.content_hash, fields, repr(analysis)])
            said = [reading.letters, [str(e) for e in reading.problems]]
            said.append([n.detail for n in reading.notes])
            text = json.dumps([parts, said], sort_keys=True, default=repr)
            out[shown] = hashlib.sha256(text.encode()).hexdigest()
    return out
