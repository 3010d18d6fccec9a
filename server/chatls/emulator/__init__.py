"""Azure OpenAI emulator: a local endpoint that answers like Azure, for development and tests.

Start it with ``chatls emulator`` or in-process with :func:`chatls.emulator.fixture.run_emulator`.
It imports nothing from ``chatls.azure``: it is an independent witness of Azure's behaviour.
"""
