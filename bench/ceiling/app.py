"""The ceiling: the cheapest pages Quart on hypercorn can serve, for comparison.

``/static/<size>`` returns a fixed HTML page of ``size`` bytes (no template, no database),
so it can match the size of each forum page measured. ``/jinja`` renders a 50-item list
template with no database. Serve it the way ``forum serve`` serves the forum, in one
process:

    .venv/bin/python bench/ceiling/app.py --port 8100
"""

import argparse
import asyncio
from pathlib import Path

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, Response, render_template

app = Quart(__name__, template_folder=str(Path(__file__).resolve().parent / "templates"))
app.jinja_env.auto_reload = False
_static_pages: dict[int, bytes] = {}
MAX_STATIC_BYTES = 2 * 1024 * 1024

ITEMS = [
    {
        "id": number,
        "title": f"How do other councils count re-referrals within 12 months? ({number})",
        "slug": f"how-do-other-councils-count-re-referrals-{number}",
        "area": "Children in Need census",
        "replies": number * 7 % 41,
        "author": f"Member {number * 37 % 2000}",
        "solved": number % 3 == 0,
    }
    for number in range(1, 51)
]


def _static_page(size: int) -> bytes:
    """Build an HTML page of exactly ``size`` bytes, once per size."""
    if size not in _static_pages:
        head = b"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Ceiling</title></head><body><main>"
        tail = b"</main></body></html>"
        line = b"<p>A paragraph of filler text, the same on every line of this page.</p>\n"
        filler = (line * (size // len(line) + 1))[: max(size - len(head) - len(tail), 0)]
        _static_pages[size] = head + filler + tail
    return _static_pages[size]


@app.get("/static/<int:size>")
async def static_page(size: int) -> Response:
    size = min(size, MAX_STATIC_BYTES)
    return Response(_static_page(size), content_type="text/html; charset=utf-8")


@app.get("/jinja")
async def jinja_page() -> str:
    return await render_template("list.html", items=ITEMS, heading="Latest threads")


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the ceiling app with hypercorn.")
    parser.add_argument("--port", type=int, default=8100, help="Port on 127.0.0.1.")
    parser.add_argument(
        "--event-loop", choices=["uvloop", "asyncio"], default="uvloop",
        help="Event loop to serve on; forum serve uses uvloop when it is installed.",
    )
    args = parser.parse_args()
    config = Config()
    config.bind = [f"127.0.0.1:{args.port}"]
    config.accesslog = None
    if args.event_loop == "uvloop":
        import uvloop

        uvloop.run(serve(app, config))
    else:
        asyncio.run(serve(app, config))


if __name__ == "__main__":
    main()
