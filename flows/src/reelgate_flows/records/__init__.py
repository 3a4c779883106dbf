"""The job records' database: admitted jobs, the webhook outbox and the spend ledger, on one
engine per database, operated on one loop thread."""
