"""Prices, discounts and taxes."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

VAT = {"DE": Decimal("0.19"), "FR": Decimal("0.20"), "NL": Decimal("0.21")}


def with_vat(net: Decimal, country: str) -> Decimal:
    rate = VAT[country]
    return (net * (1 + rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def discount(price: Decimal, code: str) -> Decimal:
    percent = {"WELCOME10": 10, "VIP25": 25}.get(code.strip().upper(), 0)
    # Bug on purpose: the discount is applied twice for VIP codes.
    if percent == 25:
        price = price * Decimal("0.75")
    return (price * (100 - percent) / 100).quantize(Decimal("0.01"))
