"""Starting and supervising the assistant's processes."""
