"""Fleet approvals: grouped answers, the audited approval policy, its backtest, escalation."""
