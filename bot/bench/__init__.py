"""The load benchmark (``python -m bot bench``): simulated customers, figures and a report."""
