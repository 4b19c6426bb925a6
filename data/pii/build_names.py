"""Build the name lists that de-identification looks names up in (src/themes/data/*_names.txt).

Source: the person-name lists of Faker's 80-odd locales (MIT licence), romanised forms where a locale
has them, folded to lowercase ASCII ("Nguyễn" -> "nguyen"), Latin-script names only. Faker is needed
only to rebuild the lists, not to run themes:

    pip install --target /tmp/fakerlib faker==40.54.0
    PYTHONPATH=/tmp/fakerlib python data/pii/build_names.py
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
from themes.names import fold  # noqa: E402

import faker.providers.person as person  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "src" / "themes" / "data"
FIRST = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary",
         "first_romanized_names", "first_romanized_names_male", "first_romanized_names_female")
LAST = ("last_names", "last_names_male", "last_names_female", "last_romanized_names", "last_names_nonbinary")
WORD = re.compile(r"[a-z][a-z']+")


def names(provider, attributes) -> set[str]:
    found = set()
    for attribute in attributes:
        value = getattr(provider, attribute, None)
        if not isinstance(value, (dict, list, tuple, set, frozenset)):
            continue
        for name in (value.keys() if isinstance(value, dict) else value or ()):
            for part in re.split(r"[\s-]+", fold(str(name))):
                if WORD.fullmatch(part) and len(part) > 1:
                    found.add(part)
    return found


def main() -> None:
    first, last = set(), set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"faker.providers.person.{module.name}").Provider
        first |= names(provider, FIRST)
        last |= names(provider, LAST)
    OUT.mkdir(parents=True, exist_ok=True)
    header = "# Built by data/pii/build_names.py from Faker's person-name lists (MIT); lowercase ASCII.\n"
    (OUT / "first_names.txt").write_text(header + "\n".join(sorted(first)) + "\n", encoding="utf-8")
    (OUT / "last_names.txt").write_text(header + "\n".join(sorted(last)) + "\n", encoding="utf-8")
    print(f"{len(first)} first names, {len(last)} last names")


if __name__ == "__main__":
    main()
