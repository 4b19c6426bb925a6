"""themes: code open-ended survey answers against a YAML codebook."""

__version__ = "0.1.0"
