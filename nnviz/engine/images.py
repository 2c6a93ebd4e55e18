"""Image geometry: output sizes and padding of convolutions and pooling windows.

Pure Python (no numpy, no numba), so the scenario loader can check a network's shapes before
anything is built. An image batch is one row per sample of C·H·W numbers, channel by channel,
each channel row by row (ops.py states the layout of every image op).
"""

from __future__ import annotations

from dataclasses import dataclass

PADDINGS = ("valid", "same")
POOLS = ("max", "avg")


@dataclass(frozen=True)
class Window:
    """A square sliding window: its size, stride and the padding above and left of the image
    (the padding below and right follows from the output size)."""

    size: int
    stride: int
    pad_top: int = 0
    pad_left: int = 0


def conv_output(
    height: int, width: int, kernel: int, stride: int, padding: str | int
) -> tuple[int, int, Window]:
    """(H', W', window) of a k × k convolution with this stride and padding.

    valid: no padding, H' = ⌊(H − k)/s⌋ + 1. same: H' = ⌈H/s⌉, padded with
    max((H' − 1)·s + k − H, 0) zeros, half of them above (the odd one below, as Keras does).
    An integer p pads p zeros on every side. H' < 1 means the kernel does not fit.
    """
    if padding == "valid":
        ho, wo = (height - kernel) // stride + 1, (width - kernel) // stride + 1
        return ho, wo, Window(kernel, stride)
    if padding == "same":
        ho, wo = -(-height // stride), -(-width // stride)
        pad_h = max((ho - 1) * stride + kernel - height, 0)
        pad_w = max((wo - 1) * stride + kernel - width, 0)
        return ho, wo, Window(kernel, stride, pad_h // 2, pad_w // 2)
    p = int(padding)
    ho = (height + 2 * p - kernel) // stride + 1
    wo = (width + 2 * p - kernel) // stride + 1
    return ho, wo, Window(kernel, stride, p, p)


def pool_output(height: int, width: int, size: int, stride: int) -> tuple[int, int, Window]:
    """(H', W', window) of pooling over size × size windows: H' = ⌊(H − k)/s⌋ + 1 (the
    windows that fit; a last partial row or column is dropped, as PyTorch and Keras do)."""
    return (height - size) // stride + 1, (width - size) // stride + 1, Window(size, stride)


def image_text(image: tuple[int, int, int]) -> str:
    c, h, w = image
    return f"{c}×{h}×{w}"
