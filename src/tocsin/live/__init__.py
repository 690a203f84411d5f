"""Live updates: what changed (incidents from the outbox, alerts from a watermark), fanned
out to the console's open event streams of this process."""
