"""nbval runs the committed smoke notebooks with another torch thread count than they were executed with.

The committed outputs come from ``plm notebooks --update-committed`` with ``COMMITTED_THREADS``; here the kernels
(which inherit this environment) get ``TEST_THREADS``, a cheap stand-in for another CPU: any output nbval compares
that depends on training's float sums fails here, on every machine, instead of only on a user's.
"""

import os

from plmlib.course.profiles import COMMITTED_THREADS, THREADS_ENV

TEST_THREADS = COMMITTED_THREADS + 1
os.environ[THREADS_ENV] = str(TEST_THREADS)
