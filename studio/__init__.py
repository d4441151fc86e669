"""Studio: podcast and radio production pipeline."""
__version__ = "0.1.0"
