"""make_low_rank_completion and load_movielens_100k (from a tiny table, a wheel-like zip and, if installed, recbole)."""

import importlib.util
import zipfile

import numpy as np
import pytest

from sparsekit.datasets import _completion, load_movielens_100k, make_low_rank_completion

TABLE = ("user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
         "1\t2\t3\t881250949\n2\t1\t5\t891717742\n")


def test_low_rank_completion_is_seeded_and_low_rank():
    M, left, right = make_low_rank_completion(300, 200, 4, observed=0.1, noise=0.0, random_state=1)
    again = make_low_rank_completion(300, 200, 4, observed=0.1, noise=0.0, random_state=1)[0]
    assert (M != again).nnz == 0
    r, c = M.nonzero()
    np.testing.assert_allclose(M[r, c], np.einsum("ij,ij->i", left[r], right[c]))
    assert 0.09 * 60000 < M.nnz <= 0.1 * 60000
    assert abs(np.std(left @ right.T) - 1.0) < 0.1


def test_loader_reads_a_table_and_a_wheel(tmp_path):
    table = tmp_path / "ml-100k.inter"
    table.write_text(TABLE)
    wheel = tmp_path / "recbole-1.2.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(_completion._INTER, TABLE)
    for path in (table, wheel):
        users, items, ratings, stamps = load_movielens_100k(path=path)
        np.testing.assert_array_equal(users, [0, 1])
        np.testing.assert_array_equal(items, [1, 0])
        np.testing.assert_array_equal(ratings, [3.0, 5.0])
        assert stamps[0] == 881250949


def test_loader_errors_say_how_to_get_the_data(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="pip download --no-deps recbole"):
        load_movielens_100k(path=tmp_path / "missing.whl")
    (tmp_path / "bad.inter").write_text("a b c\n1 2 3\n")
    with pytest.raises(ValueError, match="not a recbole"):
        load_movielens_100k(path=tmp_path / "bad.inter")
    monkeypatch.setattr(_completion.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match="pip install --no-deps recbole"):
        load_movielens_100k()


@pytest.mark.skipif(importlib.util.find_spec("recbole") is None, reason="recbole (which ships MovieLens-100k) absent")
def test_movielens_100k_from_the_installed_wheel():
    users, items, ratings, _ = load_movielens_100k()
    assert len(ratings) == 100_000 and users.max() == 942 and items.max() == 1681
    assert set(np.unique(ratings)) == {1.0, 2.0, 3.0, 4.0, 5.0}
