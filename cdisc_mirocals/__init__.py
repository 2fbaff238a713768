"""cdisc-mirocals: the MIROCALS trial from raw CRFs to SDTM, ADaM, submission files and survival analysis."""

# The one place the version is written (pyproject.toml reads it from here): no package metadata lookup,
# which costs the CLI's --help and --version a tenth of a second.
__version__ = "0.1.0"

from cdisc_mirocals.errors import MirocalsError, RawDataError, SpecError  # noqa: E402

__all__ = ["MirocalsError", "RawDataError", "Spec", "SpecError", "__version__", "load_spec"]


def __getattr__(name: str):
    """Spec and load_spec on first use, so that importing the package (the CLI does) stays light."""
    if name in ("Spec", "load_spec"):
        from cdisc_mirocals import spec
        return getattr(spec, name)
    raise AttributeError(f"module 'cdisc_mirocals' has no attribute {name!r}")
