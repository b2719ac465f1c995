"""gunicorn settings of `inquick serve` (read with `-c python:inquick.serving`)."""

import gc

# A request allocates many small objects (a row, a record, a resource object each); with
# the collector's default threshold it runs every few hundred, and a full collection
# walks every object the app made at start-up. Those objects are moved out of its reach
# once the worker has loaded the app, and young objects are collected less often.
YOUNG_COLLECTION_THRESHOLD = 10_000


def post_worker_init(_worker):
    """Called by gunicorn in each worker once the app is loaded."""
    gc.freeze()
    _young, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)
