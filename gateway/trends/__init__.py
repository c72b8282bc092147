"""Trends: de-identified counts of reports by category, area and week, for staff and partners.

Pure code shared by the web process (the trends page and its CSV export) and the workers (early
warnings and weekly digests): weeks and windows, small-count masking, area names and shapes,
CSV/HXL exports and the server-rendered page. Counts come from gateway.store.trends; nothing
here sees a report's text or a reporter.
"""
