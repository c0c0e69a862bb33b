"""Page benchmark for samizdat: ``make bench`` (``python -m bench [--articles N] [--duration S]``).

It seeds a throwaway site, renders article, home and section pages in-process, serves the site
under gunicorn and loads it with wrk next to a bare Django view, and prints figures next to the
targets of the performance issue. It never passes or fails: the figures are for reading.

- ``pages``: the data directory, seeding, the article sample, in-process render figures.
- ``render``: the script that runs inside a Django process and times the test client.
- ``load``: gunicorn, the bare Django app, wrk (or a small Python load generator).
"""

from __future__ import annotations
