"""The facts a rule may read and a profile may give (labels, types, units, allowed values)."""

from huiqi.corpus import get_corpus
from huiqi.vocab.catalogue import EventType, Fact, Vocabulary, load_vocabulary
from huiqi.vocab.profile import Event, PriorAward, Profile, parse_profile, read_profile_file

__all__ = [
    "Event",
    "EventType",
    "Fact",
    "PriorAward",
    "Profile",
    "Vocabulary",
    "get_vocabulary",
    "load_vocabulary",
    "parse_profile",
    "read_profile_file",
]

_CACHE: dict[int, Vocabulary] = {}


def get_vocabulary() -> Vocabulary:
    """The vocabulary of the corpus in effect (the first corpus that ships one)."""
    corpus = get_corpus()
    if id(corpus) not in _CACHE:
        regions = tuple(r.name for r in corpus.regions)
        source = next(s for s in corpus.sources if (s.root / "vocabulary.yaml").is_file())
        _CACHE[id(corpus)] = load_vocabulary(source, regions)
    return _CACHE[id(corpus)]
