#!/usr/bin/env python3
"""Regenerate the reference docs from the code (tests/test_docs.py checks they are current)."""

from pathlib import Path

from huiqi.cli import app
from huiqi.docgen import write_all

for path in write_all(app, Path(__file__).resolve().parent.parent):
    print(f"wrote {path}")
