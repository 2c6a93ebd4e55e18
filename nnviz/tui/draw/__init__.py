"""The one drawing stack of the explorer and the MNIST view: palette.py (every colour and
character set), canvas.py (half-block / ASCII pictures and the widgets that draw them) and
glyphs.py (bars and histograms made of block characters)."""
