"""``python -m service.cli``: the same commands as ``briefing-qa``."""

from .commands import main

main()
