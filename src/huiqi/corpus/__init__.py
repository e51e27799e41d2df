"""The documents as data: metadata, original text, normalised passages (see ARCHITECTURE.md)."""

from huiqi.corpus.load import Corpus, Region, get_corpus, load_corpus
from huiqi.corpus.models import Document, DocumentMeta, Passage, Section, Status

__all__ = [
    "Corpus",
    "Document",
    "DocumentMeta",
    "Passage",
    "Region",
    "Section",
    "Status",
    "get_corpus",
    "load_corpus",
]
