from decimal import Decimal

import pytest

from shop.cart import Cart


def test_total_of_empty_cart():
    assert Cart().total() == 0


def test_adding_twice_sums_quantities():
    cart = Cart()
    cart.add("A-1", 1, Decimal("2.50"))
    cart.add("A-1", 2, Decimal("2.50"))
    assert cart.lines["A-1"][0] == 3
    assert cart.total() == Decimal("7.50")


@pytest.mark.parametrize("qty", [0, -1])
def test_rejects_non_positive_quantities(qty):
    with pytest.raises(ValueError, match="quantity must be positive"):
        Cart().add("A-1", qty, Decimal("1"))
