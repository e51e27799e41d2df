"""Who may write, and the audit trail of what they did.

A token is ``hq_`` + 43 url-safe characters (256 random bits). Only its sha256 is stored; the token itself
is shown once, when it is created, and never written to a log, the audit trail or an error message.
Roles: 经办 proposes awards (拟兑现); 审核 publishes (公示), pays (拨付), revokes, imports, sets budgets.
Reading the ledger needs any valid token over HTTP; reading policies and the calculator needs none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.ledger.errors import AuthenticationRequired, Forbidden, LedgerError
from huiqi.ledger.models import AuditEntry, Role, Token, utcnow

log = logging.getLogger("huiqi.ledger")

TOKEN_PREFIX = "hq_"

ACTION_LABELS = {
    "read": "查阅台账",
    "grant": "拟兑现（录入奖励）",
    "publish": "公示",
    "pay": "拨付",
    "revoke": "撤销",
    "import": "导入台账",
    "budget": "设置预算",
    "audit": "查阅审计记录",
    "token": "创建令牌",
}
PERMISSIONS: dict[str, frozenset[Role]] = {
    "read": frozenset(Role),
    "grant": frozenset({Role.clerk}),
    "publish": frozenset({Role.reviewer}),
    "pay": frozenset({Role.reviewer}),
    "revoke": frozenset({Role.reviewer}),
    "import": frozenset({Role.reviewer}),
    "budget": frozenset({Role.reviewer}),
    "audit": frozenset({Role.reviewer}),
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a token holder, or the local administrator (token commands only)."""

    name: str
    role: Role | None
    token_id: int | None = None
    via: str = "cli"
    address: str | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip())
    except ValueError:
        raise LedgerError(f"未知角色“{value}”（可选：{'、'.join(Role)}）") from None


def create_token(session: Session, *, name: str, role: Role, by: Actor) -> tuple[Token, str]:
    """A new token for ``name`` with ``role``: the row (hash only) and the token, to be shown once."""
    name = name.strip()
    if not name:
        raise LedgerError("令牌须写明持有人姓名（--name）")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = Token(name=name, role=role.value, token_sha256=hash_token(token))
    session.add(row)
    session.flush()
    record(session, by, "token", detail={"token_id": row.id, "holder": name, "role": role.value})
    return row, token


def revoke_token(session: Session, token_id: int, *, by: Actor) -> Token:
    row = session.get(Token, token_id, with_for_update=True)
    if row is None:
        raise LedgerError(f"没有编号为 {token_id} 的令牌")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record(session, by, "token", detail={"token_id": row.id, "holder": row.name, "revoked": True})
    return row


def list_tokens(session: Session) -> list[Token]:
    return list(session.scalars(select(Token).order_by(Token.id)))


def authenticate(session: Session, token: str | None, *, via: str, address: str | None = None) -> Actor:
    """The holder of ``token`` (``AuthenticationRequired`` if it is missing, unknown or revoked)."""
    if not token or not token.strip():
        raise AuthenticationRequired(
            "台账须凭令牌查阅和办理（HTTP：Authorization: Bearer …；命令行：--token 或 HUIQI_LEDGER_TOKEN）"
        )
    row = session.scalar(select(Token).where(Token.token_sha256 == hash_token(token.strip())))
    if row is None:
        raise AuthenticationRequired("令牌无效")
    if row.revoked_at is not None:
        raise AuthenticationRequired(f"令牌已于 {row.revoked_at:%Y-%m-%d} 吊销")
    return Actor(name=row.name, role=Role(row.role), token_id=row.id, via=via, address=address)


def authorize(actor: Actor, action: str) -> None:
    allowed = PERMISSIONS[action]
    if actor.role not in allowed:
        who = f"{actor.name}（{actor.role or '无角色'}）"
        need = "、".join(sorted(allowed))
        raise Forbidden(f"{who}无权{ACTION_LABELS[action]}：须由{need}角色办理")


def _json(value: object) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    outcome: str = "ok",
    award_id: int | None = None,
    credit_code: str | None = None,
    detail: dict[str, Any] | None = None,
    via: str = "cli",
) -> AuditEntry:
    """Append one entry to the audit trail (in ``session``'s transaction)."""
    info = dict(detail or {})
    if actor is not None and actor.address:
        info.setdefault("address", actor.address)
    entry = AuditEntry(
        actor=actor.name if actor else "（未认证）",
        role=actor.role.value if actor and actor.role else None,
        via=actor.via if actor else via,
        action=action,
        outcome=outcome,
        award_id=award_id,
        credit_code=credit_code,
        detail=json.dumps(info, ensure_ascii=False, default=_json, sort_keys=True),
    )
    session.add(entry)
    session.flush()
    log.info(
        "ledger %s %s by %s (%s)%s",
        action,
        outcome,
        entry.actor,
        entry.role or "-",
        f" award {award_id}" if award_id else "",
    )
    return entry


def audit_trail(
    session: Session, *, credit_code: str | None = None, award_id: int | None = None, limit: int = 200
) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if credit_code:
        query = query.where(AuditEntry.credit_code == credit_code)
    if award_id is not None:
        query = query.where(AuditEntry.award_id == award_id)
    return list(session.scalars(query))
