"""Development tooling, not shipped in the production image: the local Apache Kafka broker
(`kafka`), the loopback fakes of the Claude and GHL APIs (`fakes`), the demo (`demo`) and the
benchmarks (`bench`), and their `leadmem` commands (`cli`). It depends on `workers` and
`schemas`; nothing in them imports it.
"""
