"""Local Stripe emulator for development and tests: localstripe plus Connect.

Start it with ``python -m app.devtools.stripe_emulator --port N --state-file PATH`` or, from
Python, ``run_in_subprocess(state_file)``. This package's top level imports only the standard
library; the server modules (aiohttp, localstripe) load in the subprocess.
"""

from .process import *  # noqa: F403 (the public names are process.__all__)
from .process import __all__  # noqa: F401
