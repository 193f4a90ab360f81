-- Answers to an agent's prompt are recorded beside messages but are a different act: a key that
-- picks an option, never text for the agent to read (core/answer.py).
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'message';  -- message | answer
