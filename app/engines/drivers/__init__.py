"""Scripts the engines run as subprocesses. They import their engine, never the ``app`` package."""
