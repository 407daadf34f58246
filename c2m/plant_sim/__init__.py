"""The plant simulator (`c2m simulate`): consumers, planners and a stochastic MES drive the
real stack over HTTP for simulated days while invariants are checked."""
