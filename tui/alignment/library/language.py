"""Languages of documents: names and codes made one ISO 639 code, and detection by py3langid."""

from __future__ import annotations

from functools import cache
from typing import Any

MIN_TEXT = 40  # characters below which a guess is not worth making
MIN_PROBABILITY = 0.5  # a detected language below this is left unknown
SAMPLE = 4000  # characters of a document read to guess its language

# BibLaTeX (babel and polyglossia) names and common endonyms that ISO 639 does not list.
_NAMES = {
    "american": "en", "british": "en", "usenglish": "en", "ukenglish": "en", "canadian": "en",
    "australian": "en", "newzealand": "en", "ngerman": "de", "austrian": "de",
    "naustrian": "de", "swissgerman": "de", "nswissgerman": "de", "deutsch": "de",
    "francais": "fr", "français": "fr", "acadian": "fr", "canadien": "fr", "brazil": "pt",
    "brazilian": "pt", "portuges": "pt", "português": "pt", "español": "es",
    "castellano": "es", "italiano": "it", "nederlands": "nl", "dutch": "nl", "swahili": "sw",
    "kiswahili": "sw", "nynorsk": "nn", "bokmal": "nb", "norsk": "no", "mexican": "es",
    "spanishmx": "es", "russian": "ru", "chinese": "zh", "mandarin": "zh",
}


def language_code(name: str) -> str:
    """'English', 'ngerman', 'deu' or 'fr' -> 'en', 'de', 'de', 'fr'; unknown names casefolded."""
    text = name.strip().casefold().replace("-", "").replace("_", "")
    if not text:
        return ""
    if text in _NAMES:
        return _NAMES[text]
    import pycountry  # 50 ms: only when a name is to be read

    languages = pycountry.languages
    found = (languages.get(alpha_2=text) if len(text) == 2 else
             languages.get(alpha_3=text) or languages.get(bibliographic=text)
             if len(text) == 3 else None)
    try:  # a name ('German'); lookup() alone would read 'en' as the language called En
        found = found or languages.lookup(name.strip())
    except LookupError:
        return text
    return str(getattr(found, "alpha_2", None) or found.alpha_3)


def language_name(code: str) -> str:
    """'de' -> 'German'; a code pycountry does not know is returned as it is."""
    import pycountry

    try:
        found = pycountry.languages.lookup(code)
    except LookupError:
        return code
    return str(found.name)


@cache
def _identifier() -> Any:
    """py3langid's model, loaded once (about a second): only when a guess is needed."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> str:
    """The language a text is written in ('en'), '' when it is too short or unclear.

    py3langid (langid.py's model, 97 languages) is deterministic: the same text always
    gives the same answer.
    """
    sample = " ".join(text[:SAMPLE].split())
    if len(sample) < MIN_TEXT:
        return ""
    code, probability = _identifier().classify(sample)
    return str(code) if probability >= MIN_PROBABILITY else ""
