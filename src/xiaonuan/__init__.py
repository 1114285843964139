"""Xiaonuan (小暖): a script becomes a presenter video, offline.

    import xiaonuan
    result = xiaonuan.render("今天天气很好。", out="out/hello.mp4")
    result = xiaonuan.render(xiaonuan.RenderRequest("今天天气很好。", template="studio"))

Nothing runs at import; stages load their dependencies when used.
"""

from .errors import XiaonuanError
from .render import RenderRequest, RenderResult, render

__all__ = ["RenderRequest", "RenderResult", "XiaonuanError", "__version__", "render"]
__version__ = "0.1.0"
