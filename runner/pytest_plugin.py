"""pytest plugin entry point (placeholder until issue 5's plugin lands): keeps pytest's start-up light."""
