"""Xiaonuan: a script becomes a presenter video, offline."""

__version__ = "0.1.0"
