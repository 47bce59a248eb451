"""Index versions on disk and in memory: the build (incremental, atomic, locked), the version
folder (``CURRENT``, the lock, pruning), loading a version, the loaded index and its search."""
