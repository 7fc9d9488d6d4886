"""`pigtrace audit ADDRESS`: the wallet owner's check (approvals, what is at risk, what to do next).

Prints ``pigtrace.audit.wallet.audit_wallet``'s result: JSON whole, or for a terminal a summary line, the
allowances table and the advice. A reading command: works on a read-only warehouse, with the shipped
label packs read from the package when the warehouse does not hold them."""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Optional

import typer
from rich.markup import escape

from pigtrace.cli.common import (DbOption, Format, console, emit, friendly, note, open_db, short_id, table_cell,
                                 to_jsonable)

AUDIT_COLUMNS = ["risk", "token", "spender", "can_take", "usd", "why"]
KIND_SHOWN = {"permit2": " Permit2", "approval_for_all": " NFTs", "erc721": " NFT"}


class AuditFormat(str, Enum):
    table = "table"
    json = "json"


AuditFormatOption = typer.Option(AuditFormat.table, "--format", "-f", help="Output format: table or json.")


@friendly
def audit_cmd(
    address: str = typer.Argument(..., help="The wallet to check (EVM 0x... or Tron T...)."),
    chain: Optional[str] = typer.Option(
        None, "--chain", help="Chain of the wallet (default: tron for T...; for 0x, the EVM chain where the warehouse "
        "holds most of its approvals and transfers)."),
    at: Optional[str] = typer.Option(
        None, "--at", help="Check as of this ISO date or time, UTC (default: now): later events are left out, and "
        "Permit2 approvals that expired before it are gone."),
    db: Optional[str] = DbOption,
    fmt: AuditFormat = AuditFormatOption,
) -> None:
    """The wallet owner's check, like Revoke.cash: every open approval (ERC-20/TRC-20 `approve`, Permit2,
    ApprovalForAll) replayed from the warehouse's events with the spender's later pulls, what each can still
    take (min of balance and allowance; the balance the warehouse saw), how risky each spender is and why, the
    exact call that revokes it, payments to flagged wallets, look-alike addresses planted in the history, plain
    advice and whom to report to."""
    from pigtrace.audit.wallet import audit_wallet
    from pigtrace.evaluation.common import parse_date
    from pigtrace.labels.shipped import shipped_view

    when = parse_date(at, "--at")
    con = open_db(db, read_only=True)
    shipped_view(con)
    result = audit_wallet(con, address, chain=chain, at=when)
    if fmt == AuditFormat.json:
        sys.stdout.write(json.dumps(to_jsonable(result), indent=2) + "\n")
        return
    print_audit(result)


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def print_audit(result: dict) -> None:
    s = result["summary"]
    usd = table_cell("usd", s["value_at_risk_usd"])
    console.print(
        f"[bold]{escape(result['address'])}[/] ({result['chain']}) as of {result['as_of']}: "
        f"{_n(s['allowances'], 'open approval')} ({s['high_risk']} high, {s['medium_risk']} medium risk), "
        f"{usd} USD at risk; {_n(s['flagged_payments'], 'payment')} to flagged wallets; "
        f"{_n(s['lookalikes'], 'look-alike address', 'look-alike addresses')}",
        highlight=False)
    for line in result["notes"]:
        note(line)
    rows = [{"risk": a["risk"], "token": (a["symbol"] or short_id(a["token"])) + KIND_SHOWN.get(a["kind"], ""),
             "spender": a["spender"], "can_take": a["value_at_risk"] or a["amount"], "usd": a["value_at_risk_usd"],
             "why": "; ".join(a["reasons"])} for a in result["allowances"]]
    emit(rows, Format.table, AUDIT_COLUMNS, title="open approvals (revoke calls: --format json)")
    if result["flagged_payments"]:
        emit(result["flagged_payments"], Format.table, ["address", "payments", "usd", "last_paid", "why"],
             title="payments to flagged wallets")
    if result["taken_by_others"]:
        emit(result["taken_by_others"], Format.table, ["by", "to", "amount", "usd", "last_taken", "flagged"],
             title="tokens someone else moved out of this wallet")
    if result["lookalikes"]:  # in full: shortened, a look-alike and the address it imitates read the same
        console.print("look-alike addresses in the history", highlight=False)
        for lk in result["lookalikes"]:
            paid = f"  you paid it {table_cell('usd', lk['paid_usd'] or 0)} USD" if lk["you_paid"] else ""
            console.print(f"  fake {lk['lookalike']}{paid}\n  real {lk['imitates']}", highlight=False)
    console.print("\n[bold]What to do[/]", highlight=False)
    for line in result["advice"]:
        console.print(f"- {escape(line)}", highlight=False)
    if result["report_to"]:
        console.print("\n[bold]Whom to report to[/]", highlight=False)
        for r in result["report_to"]:
            console.print(f"- {escape(r['who'])}: {escape(r['how'])}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit_cmd)
