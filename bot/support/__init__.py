"""Getting customers to the human support team."""
