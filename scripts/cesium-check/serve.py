"""Serve a tileset and CesiumJS for scripts/cesium-check/run.sh; the page POSTs what Cesium read.

Usage: python serve.py WWW_DIR RESULT_FILE [PORT]
"""

from __future__ import annotations

import functools
import http.server
import sys
from pathlib import Path


class _Handler(http.server.SimpleHTTPRequestHandler):
    result = Path("result.jsonl")

    def do_POST(self) -> None:
        n = int(self.headers.get("Content-Length", 0))
        with self.result.open("ab") as f:
            f.write(self.rfile.read(n) + b"\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    www, result = sys.argv[1], Path(sys.argv[2])
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 8765
    _Handler.result = result
    handler = functools.partial(_Handler, directory=www)
    http.server.ThreadingHTTPServer(("127.0.0.1", port), handler).serve_forever()


if __name__ == "__main__":
    main()
