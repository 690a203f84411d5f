"""SLA: business-hours calendars, SLA policies and each incident's clocks (the math is
pure: business_hours.py, clock.py)."""
