"""Keep the garbage collector off the long-lived heap.

After the app, torch, transformers and the model are loaded, a process holds about 580,000
objects that live as long as it does. CPython's full (generation 2) collection walks all of
them every time it runs: 150–350 ms measured on this 2-core box, during which every thread of
the process stops (a page served by a gunicorn worker waits for it; issue 17). A busy worker
or test process runs one every few seconds.

:func:`freeze_long_lived` moves everything alive now into the permanent generation, which
collections skip. Frozen objects are still freed by reference counting as usual; only a
reference cycle that is alive now and becomes garbage later would never be collected, so it
runs right after a collection and once loading is done (``gc.freeze`` as documented for
pre-fork servers: https://docs.python.org/3/library/gc.html#gc.freeze).
"""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Collect what is already garbage, then exempt every surviving object from later
    collections (cheap: it moves lists, it copies nothing)."""
    gc.collect()
    gc.freeze()
