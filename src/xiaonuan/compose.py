"""Old home of the compositor, kept importable: everything now lives in the canvas/ package."""

from xiaonuan.canvas import *  # noqa: F401,F403
from xiaonuan.canvas import __all__  # noqa: F401
