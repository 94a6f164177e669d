import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from sparsekit._core.threads import blas_threads_for_small_blocks, small_block_threads, small_blocks


def _blas_threads():
    return max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")


def test_small_blocks_pins_the_blas_and_restores_it():
    np.ones((2, 2)) @ np.ones((2, 2))  # load the BLAS before reading its pools
    before = _blas_threads()
    seen = small_blocks(_blas_threads)()
    assert seen == 1
    assert _blas_threads() == before


def test_override_by_context_environment_and_off(monkeypatch):
    with small_block_threads(2):
        assert blas_threads_for_small_blocks() == 2
        with small_block_threads("off"):
            assert blas_threads_for_small_blocks() == "off"
            assert small_blocks(_blas_threads)() == _blas_threads()  # left alone
        assert blas_threads_for_small_blocks() == 2
    monkeypatch.setenv("SPARSEKIT_BLAS_THREADS", "3")
    assert blas_threads_for_small_blocks() == 3
    monkeypatch.setenv("SPARSEKIT_BLAS_THREADS", "many")
    with pytest.raises(ValueError, match="SPARSEKIT_BLAS_THREADS"):
        blas_threads_for_small_blocks()


def test_nested_calls_limit_once_and_threads_do_not_share_contexts():
    calls = []
    inner = small_blocks(lambda: calls.append(_blas_threads()))
    small_blocks(inner)()
    assert calls == [1]
    seen = []
    with small_block_threads(4):
        worker = threading.Thread(target=lambda: seen.append(blas_threads_for_small_blocks()))
        worker.start()
        worker.join()
    assert seen == [1]


@pytest.mark.parametrize("bad", [0, -1, 1.5, "two", None])
def test_bad_thread_counts_name_the_argument(bad):
    with pytest.raises(ValueError, match="threads"):
        small_block_threads(bad)
