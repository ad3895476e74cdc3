"""Matchmaking engine (no Flask dependency): see ml/README.md and :class:`ml.matcher.Matcher`.

Importing the package is cheap: the embedding model loads on first use (``get_encoder``).
"""
