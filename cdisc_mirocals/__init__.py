"""cdisc-mirocals: the MIROCALS trial from raw CRFs to SDTM, ADaM, submission files and survival analysis."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cdisc-mirocals")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

from cdisc_mirocals.errors import MirocalsError, RawDataError, SpecError
from cdisc_mirocals.spec import Spec, load_spec

__all__ = ["MirocalsError", "RawDataError", "Spec", "SpecError", "__version__", "load_spec"]
