"""The facts a rule may read and a profile may give (labels, types, units, allowed values)."""

from huiqi.corpus import Corpus, get_corpus
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
    "vocabulary_for",
]

_CACHE: dict[int, Vocabulary] = {}


def get_vocabulary() -> Vocabulary:
    """The vocabulary of the corpus in effect (the first corpus that ships one)."""
    return vocabulary_for(get_corpus())


def vocabulary_for(corpus: Corpus) -> Vocabulary:
    """The vocabulary of ``corpus`` (loaded once)."""
    vocab = _CACHE.get(id(corpus))
    if vocab is None:
        regions = tuple(r.name for r in corpus.regions)
        source = next(s for s in corpus.sources if (s.root / "vocabulary.yaml").is_file())
        vocab = _CACHE[id(corpus)] = load_vocabulary(source, regions)
    return vocab
