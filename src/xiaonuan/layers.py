"""Old home of the prepared moving layers, kept importable: they now live in canvas/layers.py."""

from xiaonuan.canvas.draw import wrap_text  # noqa: F401
from xiaonuan.canvas.layers import *  # noqa: F401,F403
