from decimal import Decimal

from shop.cart import Cart
from shop.pricing import discount, with_vat


def test_checkout_total_for_germany():
    cart = Cart()
    cart.add("A-1", 2, Decimal("7.50"))
    cart.add("B-2", 1, Decimal("12.00"))
    assert with_vat(cart.total(), "DE") == Decimal("32.13")


def test_checkout_with_welcome_code():
    cart = Cart()
    cart.add("B-2", 1, Decimal("12.00"))
    assert discount(with_vat(cart.total(), "FR"), "WELCOME10") == Decimal("12.96")
