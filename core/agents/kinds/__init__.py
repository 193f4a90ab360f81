"""One module per kind of agent program, each with one `KIND` entry (core/agents/kinds/kind.py);
the registry that lists them is core/agents/agent_kind.py."""
