"""UN Comtrade's final-data record layout: the 47 columns, and North Korea's code.

Kept apart from :mod:`analysis.ingest.comtrade` (which validates records with pandera)
so that reading bulk files (:mod:`analysis.ingest.comtrade_bulk`) imports neither
pandera nor pandas. How the list was checked is told in :mod:`analysis.ingest.comtrade`.
"""

from __future__ import annotations

#: The 47 final-data record fields, in the API's order (see the module docstring).
FINAL_COLUMNS: tuple[str, ...] = (
    "typeCode", "freqCode", "refPeriodId", "refYear", "refMonth", "period",
    "reporterCode", "reporterISO", "reporterDesc", "flowCode", "flowDesc",
    "partnerCode", "partnerISO", "partnerDesc", "partner2Code", "partner2ISO", "partner2Desc",
    "classificationCode", "classificationSearchCode", "isOriginalClassification",
    "cmdCode", "cmdDesc", "aggrLevel", "isLeaf", "customsCode", "customsDesc",
    "mosCode", "motCode", "motDesc", "qtyUnitCode", "qtyUnitAbbr", "qty", "isQtyEstimated",
    "altQtyUnitCode", "altQtyUnitAbbr", "altQty", "isAltQtyEstimated",
    "netWgt", "isNetWgtEstimated", "grossWgt", "isGrossWgtEstimated",
    "cifvalue", "fobvalue", "primaryValue", "legacyEstimationFlag", "isReported", "isAggregate",
)

#: North Korea's M49 code (UN Comtrade's reporterCode / partnerCode).
DPRK = 408
