"""Customer-support assistant for online shops: the application package."""
