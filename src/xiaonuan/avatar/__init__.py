"""Avatar packs: the pack on disk and its loading (pack), enrolment of a clip or photo (enrol), the loop
plan (loop), reading the pack's video (reader), face-aware framing (framing), the contact sheet
(sheet). Below it: face/ (landmarks, warps, mouth samples, matte). Above it: animate.py, render.py.
"""
