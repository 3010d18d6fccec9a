"""Agent mode: the model reads and searches the workspace, proposes edits and runs approved commands.

`tools` is the registry the loop offers the model; every workspace tool goes through `paths.Workspace`, which
confines it to the editor's workspace folders. See docs/agent.md.
"""
