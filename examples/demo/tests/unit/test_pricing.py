from decimal import Decimal

import pytest

from shop.pricing import discount, with_vat


@pytest.mark.parametrize(("country", "expected"), [("DE", "11.90"), ("FR", "12.00"), ("NL", "12.10")])
def test_with_vat(country, expected):
    assert with_vat(Decimal("10.00"), country) == Decimal(expected)


def test_welcome_code():
    assert discount(Decimal("50.00"), " welcome10 ") == Decimal("45.00")


def test_vip_code():
    assert discount(Decimal("100.00"), "VIP25") == Decimal("75.00")


def test_unknown_code_is_ignored():
    assert discount(Decimal("9.99"), "NOPE") == Decimal("9.99")
