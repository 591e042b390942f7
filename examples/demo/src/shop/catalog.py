"""A catalog client that reads product data from an HTTP API (replayed from cassettes in tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class CatalogClient:
    def __init__(self, cassette: Path) -> None:
        self.responses: dict[str, Any] = json.loads(cassette.read_text())

    def product(self, sku: str) -> dict[str, Any]:
        body: dict[str, Any] = self.responses[f"GET /products/{sku}"]
        return body
