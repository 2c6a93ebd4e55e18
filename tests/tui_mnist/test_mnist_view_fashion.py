"""Fashion-MNIST from a data folder is named as what it is: its class names, its title on the
MNIST view and in the data set's source, "image" rather than "digit"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mnist_view_support import MnistApp, aio, small_session, wait_for

from nnviz.data import mnist
from nnviz.tui.mnist import MnistView
from nnviz.tui.mnist.screen import data_subtitle

FASHION = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist


def test_fashion_labels_are_told_from_mnist_digits():
    assert mnist.is_fashion(np.array(mnist.FASHION_FIRST_LABELS + (1, 2)))
    assert not mnist.is_fashion(np.array([5, 0, 4, 1, 9, 2, 1, 3, 1, 4, 3, 5, 3, 6, 1, 7]))
    assert not mnist.is_fashion(np.array([9, 0]))


def test_the_subtitle_says_which_data():
    class Data:
        name = "fashion-mnist"

    text = "MNIST digits with a 784-100-10 network"
    assert data_subtitle(text, Data()) == "Fashion-MNIST images with a 784-100-10 network"
    Data.name = "mnist"
    assert data_subtitle(text, Data()) == text


@pytest.mark.skipif(not FASHION.is_dir(), reason="Fashion-MNIST IDX files not installed")
@aio
async def test_fashion_mnist_on_the_view():
    session = small_session(source="full", data_dir=FASHION, n_train=300, n_test=200)
    ds = session.dataset
    assert ds.name == "fashion-mnist" and ds.class_names[9] == "Ankle boot"
    assert ds.source.startswith("Fashion-MNIST (60,000 / 10,000) from ")
    app = MnistApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: app.screen.query(MnistView), pilot)
        view = app.screen.query_one(MnistView)
        await pilot.pause()
        assert "MNIST digits" not in app.screen.sub_title
        assert "Fashion-MNIST" in app.screen.sub_title
        assert view.item == "image" and view.full_names == ds.class_names
        caption = str(view.query_one("#mnist-sample-title").render())
        assert "test image" in caption and "digit" not in caption
        label = ds.class_names[int(ds.labels_test[0])]
        await wait_for(
            lambda: label in str(view.query_one("#mnist-sample-caption").render()), pilot
        )
