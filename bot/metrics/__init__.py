"""Support metrics computed from the application database, and their charts."""
