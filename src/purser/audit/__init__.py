"""The tamper-evident audit log: hash-chained records, verification and export."""

from purser.audit.log import GENESIS, AuditLog, AuditRecord, VerifyResult, canonical_json

__all__ = ["GENESIS", "AuditLog", "AuditRecord", "VerifyResult", "canonical_json"]
