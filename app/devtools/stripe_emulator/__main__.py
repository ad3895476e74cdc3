"""``python -m app.devtools.stripe_emulator --port N --state-file PATH``."""

from .server import main

main()
