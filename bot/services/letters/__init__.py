"""Letters in and out: reading files from strangers, ingesting them, the letter service.

- :mod:`.files`: names shown safely, files read with a cap, folders expanded;
- :mod:`.reading`: the letters in a file's bytes (PDF in a child process: :mod:`.pdf_reader`);
- :mod:`.ingest`: storing them, one report line per file;
- :mod:`.service`: :class:`LetterService`, the only way letters enter or leave the catalog and
  the indexes.
"""

from __future__ import annotations

from bot.core.models import LetterError
from bot.services.letters.files import (
    EXTENSIONS,
    MAX_FILE_BYTES,
    Expansion,
    display_name,
    expand_paths,
    read_file,
    slugify,
)
from bot.services.letters.ingest import (
    MAX_UPLOAD_SENTENCES,
    ingest_paths,
    ingest_upload,
    letter_view,
    store_part,
    stored_copy,
)
from bot.services.letters.pdf_reader import extract_pdf_isolated
from bot.services.letters.reading import (
    FILE_SECONDS,
    MAX_LETTERS_PER_FILE,
    PDF_WORKER_MEMORY,
    SAME_LETTER,
    Part,
    Reading,
    parse_bytes,
    read_letters,
    same_letter,
)
from bot.services.letters.report import Ingested, IngestReport, LetterView, Refused, Warned
from bot.services.letters.service import LetterService

__all__ = [
    "EXTENSIONS",
    "FILE_SECONDS",
    "MAX_FILE_BYTES",
    "MAX_LETTERS_PER_FILE",
    "MAX_UPLOAD_SENTENCES",
    "PDF_WORKER_MEMORY",
    "SAME_LETTER",
    "Expansion",
    "IngestReport",
    "Ingested",
    "LetterError",
    "LetterService",
    "LetterView",
    "Part",
    "Reading",
    "Refused",
    "Warned",
    "display_name",
    "expand_paths",
    "extract_pdf_isolated",
    "ingest_paths",
    "ingest_upload",
    "letter_view",
    "parse_bytes",
    "read_file",
    "read_letters",
    "same_letter",
    "slugify",
    "store_part",
    "stored_copy",
]
