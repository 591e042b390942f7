def test_addition() -> None:
    assert 1 + 1 == 2


def test_multiplication() -> None:
    assert 3 * 4 == 12
