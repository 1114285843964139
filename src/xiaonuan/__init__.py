"""Xiaonuan (小暖): a script becomes a presenter video, offline.

    import xiaonuan
    result = xiaonuan.render("今天天气很好。", out="out/hello.mp4")

Nothing runs at import; stages load their dependencies when used.
"""

from .errors import XiaonuanError
from .render import RenderResult, render

__all__ = ["RenderResult", "XiaonuanError", "__version__", "render"]
__version__ = "0.1.0"
