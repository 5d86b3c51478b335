"""The cyclic collector is paused for a block and left as it was found, even on an error:
a pause that leaked would leave a long-running server without cycle collection."""

from __future__ import annotations

import gc

import pytest

from vacate.collector import paused


def test_the_collector_is_off_inside_and_back_on_after_even_when_the_block_fails() -> None:
    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_pause_inside_a_pause_does_not_turn_the_collector_on_early() -> None:
    with paused():
        with paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_someone_turned_off_stays_off() -> None:
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
