"""A shopping cart."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Cart:
    lines: dict[str, tuple[int, Decimal]] = field(default_factory=dict)

    def add(self, sku: str, qty: int, price: Decimal) -> None:
        if qty <= 0:
            raise ValueError(f"quantity must be positive, got {qty}")
        old_qty, _ = self.lines.get(sku, (0, price))
        self.lines[sku] = (old_qty + qty, price)

    def total(self) -> Decimal:
        return sum((qty * price for qty, price in self.lines.values()), Decimal("0"))
