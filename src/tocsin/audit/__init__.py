"""The append-only audit log: keyed hash chain, seal, signed checkpoints, verification."""
