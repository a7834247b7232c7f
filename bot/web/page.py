"""The web page and the API docs page: HTML with {{key}} slots filled from the web catalogs."""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from bot.i18n import LANGUAGES, catalog, t
from bot.web.errors import ApiError, request_language

PAGES_DIR = Path(__file__).resolve().parent / "pages"
STATIC_DIR = Path(__file__).resolve().parent / "static"
# Where the quick-exit button goes: an everyday site, as Veilig Thuis does.
QUICK_EXIT_URL = "https://www.buienradar.nl/"
# Catalog prefixes the page's script needs: its own texts and the answer card's labels.
PAGE_TEXT_PREFIXES = ("web.", "answer.", "contact.")
_SLOT = re.compile(r"\{\{\s*([a-z0-9_.]+)\s*\}\}")


@cache
def render_page(name: str, lang: str, max_text: int) -> str:
    """PAGES_DIR/NAME with every {{slot}} filled (HTML-escaped) in LANG."""
    other = "en" if lang == "nl" else "nl"
    special = {
        "lang": lang,
        "other_lang": other,
        "max_text": str(max_text),
        "quick_exit_url": QUICK_EXIT_URL,
    }
    source = (PAGES_DIR / name).read_text("utf-8")

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        return html.escape(special[key] if key in special else t(key, lang), quote=True)

    return _SLOT.sub(fill, source)


def page_texts(lang: str) -> dict[str, str]:
    """The texts the page's script shows, in LANG."""
    found = catalog(lang).items()
    return {k: v for k, v in found if k.startswith(PAGE_TEXT_PREFIXES) and isinstance(v, str)}


class Pages:
    """The HTML endpoints."""

    def __init__(self, max_text: int) -> None:
        self.max_text = max_text

    def _html(self, request: Request, name: str) -> Response:
        lang = request_language(request.headers, request.query_params)
        return HTMLResponse(
            render_page(name, lang, self.max_text),
            headers={"content-language": lang, "vary": "accept-language"},
        )

    async def index(self, request: Request) -> Response:
        """GET /: the chat page."""
        return self._html(request, "index.html")

    async def docs(self, request: Request) -> Response:
        """GET /docs: the API reference, drawn from /openapi.json."""
        return self._html(request, "docs.html")

    async def texts(self, request: Request) -> Response:
        """GET /i18n/{lang}.json: the page's texts in one language."""
        lang = request.path_params["lang"]
        if lang not in LANGUAGES:
            raise ApiError(404, "not_found")
        return JSONResponse(page_texts(lang))
