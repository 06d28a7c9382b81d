"""Searching and printing the ``sources`` table, for ``nkflows sources``.

A search term finds a source whatever the language or script of its page: a term that is
one of the names of a publisher or agency in ``ALIASES`` (its English name and its Korean,
Chinese, Japanese and Russian forms) looks for every one of those names. So
``unification`` finds the pages titled ``통일부``, ``統一部`` or ``Министерство
объединения`` as well as those that say "Ministry of Unification".
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
import unicodedata

import polars as pl

#: Publishers and agencies that sources name in several languages: every name of one body,
#: in English, Korean, Chinese (simplified and traditional), Japanese and Russian.
#: Each name is matched as text inside the source's id, publisher, title and URL.
ALIASES: dict[str, tuple[str, ...]] = {
    "Ministry of Unification (ROK)": (
        "unification", "통일부", "통일원", "統一部", "统一部", "統一省", "министерство объединения", "минобъединения",
        "министерства объединения", "министерство по делам объединения",
    ),
    "Yonhap News Agency": ("yonhap", "연합뉴스", "聯合ニュース", "联合通讯社", "韩联社", "韓聯社", "ёнхап", "рёнхап"),
    "Korea Hana Foundation": ("hana foundation", "남북하나재단", "하나재단"),
    "National Intelligence Service (ROK)": ("national intelligence service", "국가정보원", "국정원", "国家情报院", "国家情報院", "национальная разведывательная служба"),
    "Statistics Korea": ("statistics korea", "kostat", "통계청", "统计厅", "統計庁"),
    "KOTRA": ("kotra", "코트라", "대한무역투자진흥공사", "大韩贸易投资振兴公社", "大韓貿易投資振興公社", "котра"),
    "Korea International Trade Association": ("korea international trade association", "kita", "한국무역협회", "무역협회", "韩国贸易协会", "韓国貿易協会"),
    "China customs (GACC)": ("customs", "gacc", "海关", "海關", "税関", "세관", "관세청", "таможн"),
    "China's commerce ministry (MOFCOM)": ("mofcom", "ministry of commerce", "商务部", "商務部", "상무부", "министерство коммерции"),
    "United Nations": ("united nations", "유엔", "국제연합", "联合国", "聯合國", "国連", "оон"),
    "UN Panel of Experts": ("panel of experts", "전문가 패널", "전문가패널", "专家小组", "専門家パネル", "группа экспертов"),
    "Ministry of Foreign Affairs": ("foreign affairs", "foreign ministry", "외교부", "外交部", "外務省", "мид ", "министерство иностранных дел"),
    "Voice of America": ("voice of america", "voa", "미국의소리", "미국의 소리", "美国之音", "ボイス・オブ・アメリカ", "голос америки"),
    "Radio Free Asia": ("radio free asia", "rfa", "자유아시아방송", "自由亚洲电台", "自由アジア放送", "радио свободная азия"),
    "Daily NK": ("daily nk", "dailynk", "데일리nk", "데일리엔케이", "デイリーnk"),
    "Kyodo News": ("kyodo", "교도통신", "共同通信", "共同社", "киодо"),
    "Xinhua": ("xinhua", "신화통신", "新华社", "新華社", "синьхуа"),
    "TASS": ("tass", "타스", "塔斯社", "タス通信", "тасс"),
    "Interfax": ("interfax", "인테르팍스", "国际文传电讯社", "インタファクス", "интерфакс"),
    "RIA Novosti": ("ria novosti", "ria.ru", "리아노보스티", "俄新社", "ノーボスチ", "риа новости"),
    "FSB (Russia's border service)": ("fsb", "연방보안국", "联邦安全局", "連邦保安庁", "фсб", "пограничн"),
    "Rosstat": ("rosstat", "러시아 통계청", "俄罗斯联邦统计局", "ロシア連邦統計局", "росстат"),
    "Interior Ministry of Russia": ("interior ministry", "ministry of internal affairs", "mvd", "내무부", "内务部", "内務省", "мвд"),
    "Nikkei": ("nikkei", "닛케이", "日经", "日経", "日本経済新聞"),
    "Chosun Ilbo": ("chosun ilbo", "chosun.com", "조선일보", "朝鲜日报", "朝鮮日報"),
    "Dong-A Ilbo": ("dong-a ilbo", "donga", "동아일보", "东亚日报", "東亜日報"),
    "JoongAng Ilbo": ("joongang", "중앙일보", "中央日报", "中央日報"),
    "Reuters": ("reuters", "로이터", "路透社", "ロイター", "рейтер"),
}


def normalize(text: str) -> str:
    """Text as the search compares it: Unicode NFKC (full-width letters become plain ones), case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def search_terms(query: str) -> list[str]:
    """The query and, where it names a body in ``ALIASES`` (any of its names, whole or as part of the query), every other name of that body."""
    q = normalize(query).strip()
    terms = [q]
    for names in ALIASES.values():
        forms = [normalize(n) for n in names]
        if any(q == f.strip() or (len(f.strip()) >= 3 and f.strip() in q) for f in forms):
            terms.extend(f for f in forms if f not in terms)
    return terms


def search(sources: pl.DataFrame, query: str) -> pl.DataFrame:
    """The sources whose id, publisher, title or URL hold the query or another name of the body it names."""
    haystack = [normalize(" ".join(row)) for row in sources.select("source_id", "publisher", "title", "url").iter_rows()]
    terms = search_terms(query)
    keep = [any(t in h for t in terms) for h in haystack]
    return sources.filter(pl.Series(keep, dtype=pl.Boolean))


COLUMNS = ["source_id", "publisher", "title", "url", "published", "accessed", "kind", "language"]


def render(sources: pl.DataFrame, fmt: str, width: int) -> str:
    """The sources as ``table`` (one block per source, wrapped to ``width``), ``csv`` or ``json``."""
    rows = [{c: (None if v is None else str(v)) for c, v in r.items()} for r in sources.select(COLUMNS).iter_rows(named=True)]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        w = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return out.getvalue()
    width = max(width, 40)
    blocks = []
    for r in rows:
        head = f"{r['source_id']}  [{r['kind']}, {r['language']}, published {r['published'] or 'n.d.'}, accessed {r['accessed']}]"
        lines = textwrap.wrap(head, width, subsequent_indent="    ")
        lines += textwrap.wrap(f"{r['publisher']}: {r['title']}", width, initial_indent="  ", subsequent_indent="    ")
        # the URL is the thing people come for: printed whole on its own line(s), never shortened
        url = r["url"]
        lines += ["  " + url[i:i + width - 2] for i in range(0, len(url), width - 2)]
        blocks.append("\n".join(lines))
    n = len(rows)
    return "\n\n".join(blocks) + f"\n\n{n} source{'s' if n != 1 else ''}\n"
