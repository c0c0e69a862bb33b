"""Benchmarks for samizdat: ``make bench`` (``python -m bench [pages|newsletter|donations]``).

Without a subcommand (what ``make bench`` runs) the page benchmark runs with the options given,
then the newsletter and donations benchmarks with their defaults. Neither passes or fails: the figures are for
reading, next to the targets of the performance issues.

Pages (``python -m bench pages [--articles N] [--duration S]``): seeds a throwaway site,
renders article, home and section pages in-process, serves the site under gunicorn and loads
it with wrk next to a bare Django view.

- ``pages``: the data directory, seeding, the article sample, in-process render figures.
- ``render``: the script that runs inside a Django process and times the test client.
- ``load``: gunicorn, the bare Django app, wrk (or a small Python load generator).

Newsletter (``python -m bench newsletter [--subscribers N] [--workers 2]``): sends an edition
to N subscribers through ``samizdat worker`` processes into Postfix's ``smtp-sink``, next to a
bare smtplib ceiling; memory, CPU per letter, and with ``--profile`` where a sender's time goes.

- ``newsletter``: the sink, the ceiling, the end-to-end runs, the report.
- ``newsletter_app``: runs inside a Django process: makes the edition, freezes and watches it.
- ``newsletter_experiments``: one sender in-process, profiled or timed part by part.
- ``newsletter_patches``: proposed changes to the sender, applied in the benchmark's processes.
- ``newsletter_worker``: ``samizdat worker`` with such patches applied.

Donations (``python -m bench donations``): a burst of 10,000 signed Stripe webhooks (half of
them repeats) against gunicorn, next to the same burst with bad signatures, then counts what
was recorded; and the donate page and an article with the appeal under wrk.
"""

from __future__ import annotations
