"""ChatLS: Azure OpenAI chat and code actions for any editor, over the Language Server Protocol."""

__version__ = "0.1.0"
