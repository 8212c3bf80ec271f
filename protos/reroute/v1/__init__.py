"""Generated Python bindings of the reroute.v1 protobuf package (a thin client SDK).

``common_pb2``, ``customs_pb2`` and ``routing_pb2`` hold the messages and enums,
``routing_pb2_grpc`` the ``ReturnsRouting`` stub and servicer base, ``planning_pb2`` and
``planning_pb2_grpc`` the ``BatchPlanning`` jobs (submit, get, watch, cancel a batch plan).
Regenerate them with ``scripts/gen_protos.sh`` after editing a ``.proto`` file; never edit
them by hand.
"""
