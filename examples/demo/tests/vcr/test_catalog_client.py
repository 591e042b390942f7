from pathlib import Path

import pytest

from shop.catalog import CatalogClient

CASSETTE = Path(__file__).parent / "cassettes" / "catalog.json"


@pytest.fixture
def client():
    return CatalogClient(CASSETTE)


def test_known_product(client):
    assert client.product("A-1")["name"] == "Mug"


def test_product_added_after_recording(client):
    # The cassette predates product C-3: this fails until it is re-recorded.
    assert client.product("C-3")["name"] == "Lamp"
