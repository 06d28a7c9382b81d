"""UN Comtrade's record layouts (API and bulk), and its reference list of area codes.

Kept apart from :mod:`analysis.ingest.comtrade` (which validates records with pandera)
so that reading bulk files (:mod:`analysis.ingest.comtrade_bulk`) imports neither
pandera nor pandas.

Two layouts, read by column name
--------------------------------
- **API layout** (:data:`FINAL_COLUMNS`, 47 fields): the records of the data API
  (``/data/v1/get/C/A/HS``), as in the recorded live response kept in rOpenSci comtradr
  (``tests/testthat/goods/comtradeapi.un.org/data/v1/get/C/A/HS-60a6ad.json``).
- **Bulk layout** (:data:`BULK_COLUMNS`, 34 fields): the files of the bulk endpoint
  (``/bulk/v1/file/...``, ``Content-Type: application/TSV``, gzip, tab-separated, CRLF
  line ends), as in the recorded response ``C_A_32_196201_S1_O.txt.gz`` kept in comtradr
  (``tests/testthat/goods_bulk/comtradeapi.un.org/bulk/v1/file/32/b07f98ee...-7315b4.R``
  @ 19c4a29a). It starts with ``datasetCode``, has none of the 14 descriptive fields
  (:data:`DESCRIPTIVE`), spells ``CIFValue``/``FOBValue`` and writes booleans as ``0``/``1``.

A header is checked by name, never by position: every column of :data:`REQUIRED` must
be present, each once; the descriptive columns and ``datasetCode`` may be present; any
other column is unknown. :func:`canonical` maps the bulk spellings to the API's.
"""

from __future__ import annotations

#: The 47 final-data record fields of the API, in the API's order.
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

#: The 34 columns of a bulk file, in the file's order (header of C_A_32_196201_S1_O.txt.gz).
BULK_COLUMNS: tuple[str, ...] = (
    "datasetCode", "typeCode", "freqCode", "refPeriodId", "refYear", "refMonth", "period",
    "reporterCode", "flowCode", "partnerCode", "partner2Code", "classificationSearchCode",
    "classificationCode", "isOriginalClassification", "cmdCode", "customsCode", "mosCode",
    "motCode", "qtyUnitCode", "qty", "isQtyEstimated", "altQtyUnitCode", "altQty",
    "isAltQtyEstimated", "netWgt", "isNetWgtEstimated", "grossWgt", "isGrossWgtEstimated",
    "CIFValue", "FOBValue", "primaryValue", "legacyEstimationFlag", "isReported", "isAggregate",
)

#: Bulk spelling -> API spelling.
ALIASES: dict[str, str] = {"CIFValue": "cifvalue", "FOBValue": "fobvalue"}

#: Fields the API adds for reading convenience; a bulk file does not carry them.
DESCRIPTIVE: tuple[str, ...] = (
    "reporterISO", "reporterDesc", "flowDesc", "partnerISO", "partnerDesc", "partner2ISO",
    "partner2Desc", "cmdDesc", "aggrLevel", "isLeaf", "customsDesc", "motDesc",
    "qtyUnitAbbr", "altQtyUnitAbbr",
)

#: Fields every file must have (API spelling): the 33 both layouts share.
REQUIRED: tuple[str, ...] = tuple(c for c in FINAL_COLUMNS if c not in DESCRIPTIVE)
#: Fields a file may have besides the required ones.
OPTIONAL: tuple[str, ...] = (*DESCRIPTIVE, "datasetCode")
KNOWN: frozenset[str] = frozenset((*FINAL_COLUMNS, "datasetCode"))

assert len(REQUIRED) == 33 and {ALIASES.get(c, c) for c in BULK_COLUMNS} == {*REQUIRED, "datasetCode"}

#: North Korea's M49 code (UN Comtrade's reporterCode / partnerCode).
DPRK = 408

#: Trade flow codes: import, export, re-import, re-export. The reader accepts these and no
#: others (trade_flows keeps X and M, see :func:`analysis.ingest.comtrade.records_to_flows`).
#: UN Comtrade's reference tables list these four trade flows (quoted in
#: marek5050/HARMONIZED-CODES README.t.md); the recorded API response uses M and X. A file
#: with another code fails: add it here only after checking it in Comtrade's reference.
FLOW_CODES: tuple[str, ...] = ("M", "X", "RM", "RX")

#: UN Comtrade's area codes (reporter and partner), from its partner reference table
#: ``partnerAreas.json`` (the file comtradeapicall.getReference('partner') downloads; read
#: from the stored copy sashakrasnov/uncomtrade partnerAreas.json @ 084154f2).
AREA_CODES: frozenset[int] = frozenset((
    0, 4, 472, 8, 12, 16, 20, 24, 660, 10, 28, 899, 32, 51, 533, 36, 40, 31, 44, 48, 50, 52,
    112, 56, 58, 84, 204, 60, 64, 68, 535, 70, 72, 74, 80, 86, 92, 76, 96, 100, 837, 854,
    108, 132, 471, 116, 120, 124, 129, 136, 140, 148, 152, 156, 344, 446, 162, 166, 170,
    174, 178, 184, 188, 384, 191, 192, 531, 196, 203, 200, 408, 180, 208, 262, 212, 214,
    588, 221, 218, 818, 222, 226, 232, 233, 231, 697, 492, 234, 238, 242, 246, 886, 278,
    866, 720, 230, 280, 582, 590, 592, 868, 717, 736, 835, 810, 890, 836, 260, 251, 838,
    254, 258, 583, 266, 270, 268, 276, 288, 292, 300, 304, 308, 312, 316, 320, 324, 624,
    328, 332, 334, 336, 340, 348, 352, 699, 356, 360, 364, 368, 372, 376, 381, 388, 392,
    400, 398, 404, 296, 414, 417, 473, 418, 428, 422, 426, 430, 434, 440, 442, 450, 454,
    458, 462, 466, 470, 584, 474, 478, 480, 175, 484, 496, 499, 500, 504, 508, 104, 580,
    516, 520, 524, 530, 532, 528, 536, 540, 554, 558, 562, 566, 570, 574, 637, 290, 579,
    527, 512, 577, 490, 568, 586, 585, 591, 598, 600, 459, 604, 608, 612, 616, 620, 634,
    410, 498, 636, 638, 642, 643, 646, 647, 461, 654, 659, 658, 662, 534, 666, 670, 882,
    674, 678, 457, 682, 686, 688, 891, 690, 694, 698, 702, 703, 705, 711, 90, 706, 710,
    239, 728, 724, 839, 144, 275, 729, 740, 748, 752, 757, 760, 762, 807, 764, 626, 768,
    772, 776, 780, 788, 792, 795, 796, 798, 800, 804, 784, 826, 834, 581, 858, 849, 850,
    842, 841, 860, 548, 862, 704, 876, 879, 732, 887, 894, 716,
))


def canonical(name: str) -> str:
    """A header name in the API's spelling (``CIFValue`` -> ``cifvalue``)."""
    return ALIASES.get(name, name)
