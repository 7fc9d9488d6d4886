"""Request bodies of the API, with their bounds: a malformed or oversized request is answered 422 naming
the field before any library function runs."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

MAX_BATCH = 1000
Address = Field(min_length=1, max_length=128)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScreenBatch(Strict):
    addresses: list[str] = Field(min_length=1, max_length=MAX_BATCH,
                                 description="Up to 1,000 addresses (EVM 0x..., Tron T..., Bitcoin, ...).")
    chain: Optional[str] = Field(None, max_length=40, description="Chain of every address (default: from its form).")
    hops: int = Field(2, ge=0, le=4, description="Exposure within this many hops.")


class UrlBatch(Strict):
    urls: list[str] = Field(min_length=1, max_length=MAX_BATCH, description="Up to 1,000 URLs or domain names.")


class CaseRequest(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    address: str = Field(min_length=1, max_length=128, description="A reported victim's or a scam address.")
    chain: Optional[str] = Field(None, max_length=40)
    method: Literal["fifo", "haircut", "poison"] = "fifo"
    hops: int = Field(8, ge=1, le=32)
    min_usd: float = Field(1.0, ge=0, le=1e12)
    as_: Literal["auto", "victim", "scam"] = Field("auto", alias="as")
    payments: list[str] = Field(default_factory=list, max_length=100,
                                description="Transactions that paid the scam for this victim (exchange withdrawals).")


class LabelImport(Strict):
    tagpack: str = Field(min_length=1, max_length=4_000_000, description="A GraphSense TagPack YAML document.")
    pack: Optional[str] = Field(None, min_length=1, max_length=120,
                                description="Pack name (default: the TagPack's title).")


class AnalysisRequest(Strict):
    only: Optional[list[str]] = Field(None, max_length=50, description="Run only these detectors (pigtrace detectors).")
    chain: Optional[str] = Field(None, max_length=40)
    behaviour_only: bool = Field(False, description="Ignore abuse labels (services' labels still count).")
