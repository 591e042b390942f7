"""A toy shop used by pytest-uok's demo suite."""
