"""Problem management: problems (the cause behind recurring incidents), known errors with
their workarounds, and the clustering that proposes problem candidates."""
