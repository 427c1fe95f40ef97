"""Speed-ups must not change what the parser and the analysis decide: this tree against another
revision, document by document.

    python bench/parse_identity.py [--against REV] [--synthetic 200]

Parses every corpus letter (clean .txt, its damaged form, the .pdf), the evaluation documents
(``bench/eval/documents/*/``) and ``--synthetic`` generated letters with this tree and with
``REV`` (default: where this branch left ``main``, so rule changes merged since do not count),
each in a child process, and compares per document: the parsed letter (metadata, sections,
sentences with offsets, repairs, genre) and its recommendations and topics
(``bot.services.recommendations.analyse_letter``). Prints the documents that differ and exits
1 if any does.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from common import REPO, baseline_tree, child_json, corpus_dir

# The child puts the tree under test first on sys.path and imports nothing of this one.
_CHILD = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from ingest_child import parse_digests
import bot
assert bot.__file__.startswith(sys.argv[1]), bot.__file__
print(json.dumps(parse_digests(sys.argv[3], sys.argv[4], sys.argv[5])))
"""


def _run(root: Path, synthetic: str) -> dict[str, str]:
    bench = str(Path(__file__).resolve().parent)
    dev = REPO / "bench/eval/documents/dev"
    return child_json(_CHILD, root, bench, corpus_dir() or "", dev, synthetic, cwd=root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--against", help="git revision (default: the merge base with main)")
    parser.add_argument("--synthetic", type=int, default=200, metavar="N")
    args = parser.parse_args()
    rev = args.against or subprocess.run(
        ["git", "merge-base", "HEAD", "main"], capture_output=True, text=True, check=True,
        cwd=REPO,
    ).stdout.strip()  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = ""
        if args.synthetic:
            from ingest_speed import write_synthetic_files

            write_synthetic_files(args.synthetic, Path(tmp) / "synthetic")
            synthetic = str(Path(tmp) / "synthetic")
        old = _run(baseline_tree(rev, Path(tmp)), synthetic)
        new = _run(REPO, synthetic)
    differ = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    print(f"{len(new)} documents parsed and analysed by this tree and by {rev[:12]}")
    for name in differ:
        print(f"  differs: {name}")
    print("identical" if not differ else f"{len(differ)} differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
