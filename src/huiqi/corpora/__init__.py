"""Corpus packages shipped with huiqi (each registered through the ``huiqi.corpora`` entry point)."""
