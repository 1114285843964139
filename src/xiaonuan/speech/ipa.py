"""Kokoro's IPA marks: symbols that are not sounds of their own but colour the sound before them."""

# Tone arrows (misaki's Mandarin tones 1-4 as → ↗ ↓ ↘), aspiration, length, stress, palatalisation, nasal.
MARKS = frozenset("↓→↗↘ʰːˈˌʲ\u0303")
TONES = {"→": 1, "↗": 2, "↓": 3, "↘": 4}
