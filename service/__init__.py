"""briefing-qa application: settings, answerer, HTTP API, pages, CLI, evaluation."""
