"""Benchmarks (`leadmem bench ...`): each builds its own data in its own database and Redis
db (`env`), measures, and reports one JSON object as its last line of output."""
