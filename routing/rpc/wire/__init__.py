"""The wire boundary: ``reroute.v1`` messages to domain objects and back.

Servicers and the CLI client only call these ``to_proto``/``from_proto`` functions; protobuf
messages never travel further into the engine. One module per concept, imported one way (each
only from those above it in this list)::

    enums       EnumMap: each proto enum and its domain mirror, one to one
    scalars     dates, money and territory codes
    violations  collecting, capping and re-rooting the violations of a message
    returns     a customer's Return (and the RouteReturn request)
    customs     customs quotes, and the assessments decisions carry
    decisions   a RouteDecision, and the encoded bytes of recent decisions
    plans       BatchPlanning: plan requests, options, progress, jobs, assignments

Parsing validates the whole message first and reports every bad field at once, by its path in
the request (``customer_return.items[2].weight_g``), as one :class:`routing.errors.InvalidInput`;
only then are the (self-validating) domain objects built.
"""

__all__ = ["customs", "decisions", "enums", "plans", "returns", "scalars", "violations"]
