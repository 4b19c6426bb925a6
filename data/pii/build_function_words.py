"""Build the list of Spanish, Portuguese, French and Italian function words (src/themes/data/function_words.txt):
spaCy's stop-word lists for those languages, folded to lowercase ASCII. `themes.names` reads them as no part of a
name, but for those that are given names too ("dan", "sean", "ella") and a few family names ("bravo", "diez"),
which it tells apart in code. Importing spaCy's language packages to read them took 2.4 s in every run; the list
ships instead. Rebuild with:

    .venv/bin/python data/pii/build_function_words.py
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
from themes.names import fold  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "src" / "themes" / "data" / "function_words.txt"


def main() -> None:
    import spacy

    words: set[str] = set()
    for language in ("es", "pt", "fr", "it"):
        words |= {fold(w) for w in importlib.import_module(f"spacy.lang.{language}.stop_words").STOP_WORDS}
    kept = sorted(w for w in words if w)
    header = (f"# Built by data/pii/build_function_words.py from spaCy {spacy.__version__}'s stop words (es, pt, fr, "
              "it); lowercase ASCII.\n")
    OUT.write_text(header + "\n".join(kept) + "\n", encoding="utf-8")
    print(f"{len(kept)} words -> {OUT}")


if __name__ == "__main__":
    main()
