"""orc's control room (Textual). Talks to the core only through core.Room."""
