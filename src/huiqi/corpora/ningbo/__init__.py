"""宁波: the five documents huiqi starts with, their metadata, rules and example firms."""

from pathlib import Path

from huiqi.corpus.registry import CorpusSource

CORPUS = CorpusSource(name="ningbo", label="宁波", root=Path(__file__).resolve().parent)
