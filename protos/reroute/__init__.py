"""reroute: the wire contract of the returns routing service (see ``reroute.v1``)."""
