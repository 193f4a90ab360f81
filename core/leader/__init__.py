"""The leader's unix socket: one orc process (the lease holder) answers the others' commands.

protocol.py says where the socket is and how a request and its answer look; client.py is what
`orc` runs before importing anything heavy. The server runs CLI commands, so it lives with them:
core/cli/leader_server.py.
"""
