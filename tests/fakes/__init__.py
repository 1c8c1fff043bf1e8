"""Fake accounting APIs for tests: real HTTP servers on 127.0.0.1 speaking the fixtures' shapes."""
