"""Errors raised by Xiaonuan; every message names the problem and the fix.

    XiaonuanError
     ├── InputError            the user's input cannot be used (CLI exit code 2)
     │    ├── ScriptError      empty or unreadable script
     │    ├── VoiceError       unknown voice name
     │    ├── TemplateError    unknown or invalid template
     │    ├── AvatarError      unknown or invalid avatar pack
     │    └── OutputError      the output cannot go where asked (a folder, read-only, an input's name)
     ├── BackendError          a backend failed on good input
     │    ├── SpeechEngineError
     │    ├── FaceNotFound
     │    └── DependencyError  a program a feature needs is not installed (the message names the package)
     └── RenderError           the render could not be completed
          └── EncodeError      ffmpeg failed or the output could not be written

The CLI and UI catch XiaonuanError at the edge and show its message; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations


class XiaonuanError(Exception):
    """Base of every error Xiaonuan raises on purpose."""


class InputError(XiaonuanError):
    """The user's input cannot be used as given."""


class ScriptError(InputError):
    """The script is empty, unreadable or malformed."""


class VoiceError(InputError):
    """The voice name is unknown or malformed."""


class TemplateError(InputError):
    """The template is unknown or its files are invalid."""


class AvatarError(InputError):
    """The avatar pack is unknown or invalid."""


class OutputError(InputError):
    """The output path cannot be used: a folder, a read-only place, or the name of one of the inputs. Every
    command's bad output path is this one class, so all of them exit with the same code (2)."""


class BackendError(XiaonuanError):
    """A backend failed on input that looked valid."""


class SpeechEngineError(BackendError):
    """The speech engine could not synthesise the text."""


class FaceNotFound(BackendError):
    """No face was found where one was needed."""


class DependencyError(BackendError):
    """A program or package a feature needs is not installed (e.g. LibreOffice for PPTX decks)."""


class RenderError(XiaonuanError):
    """The render could not be completed."""


class EncodeError(RenderError):
    """ffmpeg failed or the output file could not be written."""
