"""The domain core: plain Python over plain data, with no pytest import anywhere below here."""
